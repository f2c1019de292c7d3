"""Campaign sums (filter, then Σ of every measure per group): in pandas on a loaded frame, and as one Ibis
expression run by a backend (pipeline.scale.backends: DuckDB, Spark, PostgreSQL).

Both return the same frame: `by` columns as strings (missing values as config.MISSING_LABEL, dates as
datetime64), float sums of every measure, and `rows` (int64), sorted by `by`. With no `by`, one row of
totals (zeros when nothing matches). Column names come only from the schema's closed lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline import config, kpis
from pipeline.campaigns import cube
from pipeline.filters import CAMPAIGN_FILTER_COLUMNS, CampaignFilter, apply_campaign_filter
from pipeline.inputs import demo
from pipeline.scale import backends
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES

if TYPE_CHECKING:  # importing ibis costs ~0.5 s; only the functions that use it import it
    import ibis.expr.types as ir

# No restriction; a module-level default so signatures do not build one per call.
EVERYTHING = CampaignFilter()


class GroupingError(ValueError):
    """A grouping the campaign data cannot give: an unknown dimension, or a column the data lacks."""


def check_dimensions(by: Sequence[str]) -> list[str]:
    """`by` as a list; GroupingError unless every column is one of CAMPAIGN_DIMENSIONS."""
    unknown = [column for column in by if column not in CAMPAIGN_DIMENSIONS]
    if unknown:
        raise GroupingError(f"Cannot group by {', '.join(unknown)}; use one of {', '.join(CAMPAIGN_DIMENSIONS)}.")
    return list(by)


def _check_present(by: Sequence[str], columns: Sequence[str]) -> None:
    missing = [column for column in by if column not in columns]
    if missing:
        raise GroupingError(f"The data has no {', '.join(missing)} column to group by.")


def normalise_sums(sums: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The one output shape (module docstring) for sums from either engine: string dims, datetime dates, float
    sums, int64 rows, sorted by `by`."""
    by = check_dimensions(by)
    out = sums.copy()
    for column in by:
        if column == "date":
            out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        else:
            out[column] = out[column].astype("string").fillna(config.MISSING_LABEL).astype(str)
    measures = kpis.measures_in(out)
    out[measures] = out[measures].astype("float64")
    out["rows"] = out["rows"].astype("int64")
    out = out[[*by, *measures, "rows"]]
    return out.sort_values(by, kind="stable").reset_index(drop=True) if by else out.reset_index(drop=True)


# ---------------------------------------------------------------- pandas


def frame_sums(frame: pd.DataFrame, spec: CampaignFilter = EVERYTHING, by: Sequence[str] = ()) -> pd.DataFrame:
    """Σ of each measure and `rows` per group of `by` over the rows of a loaded campaign frame matching `spec`
    (pipeline.filters), in pandas: the reference the backends' sums are checked against. The frame is not
    changed. Raises GroupingError for an unknown or absent grouping column."""
    by = check_dimensions(by)
    _check_present(by, frame.columns)
    filtered = apply_campaign_filter(frame, spec)
    # cube.rollup: the same sums as kpis.sum_measures, 2-3x faster (the overview's own path)
    return normalise_sums(cube.rollup(filtered[[*by, *kpis.measures_in(filtered)]], by), by)


# ---------------------------------------------------------------- Ibis (any backend)


def campaign_predicates(table: ir.Table, spec: CampaignFilter) -> list[Any]:
    """Ibis predicates for `spec`, as pipeline.filters applies it: start <= date < end + 1 day; a filter on a
    column the table lacks restricts nothing; a missing value matches config.MISSING_LABEL."""
    import ibis

    predicates = backends.day_predicates(table["date"], spec.start, spec.end)
    for name, column in CAMPAIGN_FILTER_COLUMNS.items():
        values = getattr(spec, name)
        if values is None or column not in table.columns:
            continue
        if not values:
            predicates.append(ibis.literal(False))  # an empty choice selects nothing
            continue
        labels = table[column].cast("string").fill_null(config.MISSING_LABEL)
        predicates.append(labels.isin([str(value) for value in values]))
    return predicates


def campaign_sums_expr(table: ir.Table, spec: CampaignFilter = EVERYTHING, by: Sequence[str] = ()) -> ir.Table:
    """The one Ibis expression behind campaign_sums: filter, group by `by`, Σ of every measure, row count."""
    by = list(by)
    _check_present(by, table.columns)
    predicates = campaign_predicates(table, spec)
    filtered = table.filter(*predicates) if predicates else table
    measures = [m for m in CAMPAIGN_MEASURES if m in table.columns]
    metrics = {m: filtered[m].cast("float64").sum().fill_null(0.0) for m in measures}
    metrics["rows"] = filtered.count()
    if not by:
        return filtered.aggregate(**metrics)
    keys = {c: filtered[c] if c == "date" else filtered[c].cast("string").fill_null(config.MISSING_LABEL) for c in by}
    return filtered.group_by(**keys).aggregate(**metrics)


def campaign_sums(table: ir.Table, spec: CampaignFilter = EVERYTHING, by: Sequence[str] = ()) -> pd.DataFrame:
    """Σ of each measure and `rows` per group of `by` over the rows matching `spec`, computed by the table's
    engine: exactly the frame frame_sums returns for the same data. Raises GroupingError for an unknown or
    absent grouping column."""
    check_dimensions(by)
    return normalise_sums(campaign_sums_expr(table, spec, by).to_pandas(), by)


def dashboard_campaigns(settings: config.BackendSettings) -> pd.DataFrame:
    """The configured campaign table summed in its own engine to the dashboard's grain: one row per day and
    combination of the dimensions present (schemas.CAMPAIGN_DIMENSIONS), with Σ of every measure and `rows`
    (the raw rows behind each). For a daily ad-level export that is about the table's size; for finer data
    (hourly, per ad or per event) far smaller. Canonical dtypes, so every campaign page can use it as is.
    Raises config.BackendError (one sentence) when the engine or table cannot be used."""
    with backends.plain_errors(settings):
        table = backends.campaign_table(backends.connect(settings), settings)
        if "date" not in table.columns:
            raise config.BackendError("The campaign table has no date column, so there is no trend or period to show.")
        sums = campaign_sums(table, EVERYTHING, [c for c in CAMPAIGN_DIMENSIONS if c in table.columns])
    return demo.tidy_campaigns(sums)
