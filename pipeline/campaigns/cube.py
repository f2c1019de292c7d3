"""Overview-page logic for campaign analysts: rankings, cost matrices, correlation,
platform comparison and anomaly flags. Every aggregate is a ratio of sums (pipeline.kpis)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from pipeline import kpis
from pipeline.filters import CAMPAIGN_FILTER_COLUMNS, CampaignFilter, apply_campaign_filter

# A campaign needs this many clicks before its CVR is worth ranking: 1 click and
# 1 conversion is a 100% CVR that means nothing.
MIN_CLICKS_FOR_CVR = 100
# |z| at or above this, against the campaign's own rolling baseline, is flagged.
ANOMALY_Z = 2.5
# The baseline window in calendar days; the day being judged is never part of it.
ANOMALY_WINDOW_DAYS = 30
# Fewer prior days than this and the baseline is too thin to judge a day.
ANOMALY_MIN_HISTORY = 7
FLAG_NAMES = {"spend": "Spend", "cpa": "CPA"}
NO_CONVERSIONS_FLAG = "Spend, no conversions"
SIDE_BY_SIDE_PLATFORMS = ("Meta", "TikTok")
SIDE_BY_SIDE_METRICS = (
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "revenue",
    "ctr",
    "cvr",
    "cpc",
    "cpa",
    "cpm",
    "roas",
)
SCATTER_LEVELS = {"campaign": ("platform", "campaign"), "campaign_day": ("platform", "campaign", "date")}
# The overview's working grain: every chart on the page is a roll-up of these keys.
CUBE_KEYS = ("platform", "campaign", "device", "date")
# The daily totals' grain: every filter column but the campaign, so KPI tiles and the trend can be cut
# from a few thousand rows for any filter that picks no campaigns (about 40k rows at 10M raw rows).
SUMMARY_KEYS = ("platform", "device", "campaign_type", "content_type", "date")
# Above this many possible key combinations the dense bincount would need too much memory.
MAX_DENSE_CELLS = 20_000_000
_DAY_NS = 86_400 * 10**9


def _key_codes(column: pd.Series) -> tuple[np.ndarray, tuple[str, object], int]:
    """(int codes, how to decode them, number of codes) for one grouping column; missing values last."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        size = len(column.cat.categories)
        return np.where(codes < 0, size, codes), ("categories", column.cat.categories), size + 1
    if pd.api.types.is_datetime64_any_dtype(column) and len(column) and column.notna().all():
        ticks = column.to_numpy().astype("datetime64[ns]").astype(np.int64)
        if not (ticks % _DAY_NS).any():  # whole days: the day number is the code, no hashing needed
            first = int(ticks.min())
            size = int((ticks.max() - first) // _DAY_NS) + 1
            return (ticks - first) // _DAY_NS, ("days", (first, column.dtype)), size
    codes, uniques = pd.factorize(column, sort=True)
    codes = codes.astype(np.int64)
    return np.where(codes < 0, len(uniques), codes), ("values", pd.Index(uniques)), len(uniques) + 1


def _decode(codes: np.ndarray, how: tuple[str, object]) -> object:
    """Group values back from their codes; the extra "missing" code decodes to a missing value."""
    kind, detail = how
    if kind == "days":
        first, dtype = detail
        return pd.Series(first + codes * _DAY_NS, dtype="int64").astype("datetime64[ns]").astype(dtype).to_numpy()
    padded = np.where(codes >= len(detail), -1, codes)
    if kind == "categories":
        return pd.Categorical.from_codes(padded, categories=detail)
    return detail.take(padded, allow_fill=True, fill_value=None)


def rollup(frame: pd.DataFrame, by: Sequence[str] = (), measures: Sequence[str] | None = None) -> pd.DataFrame:
    """Σ of each measure per group of `by`, as kpis.sum_measures gives (same columns, order and
    observed groups), with one bincount per measure instead of a hash group-by (about 2-3x faster).

    `rows` counts input rows, or sums an existing `rows` column, so a roll-up of a roll-up
    still counts the original rows. Dimensions come back categorical when they went in so.
    `measures` limits which measures are summed (default: every measure present).
    """
    if measures is not None:
        frame = frame[[*by, *[m for m in measures if m in frame.columns], *(["rows"] if "rows" in frame else [])]]
    if not by or frame.empty:
        sums = kpis.sum_measures(frame, by)
        if "rows" in frame.columns and not by:
            sums["rows"] = int(frame["rows"].sum())
        return sums
    keys = [_key_codes(frame[key]) for key in by]
    cells = float(np.prod([float(size) for _, _, size in keys]))
    if cells > MAX_DENSE_CELLS:
        return _rollup_by_hash(frame, list(by))
    combined = np.zeros(len(frame), dtype=np.int64)
    for codes, _, size in keys:
        combined = combined * size + codes
    cells = int(cells)
    present = np.flatnonzero(np.bincount(combined, minlength=cells))
    out: dict[str, object] = {}
    remainder = present
    parts = []
    for _, how, size in reversed(keys):
        parts.append((remainder % size, how))
        remainder = remainder // size
    for key, (codes, how) in zip(by, reversed(parts), strict=True):
        out[key] = _decode(codes, how)
    for measure in kpis.measures_in(frame):
        weights = frame[measure].to_numpy(dtype="float64", na_value=0.0)
        out[measure] = np.bincount(combined, weights=weights, minlength=cells)[present]
    rows_in = frame["rows"].to_numpy(dtype="float64") if "rows" in frame.columns else None
    out["rows"] = np.bincount(combined, weights=rows_in, minlength=cells)[present].astype(np.int64)
    return pd.DataFrame(out)


def _rollup_by_hash(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The group-by fallback for very many key combinations."""
    sums = kpis.sum_measures(frame, by)
    if "rows" in frame.columns:
        sums["rows"] = frame.groupby(by, observed=True, sort=True, dropna=False)["rows"].sum().to_numpy()
    return sums


def computable(metrics: Sequence[str], columns: Sequence[str]) -> list[str]:
    """The metrics (measures or kpis.RATIOS names, or "roi") that `columns` have the inputs for, in order.

    An export without clicks has no CTR, CVR or CPC: those are left out rather than shown as 0.
    """
    present = set(columns)
    inputs = {name: {num, den} for name, (num, den, _) in kpis.RATIOS.items()} | {"roi": {"revenue", "spend"}}
    return [m for m in metrics if (inputs[m] <= present if m in inputs else m in present)]


def cube(frame: pd.DataFrame, keys: Sequence[str] = CUBE_KEYS) -> pd.DataFrame:
    """The rows rolled up to `keys` (those present; by default platform x campaign x device x day), with Σrows.

    Every overview view is a roll-up of this, so it replaces the raw rows downstream.
    """
    return rollup(frame, [key for key in keys if key in frame.columns])


def cube_serves(spec: CampaignFilter, columns: Sequence[str], keys: Sequence[str] = CUBE_KEYS) -> bool:
    """True when filtering cube(rows, keys) by `spec` gives the cube of the filtered rows: every column
    `spec` restricts is one of `keys` (or absent from the data, where the filter is a no-op). Dates are
    always keys. Restricting e.g. content_type, which varies below the default cube's grain, needs the rows."""
    present = set(columns)
    kept = {key for key in keys if key in present}
    return all(
        getattr(spec, field) is None or column in kept or column not in present
        for field, column in CAMPAIGN_FILTER_COLUMNS.items()
    )


def filtered_cube(full_cube: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """cube(apply_campaign_filter(rows, spec), keys) computed from cube(rows, keys) alone; only valid when
    cube_serves(spec, rows.columns, keys). Much faster at 10M rows: no raw rows are read or regrouped."""
    if spec == CampaignFilter():
        return full_cube
    return apply_campaign_filter(full_cube, spec).reset_index(drop=True)


def kpi_table(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """kpis.kpi_table on the fast roll-up: sums and ratio-of-sums KPIs per group."""
    return kpis.add_ratios(rollup(frame, by))


def partial_periods(periods: pd.Series, freq: str, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """True for each trend bucket (its start date, as kpis.trend gives) that [start, end] covers only
    in part, e.g. a week cut by the date range. Its sums look like a dip but are just fewer days."""
    if freq not in kpis.FREQUENCIES:
        raise ValueError(f"freq must be one of {sorted(kpis.FREQUENCIES)}, got {freq!r}")
    buckets = pd.DatetimeIndex(periods).to_period(kpis.FREQUENCIES[freq])
    first = buckets.start_time
    last = buckets.end_time.normalize()
    covered_from = first.where(first > pd.Timestamp(start), pd.Timestamp(start))
    covered_to = last.where(last < pd.Timestamp(end), pd.Timestamp(end))
    return np.asarray((covered_to - covered_from).days < (last - first).days)


def top_campaigns_by_cvr(frame: pd.DataFrame, min_clicks: float = MIN_CLICKS_FOR_CVR, limit: int = 10) -> pd.DataFrame:
    """Campaigns ranked by CVR = Σconversions/Σclicks, among those with at least `min_clicks` clicks.

    Ties are broken by more conversions. Campaigns below the threshold are left out, not
    ranked last. Returns the kpi_table columns for at most `limit` campaigns.
    """
    table = kpi_table(frame, ["campaign"])
    if table.empty:
        return table
    eligible = table[(table["clicks"] >= min_clicks) & table["cvr"].notna()]
    ranked = eligible.sort_values(["cvr", "conversions"], ascending=[False, False], kind="stable")
    return ranked.head(limit).reset_index(drop=True)


def cost_matrix(
    frame: pd.DataFrame, metric: str = "cpa", rows: str = "platform", columns: str = "device"
) -> pd.DataFrame:
    """`metric` (a ratio of sums, e.g. CPA = Σspend/Σconversions) for each rows x columns cell.

    Index = the `rows` values, columns = the `columns` values; NaN where the cell has no data
    or a zero denominator.
    """
    if metric not in kpis.RATIOS:
        raise ValueError(f"metric must be one of {sorted(kpis.RATIOS)}, got {metric!r}")
    table = kpi_table(frame, [rows, columns])
    if table.empty:
        return pd.DataFrame(dtype="float64")
    matrix = table.pivot(index=rows, columns=columns, values=metric)
    matrix.index = matrix.index.astype(str)
    matrix.columns = matrix.columns.astype(str)
    return matrix.rename_axis(index=rows, columns=columns)


def spend_conversion_points(frame: pd.DataFrame, level: str = "campaign") -> pd.DataFrame:
    """Σspend and Σconversions per campaign ("campaign") or per campaign and day ("campaign_day")."""
    if level not in SCATTER_LEVELS:
        raise ValueError(f"level must be one of {sorted(SCATTER_LEVELS)}, got {level!r}")
    by = [column for column in SCATTER_LEVELS[level] if column in frame.columns]
    sums = rollup(frame, by)
    return sums[[*by, "spend", "conversions"]] if not sums.empty else sums


def correlation(x: pd.Series, y: pd.Series) -> float:
    """Pearson's r between x and y; NaN with fewer than 3 points or when either side is constant."""
    xs = np.asarray(x, dtype="float64")
    ys = np.asarray(y, dtype="float64")
    keep = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[keep], ys[keep]
    if len(xs) < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return float("nan")
    return float(np.corrcoef(xs, ys)[0, 1])


def compare_platforms(
    frame: pd.DataFrame,
    platforms: Sequence[str] = SIDE_BY_SIDE_PLATFORMS,
    metrics: Sequence[str] = SIDE_BY_SIDE_METRICS,
) -> pd.DataFrame:
    """One row per metric, one column per platform (sums and ratios of sums).

    A platform with no rows gets a column of NaN, so the layout never changes shape.
    """
    subset = frame[frame["platform"].isin(list(platforms))]
    table = kpi_table(subset, ["platform"])
    table = table.assign(platform=table["platform"].astype(str)).set_index("platform")
    table = table.reindex(list(platforms))
    present = [metric for metric in metrics if metric in table.columns]
    return table[present].T.rename_axis(index="metric", columns="platform").astype("float64")


def _wide_daily(frame: pd.DataFrame) -> tuple[pd.DatetimeIndex, pd.DataFrame, np.ndarray, np.ndarray]:
    """(days, series, spend, conversions): daily sums as calendar-day x series matrices, NaN where a
    series has no row that day. A series is one campaign on one platform (one campaign when there is no
    platform column), so a campaign's flags never depend on which other platforms or campaigns are
    selected. `series` holds each column's platform and campaign as strings."""
    keys = [key for key in ("platform", "campaign") if key in frame.columns]
    daily = rollup(frame, [*keys, "date"], measures=("spend", "conversions"))
    combined = np.zeros(len(daily), dtype=np.int64)
    for key in keys:
        codes, uniques = pd.factorize(daily[key])
        combined = combined * (len(uniques) + 1) + codes
    series_codes, uniques = pd.factorize(combined, sort=True)
    first_row = np.zeros(len(uniques), dtype=np.int64)
    first_row[series_codes[::-1]] = np.arange(len(daily))[::-1]
    series = pd.DataFrame({key: daily[key].to_numpy()[first_row].astype(str) for key in keys})
    if "platform" not in series:
        series["platform"] = pd.Series(pd.NA, index=series.index, dtype="str")
    first, last = daily["date"].min(), daily["date"].max()
    days = pd.date_range(first, last, freq="D")
    day_codes = ((daily["date"] - first) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    matrices = []
    for measure in ("spend", "conversions"):
        matrix = np.full((len(days), len(series)), np.nan)
        matrix[day_codes, series_codes] = daily[measure].to_numpy()
        matrices.append(matrix)
    return days, series, matrices[0], matrices[1]


def anomaly_basis(spec: CampaignFilter) -> CampaignFilter:
    """The part of `spec` that changes a series' daily values (devices, campaign and content types).
    Platforms, campaigns and dates only pick which series and days are reported, so
    anomaly_flags(cube(rows matching spec), start, end) equals the flags of cube(rows matching
    anomaly_basis(spec)) cut by apply_campaign_filter(flags, spec): one computation serves every
    platform, campaign and date selection."""
    return replace(spec, start=None, end=None, platforms=None, campaigns=None)


def _rolling_z(values: np.ndarray, window: int, min_history: int) -> tuple[np.ndarray, np.ndarray]:
    """(baseline mean, z) of each cell against the previous `window` rows of its own column.

    Running sums over the rows make this one vectorised pass for every column at once; each
    column is centred first so the sum of squares keeps its precision.
    """
    valid = np.isfinite(values)
    filled = np.where(valid, values, 0.0)
    days_with_data = valid.sum(axis=0)
    centre = filled.sum(axis=0) / np.maximum(days_with_data, 1)
    centred = np.where(valid, filled - centre, 0.0)

    def previous_window_sum(matrix: np.ndarray) -> np.ndarray:
        running = np.vstack([np.zeros((1, matrix.shape[1])), np.cumsum(matrix, axis=0)])
        rows = np.arange(matrix.shape[0])
        return running[rows] - running[np.maximum(rows - window, 0)]

    count = previous_window_sum(valid.astype("float64"))
    total = previous_window_sum(centred)
    squares = previous_window_sum(centred**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / count
        variance = (squares - count * mean**2) / (count - 1)
        spread = np.sqrt(np.clip(variance, 0.0, None))
        enough = count >= max(min_history, 2)
        baseline = np.where(enough, mean + centre, np.nan)
        z = np.where(enough & (spread > 1e-12 * (np.abs(mean + centre) + 1.0)), (centred - mean) / spread, np.nan)
    return baseline, np.where(valid, z, np.nan)


def anomaly_flags(
    frame: pd.DataFrame,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    window: int = ANOMALY_WINDOW_DAYS,
    threshold: float = ANOMALY_Z,
    min_history: int = ANOMALY_MIN_HISTORY,
) -> pd.DataFrame:
    """Campaign-days whose spend or CPA breaks away from the campaign's own rolling baseline,
    and campaign-days with spend but no conversions. A campaign run on two platforms is two series.

    Baseline = mean of the previous `window` calendar days (the day itself excluded, at least
    `min_history` days with data); z = (value − baseline) / std of those days (sample std).
    A day is flagged when |z| >= `threshold`. Daily CPA = Σspend/Σconversions of that day
    (undefined on a day with no conversions, which is flagged separately when spend > 0).
    Flags read "Spend above baseline", "CPA below baseline", "Spend, no conversions".
    Pass the frame unfiltered by date so that early days have history;
    `start`/`end` (inclusive days) limit which days are reported. Value and baseline are money.

    Columns: date, campaign, platform, flag, value, baseline, z, spend, conversions;
    newest first, then by |z|.
    """
    columns = ["date", "campaign", "platform", "flag", "value", "baseline", "z", "spend", "conversions"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    days, series, spend, conversions = _wide_daily(frame)
    with np.errstate(divide="ignore", invalid="ignore"):
        cpa = np.where(conversions > 0, spend / conversions, np.nan)
    in_range = np.ones(len(days), dtype=bool)
    if start is not None:
        in_range &= days >= pd.Timestamp(start)
    if end is not None:
        in_range &= days < pd.Timestamp(end) + pd.Timedelta(days=1)
    parts = []
    for metric, values in (("spend", spend), ("cpa", cpa)):
        baseline, z = _rolling_z(values, window, min_history)
        with np.errstate(invalid="ignore"):
            rows, cols = np.nonzero((np.abs(z) >= threshold) & in_range[:, None])
        hits = z[rows, cols]
        name = FLAG_NAMES[metric]
        flag = np.where(hits > 0, f"{name} above baseline", f"{name} below baseline")
        parts.append((rows, cols, flag, values[rows, cols], baseline[rows, cols], hits))
    rows, cols = np.nonzero((spend > 0) & (conversions == 0) & in_range[:, None])
    nothing = np.full(len(rows), np.nan)
    parts.append((rows, cols, NO_CONVERSIONS_FLAG, spend[rows, cols], nothing, nothing))
    out = pd.concat(
        [
            pd.DataFrame(
                {
                    "date": days[rows],
                    "campaign": series["campaign"].to_numpy()[cols],
                    "platform": series["platform"].to_numpy()[cols],
                    "flag": flag,
                    "value": value,
                    "baseline": base,
                    "z": z,
                    "spend": spend[rows, cols],
                    "conversions": conversions[rows, cols],
                }
            )
            for rows, cols, flag, value, base, z in parts
        ],
        ignore_index=True,
    )
    order = out.assign(_abs=out["z"].abs()).sort_values(["date", "_abs"], ascending=[False, False], kind="stable")
    return order[columns].reset_index(drop=True)
