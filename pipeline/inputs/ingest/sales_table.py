"""A raw sales table (a shop's daily report, a GA4 export, any date + revenue table) to the canonical one:
one row per day with date, revenue and orders, and every row that is not in it counted under its reason."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline.inputs.ingest.cells import matches_total, parse_dates, parse_numbers
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.reading import RawTable
from pipeline.inputs.ingest.tables import _Drops
from pipeline.inputs.ingest.vocabulary import IGNORED, MAX_NUMBER, SAME_DAY_REASON
from pipeline.schemas import SALES

SALES_COLUMNS = ("date", "revenue", "orders")
# A blank-dated row counts as a grand total when its revenue is the other rows' sum within this share
# (exports round each cell, so the total may differ from the sum in its last digits).
TOTAL_TOLERANCE = 0.005


def ingest_sales(table: RawTable, mapping: dict[str, str]) -> dict[str, Any]:
    """Canonical daily sales from a raw table whose headers `mapping` names (load.ingest calls this)."""
    kept = {h: c for h, c in mapping.items() if c != IGNORED}
    missing = [c for c in ("date", "revenue") if c not in kept.values()]
    if missing:
        raise IngestError(
            f"This looks like a sales table but it has no {' or '.join(missing)} column; "
            "daily sales need a date and a revenue column."
        )
    raw = table.frame
    frame = raw[list(kept)].set_axis(list(kept.values()), axis=1)
    drops = _Drops(len(frame))
    drops.add("empty row", raw.isna().all(axis=1))
    drops.add("comment line", _comment_lines(raw))
    revenue, junk = _revenue(frame["revenue"], table.decimal_comma)
    dates, blank, bad = parse_dates(frame["date"])
    drops.add("summary row", _total_rows(frame["date"], blank, revenue, drops.dropped))
    drops.add("missing date", blank)
    drops.add("unparseable date", bad)
    drops.add("unparseable number", junk)
    drops.add("missing number", revenue.isna() & ~junk)
    drops.add("number too large", revenue.abs() > MAX_NUMBER)
    orders = _orders(frame["orders"], table.decimal_comma) if "orders" in frame else pd.Series(np.nan, frame.index)
    days = pd.DataFrame({"date": dates.dt.normalize(), "revenue": revenue, "orders": orders})
    in_sums = ~drops.dropped  # rows of the same day are counted under SAME_DAY_REASON but stay in the sums
    drops.add(SAME_DAY_REASON, days["date"].where(in_sums).duplicated() & days["date"].notna())
    daily = _sum_days(days.loc[in_sums])
    if len(daily):
        daily = _validate(daily)
    has_orders = "orders" in frame
    return {
        "frame": daily,
        "drops": drops,
        "estimated": [],
        "assumptions": {},
        "platforms": [],
        "missing": {"orders": int(daily["orders"].isna().sum())} if has_orders and daily["orders"].isna().any() else {},
        "totals": sales_totals(daily, has_orders),
    }


def sales_totals(frame: pd.DataFrame, has_orders: bool = True) -> dict[str, float | None]:
    """Σrevenue and Σorders over the days; orders is None without an orders column (NaN when every day's
    orders are unknown: the JSON prints both as null)."""
    orders = float(frame["orders"].sum(min_count=1)) if has_orders and "orders" in frame else None
    return {"revenue": float(frame["revenue"].sum()), "orders": orders}


def _comment_lines(raw: pd.DataFrame) -> np.ndarray:
    """GA4 writes "# ..." lines around its tables; below the header they arrive as rows."""
    first = raw.iloc[:, 0]
    return (first.notna() & first.astype("str").str.lstrip().str.startswith("#")).to_numpy()


def _revenue(cells: pd.Series, decimal_comma: bool) -> tuple[pd.Series, pd.Series]:
    """Revenue and a mask of junk cells; a blank cell is missing here (a day's sales are never silently 0)."""
    values, junk = parse_numbers(cells, decimal_comma)
    return values.mask(cells.isna()), junk


def _orders(cells: pd.Series, decimal_comma: bool) -> pd.Series:
    """Orders; a blank, junk or negative cell is unknown (NaN), so the day's revenue is still kept."""
    values, junk = parse_numbers(cells, decimal_comma)
    unusable = cells.isna() | junk | (values < 0) | (values.abs() > MAX_NUMBER)
    return values.mask(unusable)


def _total_rows(dates: pd.Series, blank: pd.Series, revenue: pd.Series, dropped: np.ndarray) -> np.ndarray:
    """ "Total" / "Grand total" date cells, and a blank-dated row whose revenue is the other rows' sum
    (GA4's grand-total row); any other blank-dated row stays a "missing date"."""
    total = matches_total(dates.astype("str").where(dates.notna(), ""))
    candidates = blank.to_numpy() & ~dropped & revenue.notna().to_numpy()
    others = revenue[~candidates & ~total & ~dropped].sum()
    tolerance = max(abs(others) * TOTAL_TOLERANCE, 0.01)
    return total | (candidates & (np.abs(revenue.to_numpy() - others) <= tolerance))


def _sum_days(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per day: rows sharing a date are summed (orders stay NaN only when every row's is unknown)."""
    daily = rows.groupby("date", sort=True)[["revenue", "orders"]].sum(min_count=1).reset_index()
    return daily.astype({"date": "datetime64[ns]", "revenue": "float64", "orders": "float64"})


def _validate(frame: pd.DataFrame) -> pd.DataFrame:
    """The boundary check; cleaning already removed bad rows, so a failure here is reported, not hidden."""
    try:
        return SALES.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        case = exc.failure_cases.iloc[0]
        raise IngestError(
            f"The cleaned sales table failed the check {case['check']} on column {case['column']}."
        ) from exc
