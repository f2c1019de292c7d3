"""Overview-page logic for campaign analysts: rankings, cost matrices, correlation,
platform comparison and anomaly flags. Every aggregate is a ratio of sums (pipeline.kpis)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from pipeline import kpis
from pipeline.campaigns.cube import kpi_table, rollup
from pipeline.filters import CampaignFilter

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


def _window_sum(matrix: np.ndarray, window: int) -> np.ndarray:
    """Σ of each cell's previous `window` rows in its own column (the row itself excluded)."""
    running = np.vstack([np.zeros((1, matrix.shape[1])), np.cumsum(matrix, axis=0)])
    rows = np.arange(matrix.shape[0])
    return running[rows] - running[np.maximum(rows - window, 0)]


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

    count = _window_sum(valid.astype("float64"), window)
    total = _window_sum(centred, window)
    squares = _window_sum(centred**2, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / count
        variance = (squares - count * mean**2) / (count - 1)
        spread = np.sqrt(np.clip(variance, 0.0, None))
        enough = count >= max(min_history, 2)
        baseline = np.where(enough, mean + centre, np.nan)
        z = np.where(enough & (spread > 1e-12 * (np.abs(mean + centre) + 1.0)), (centred - mean) / spread, np.nan)
    return baseline, np.where(valid, z, np.nan)


def _poisson_deviance(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Signed Poisson deviance residual: sign(x − μ)·√(2(x·ln(x/μ) − (x − μ))), near-normal even for small μ."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(observed > 0, observed * np.log(observed / expected), 0.0)
        return np.sign(observed - expected) * np.sqrt(np.clip(2.0 * (term - (observed - expected)), 0.0, None))


def _cpa_z(spend: np.ndarray, conversions: np.ndarray, window: int, min_history: int) -> tuple[np.ndarray, np.ndarray]:
    """(baseline CPA, z) of each day's CPA, judged through its conversions (days x series matrices).

    Baseline CPA = Σspend/Σconversions of the previous `window` days with spend. The day's expected
    conversions μ = spend/baseline CPA; z = −(Poisson deviance residual of the observed conversions)/√φ,
    so z > 0 means CPA above baseline. φ = the baseline days' own deviance around their pooled rate per
    degree of freedom (floored at 1): day-to-day scatter wider than Poisson widens the band. A raw CPA is
    a right-skewed ratio, so a z of it against a mean of daily ratios flags high CPAs far more often than
    low ones; counts against a Poisson expectation are symmetric. NaN where the day has no spend or no
    conversions (flagged apart), or the baseline has under `min_history` days or no conversions.
    """
    live = np.isfinite(spend) & np.isfinite(conversions) & (spend > 0)
    paid = np.where(live, spend, 0.0)
    converted = np.where(live, conversions, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(converted > 0, converted * np.log(converted / paid), 0.0)
    days, total_spend, total_conversions, own_sum = (
        _window_sum(matrix, window) for matrix in (live.astype("float64"), paid, converted, own)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = total_conversions / total_spend  # conversions per unit of money
        # Σ over the window of squared deviance residuals against the pooled rate, from running sums.
        window_deviance = 2.0 * (own_sum - total_conversions * np.log(rate))
        dispersion = np.maximum(np.clip(window_deviance, 0.0, None) / (days - 1), 1.0)
        judged = live & (converted > 0) & (days >= max(min_history, 2)) & (total_conversions > 0)
        z = -_poisson_deviance(converted, paid * rate) / np.sqrt(dispersion)
        baseline = np.where((days >= max(min_history, 2)) & (total_conversions > 0), 1.0 / rate, np.nan)
    return baseline, np.where(judged, z, np.nan)


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

    Spend: baseline = mean of the previous `window` calendar days (the day itself excluded, at least
    `min_history` days with data); z = (value − baseline) / std of those days (sample std).
    CPA (Σspend/Σconversions of the day): baseline = Σspend/Σconversions of the previous `window` days;
    z compares the day's conversions with the Poisson expectation spend/baseline CPA (see _cpa_z), so
    high and low CPAs are flagged equally often by chance. A day is flagged when |z| >= `threshold`.
    A day with spend but no conversions has no CPA and is flagged separately.
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
    scored = (("spend", spend, *_rolling_z(spend, window, min_history)),)
    scored += (("cpa", cpa, *_cpa_z(spend, conversions, window, min_history)),)
    for metric, values, baseline, z in scored:
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
