"""Campaign aggregation (filter, then group-by sums) run where it is fastest for the data's size.

An in-memory frame, and a data set below DUCKDB_MIN_ROWS, stays on the simple pandas path (pipeline.filters +
pipeline.campaigns.cube.rollup). A bigger campaigns.parquet is aggregated by DuckDB SQL straight from the file, so
the server need not load or hold the raw rows. engine="duckdb" also scans an in-memory frame in place.
Both paths return the same frame: `by` columns as strings (dates as
datetime64), float sums of every measure, and `rows` (int64), sorted by `by`. Filter values are always
bound as SQL parameters; column names come only from the schema's closed lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import config, kpis
from pipeline.campaigns import cube
from pipeline.filters import CAMPAIGN_FILTER_COLUMNS, CampaignFilter, apply_campaign_filter, distinct_values
from pipeline.inputs.demo import read_campaigns
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES

PARQUET_FILE = config.CAMPAIGNS_PARQUET
# From make bench (bench/results.md, "pandas vs DuckDB", 2 shared cores). On an in-memory frame neither engine
# wins outright: at 10M a KPI breakdown takes 0.43 s in pandas vs 0.31 s in DuckDB, but the overview's
# day-level cube takes 1.3 s vs 2.0 s; at 1M pandas is as fast or faster. So a loaded frame stays on pandas.
# From disk, DuckDB over Parquet answers at 10M in ~0.35 s without pandas' 6-9 s load and 0.68 GB frame;
# below 2M rows the frame is small (68 MB per 1M rows) and loaded once, so the simple path wins.
DUCKDB_MIN_ROWS = 2_000_000
ENGINES = ("auto", "pandas", "duckdb")
# Missing dimension values read as this, as pipeline.inputs.demo.tidy_campaigns does.
MISSING_LABEL = config.MISSING_LABEL

CampaignSource = pd.DataFrame | Path | str
# No restriction; a module-level default so signatures do not build one per call.
EVERYTHING = CampaignFilter()
_connection: Any = None


class EngineError(ValueError):
    """A bad request: unknown engine or column, or no Parquet file for DuckDB."""


def parquet_path(source: Path | str) -> Path:
    """campaigns.parquet inside a data directory, or the file itself when given a .parquet path."""
    path = Path(source)
    return path if path.suffix == ".parquet" else path / PARQUET_FILE


def parquet_rows(path: Path) -> int:
    """Row count from the Parquet footer (no data is read)."""
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def choose_engine(source: CampaignSource, min_rows: int = DUCKDB_MIN_ROWS) -> str:
    """The engine for `source`: DuckDB for a Parquet file of at least `min_rows` rows, else pandas
    (an in-memory frame is already loaded, and pandas is as fast as DuckDB on it)."""
    if isinstance(source, pd.DataFrame):
        return "pandas"
    path = parquet_path(source)
    if path.is_file() and parquet_rows(path) >= min_rows:
        return "duckdb"
    return "pandas"


def _check_by(by: Sequence[str]) -> list[str]:
    unknown = [column for column in by if column not in CAMPAIGN_DIMENSIONS]
    if unknown:
        raise EngineError(f"Cannot group by {', '.join(unknown)}; use one of {', '.join(CAMPAIGN_DIMENSIONS)}.")
    return list(by)


def _normalise(sums: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One output shape for both engines: string dims, datetime dates, float sums, int64 rows, sorted."""
    out = sums.copy()
    for column in by:
        if column == "date":
            out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        else:
            out[column] = out[column].astype("string").fillna(MISSING_LABEL).astype(str)
    measures = kpis.measures_in(out)
    out[measures] = out[measures].astype("float64")
    out["rows"] = out["rows"].astype("int64")
    out = out[[*by, *measures, "rows"]]
    return out.sort_values(by, kind="stable").reset_index(drop=True) if by else out.reset_index(drop=True)


def check_dimensions(by: Sequence[str]) -> list[str]:
    """`by` as a list; EngineError unless every column is one of CAMPAIGN_DIMENSIONS."""
    return _check_by(by)


