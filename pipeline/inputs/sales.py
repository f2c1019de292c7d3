"""The business's own daily sales in a data folder (`sales.csv`): what a media mix model explains.

The file goes through the same ingestion as an upload, so the generator's `date,revenue,orders`, a shop's
daily report or a GA4 export saved as sales.csv all load. Sales are the shop's or GA4's figures, never
platform-attributed revenue (which over-counts): a campaign table saved as sales.csv is refused.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import config
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import IngestResult, ingest


def read_sales(directory: Path) -> IngestResult | None:
    """The ingested `sales.csv` of `directory` with its account of dropped rows; None when there is none.

    Raises IngestError (one sentence) when the file exists but is unusable or is not a sales table."""
    path = Path(directory) / config.SALES_FILE
    if not path.is_file():
        return None
    result = ingest(path)
    if result.kind != "sales":
        raise IngestError(
            f"{path} looks like a {result.kind} table, not daily sales: it needs a date and a revenue column "
            "and no ad-platform columns such as spend or clicks."
        )
    return result


def load_sales(directory: Path) -> pd.DataFrame | None:
    """Daily sales of `directory` (columns date, revenue, orders; one row per day, sorted by date, schema
    pipeline.schemas.SALES), or None when the folder has no sales.csv. Raises IngestError as read_sales."""
    result = read_sales(directory)
    return None if result is None else result.frame.sort_values("date", ignore_index=True)


def daily_sales(frame: pd.DataFrame) -> pd.DataFrame:
    """Every calendar day from the first to the last date, in order; a day the file does not have gets NaN
    revenue and orders (unknown, not zero: the caller decides whether to drop or fill it). Does not mutate
    `frame`; an empty frame gives an empty one with the same columns."""
    if frame.empty:
        return frame.loc[:, ["date", "revenue", "orders"]].copy()
    days = pd.date_range(frame["date"].min(), frame["date"].max(), freq="D", name="date")
    return (
        frame.loc[:, ["date", "revenue", "orders"]]
        .set_index("date")
        .reindex(days)
        .reset_index()
        .astype({"date": "datetime64[ns]", "revenue": "float64", "orders": "float64"})
    )


def missing_days(frame: pd.DataFrame) -> int:
    """How many calendar days between the first and last date the sales frame lacks (0 for an empty frame)."""
    return len(daily_sales(frame)) - len(frame)