def normalise_sums(sums: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The engines' one output shape (module docstring) for sums computed elsewhere, e.g. by pipeline.scale.backends."""
    return _normalise(sums, _check_by(by))


def _pandas_sums(frame: pd.DataFrame, spec: CampaignFilter, by: list[str]) -> pd.DataFrame:
    missing = [column for column in by if column not in frame.columns]
    if missing:
        raise EngineError(f"The data has no {', '.join(missing)} column to group by.")
    filtered = apply_campaign_filter(frame, spec)
    return cube.rollup(filtered[[*by, *kpis.measures_in(filtered)]], by)


def _where(spec: CampaignFilter, columns: set[str]) -> tuple[str, list[object]]:
    """A WHERE clause with ? placeholders and its parameters (values are never put into the SQL text)."""
    clauses: list[str] = []
    params: list[object] = []
    if spec.start is not None:
        clauses.append('"date" >= ?')
        params.append(pd.Timestamp(spec.start).to_pydatetime())
    if spec.end is not None:
        clauses.append('"date" < ?')
        params.append((pd.Timestamp(spec.end) + pd.Timedelta(days=1)).to_pydatetime())
    for field, column in CAMPAIGN_FILTER_COLUMNS.items():
        values = getattr(spec, field)
        if values is None or column not in columns:
            continue  # no restriction, as pipeline.filters does for a missing column
        clauses.append(f"list_contains(?, coalesce(\"{column}\"::VARCHAR, '{MISSING_LABEL}'))")
        params.append([str(value) for value in values])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _duckdb_cursor() -> Any:
    """A cursor on one shared in-memory DuckDB database: connecting costs ~40 ms, a cursor almost nothing,
    and a cursor per call is DuckDB's way to serve concurrent threads (one per Streamlit session)."""
    import duckdb

    global _connection
    if _connection is None:
        _connection = duckdb.connect()
    return _connection.cursor()


def parquet_columns(path: Path) -> set[str]:
    """Column names from the Parquet footer."""
    import pyarrow.parquet as pq

    return set(pq.ParquetFile(path).schema_arrow.names)


def _duckdb_sums(source: pd.DataFrame | Path, spec: CampaignFilter, by: list[str]) -> pd.DataFrame:
    """The sums in DuckDB, scanning campaigns.parquet or (zero-copy) an in-memory frame."""
    if isinstance(source, pd.DataFrame):
        columns = set(source.columns)
    elif source.is_file():
        columns = parquet_columns(source)
    else:
        raise EngineError(f"No {PARQUET_FILE} at {source.parent} for the DuckDB engine.")
    missing = [column for column in by if column not in columns]
    if missing:
        raise EngineError(f"The data has no {', '.join(missing)} column to group by.")
    measures = [m for m in CAMPAIGN_MEASURES if m in columns]
    dims = [f'coalesce("{c}"::VARCHAR, \'{MISSING_LABEL}\') AS "{c}"' if c != "date" else '"date"' for c in by]
    sums = [f'coalesce(sum("{m}"), 0)::DOUBLE AS "{m}"' for m in measures]
    where, params = _where(spec, columns)
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(by)))}" if by else ""
    table = "campaigns_frame" if isinstance(source, pd.DataFrame) else "read_parquet(?)"
    sql = f"SELECT {', '.join([*dims, *sums, 'count(*) AS rows'])} FROM {table}{where}{group}"
    cursor = _duckdb_cursor()
    try:
        if isinstance(source, pd.DataFrame):
            cursor.register("campaigns_frame", source)  # a view on this cursor only; no copy of the rows
            return cursor.execute(sql, params).df()
        return cursor.execute(sql, [str(source), *params]).df()
    finally:
        cursor.close()


def sum_campaigns(
    source: CampaignSource, spec: CampaignFilter = EVERYTHING, by: Sequence[str] = (), engine: str = "auto"
) -> pd.DataFrame:
    """Σ of each measure (and the input `rows`) per group of `by` over the rows matching `spec`.

    `source` is an in-memory campaign frame or a data directory / .parquet path. With engine="auto"
    (choose_engine), DuckDB reads a Parquet file of at least DUCKDB_MIN_ROWS rows without loading it;
    anything else runs in pandas. `engine` forces "pandas" or "duckdb" (DuckDB also scans a frame in place).
    With no `by`, one row of totals (zeros when nothing matches). Raises EngineError for bad requests.
    """
    if engine not in ENGINES:
        raise EngineError(f"Unknown engine {engine!r}; use one of {', '.join(ENGINES)}.")
    by = _check_by(by)
    chosen = choose_engine(source) if engine == "auto" else engine
    if chosen == "duckdb":
        scanned = source if isinstance(source, pd.DataFrame) else parquet_path(source)
        return _normalise(_duckdb_sums(scanned, spec, by), by)
    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        path = Path(source)
        frame = read_campaigns(path.parent if path.suffix == ".parquet" else path)
    return _normalise(_pandas_sums(frame, spec, by), by)


def aggregate_campaigns(
    source: CampaignSource, spec: CampaignFilter = EVERYTHING, by: Sequence[str] = (), engine: str = "auto"
) -> pd.DataFrame:
    """sum_campaigns plus every ratio-of-sums KPI (pipeline.kpis.add_ratios: CTR, CVR, CPC, CPA, CPM,
    ROAS, ROI, ...). A zero denominator gives NaN, never inf."""
    return kpis.add_ratios(sum_campaigns(source, spec, by, engine))


def filter_options_frame(source: CampaignSource) -> pd.DataFrame:
    """A small frame with the same filter choices as the data: every distinct value of each filter column
    and the first and last date, so ui/filters.campaign_filters can build the sidebar for a big Parquet set
    without loading its rows. Not data: its measures are absent and its rows are not real combinations."""
    columns = ["date", *CAMPAIGN_FILTER_COLUMNS.values()]
    if isinstance(source, pd.DataFrame):
        present = [c for c in columns if c in source.columns]
        values = {c: distinct_values(source[c]) for c in present if c != "date"}
        first, last = source["date"].min(), source["date"].max()
    else:
        path = parquet_path(source)
        if not path.is_file():
            raise EngineError(f"No {PARQUET_FILE} at {path.parent}.")
        present = [c for c in columns if c in parquet_columns(path)]
        cursor = _duckdb_cursor()
        try:
            values = {
                c: [row[0] for row in cursor.execute(_distinct_sql(c), [str(path)]).fetchall()]
                for c in present
                if c != "date"
            }
            first, last = cursor.execute('SELECT min("date"), max("date") FROM read_parquet(?)', [str(path)]).fetchone()
        finally:
            cursor.close()
    length = max([2, *(len(v) for v in values.values())])
    out = {"date": pd.to_datetime([first] + [last] * (length - 1)).astype("datetime64[ns]")}
    for column, distinct in values.items():
        cycled = [distinct[i % len(distinct)] for i in range(length)] if distinct else [MISSING_LABEL] * length
        out[column] = pd.Categorical(cycled, categories=distinct or [MISSING_LABEL])
    return pd.DataFrame(out)


def _distinct_sql(column: str) -> str:
    return f"SELECT DISTINCT coalesce(\"{column}\", '{MISSING_LABEL}') FROM read_parquet(?) ORDER BY 1"
