"""KPI engine: grouped sums first, ratios of those sums second.

An engine that can only GROUP BY and SUM (pandas, DuckDB, Spark) produces the
sums with `sum_measures`; `add_ratios` turns any frame of sums into KPIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.schemas import CAMPAIGN_MEASURES

# ratio name -> (numerator, denominator, multiplier). Lower is better for costs.
RATIOS: dict[str, tuple[str, str, float]] = {
    "ctr": ("clicks", "impressions", 1.0),
    "cvr": ("conversions", "clicks", 1.0),
    "cpc": ("spend", "clicks", 1.0),
    "cpa": ("spend", "conversions", 1.0),
    "cpm": ("spend", "impressions", 1000.0),
    "roas": ("revenue", "spend", 1.0),
    "engagement_rate": ("engagement", "impressions", 1.0),
    "cpe": ("spend", "engagement", 1.0),
}
LOWER_IS_BETTER = frozenset({"cpc", "cpa", "cpm", "cpe"})
# pandas period codes; a "W-SUN" week ends on Sunday, so it starts on Monday.
FREQUENCIES = {"day": "D", "week": "W-SUN", "month": "M"}
# The default reporting window: the data's last 28 days against the 28 before (whole weeks, as Ads Manager).
RECENT_DAYS = 28


def safe_divide(
    numerator: pd.Series | np.ndarray | float, denominator: pd.Series | np.ndarray | float
) -> pd.Series | np.ndarray | float:
    """numerator / denominator, with NaN (never inf or 0) where the denominator is 0 or missing."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # an overflow is inf, masked below
        num = np.asarray(numerator, dtype="float64")
        den = np.asarray(denominator, dtype="float64")
        result = np.where(den == 0, np.nan, num / np.where(den == 0, 1.0, den))
    result = np.where(np.isfinite(result), result, np.nan)
    if isinstance(numerator, pd.Series):
        return pd.Series(result, index=numerator.index)
    if isinstance(denominator, pd.Series):
        return pd.Series(result, index=denominator.index)
    if result.ndim:  # array in, array out (float() of a multi-element array raises)
        return result
    return float(result)


def measures_in(frame: pd.DataFrame) -> list[str]:
    """The additive measure columns present in `frame`."""
    return [m for m in CAMPAIGN_MEASURES if m in frame.columns]


def sum_measures(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Σ of each measure per group (one row, no dims, when `by` is empty); `rows` counts input rows."""
    measures = measures_in(frame)
    if not by:
        sums = frame[measures].sum().to_frame().T.astype("float64")
        sums["rows"] = len(frame)
        return sums
    grouped = frame.groupby(list(by), observed=True, sort=True, dropna=False)
    sums = grouped[measures].sum().astype("float64")
    sums["rows"] = grouped.size()
    return sums.reset_index()


def add_ratios(sums: pd.DataFrame) -> pd.DataFrame:
    """Add CTR, CVR, CPC, CPA, CPM, ROAS, ROI, engagement rate and CPE computed from sums.

    CTR = clicks/impressions, CVR = conversions/clicks, CPC = spend/clicks,
    CPA = spend/conversions, CPM = 1000·spend/impressions, ROAS = revenue/spend,
    ROI = (revenue − spend)/spend, engagement rate = engagement/impressions,
    CPE = spend/engagement. Rates are fractions (0.02 = 2%); money is in the data's
    currency. A zero denominator gives NaN. Missing inputs skip that ratio.
    """
    ratios = {}
    present = set(sums.columns)

    def values(name: str) -> np.ndarray:
        return sums[name].to_numpy(dtype="float64")

    for name, (num, den, scale) in RATIOS.items():
        if num in present and den in present:
            ratios[name] = safe_divide(values(num) * scale, values(den))
    if {"revenue", "spend"} <= present:
        ratios["roi"] = safe_divide(values("revenue") - values("spend"), values("spend"))
    # numpy arrays and one concat instead of a Series and a column insert per ratio: several
    # times faster on the small frames a dashboard rerun produces dozens of.
    kept = sums.drop(columns=[name for name in ratios if name in sums.columns])
    return pd.concat([kept, pd.DataFrame(ratios, index=sums.index)], axis=1)


def kpi_table(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Sums and ratio-of-sums KPIs per group."""
    return add_ratios(sum_measures(frame, by))


def kpi_totals(frame: pd.DataFrame) -> dict[str, float]:
    """One dict of sums and KPIs over the whole frame (NaN for undefined ratios)."""
    row = kpi_table(frame).iloc[0]
    return {key: float(value) for key, value in row.items()}


def trend(frame: pd.DataFrame, freq: str = "day", by: Sequence[str] = ()) -> pd.DataFrame:
    """KPIs per time bucket ("day", "week" starting Monday, or "month") and optional dims."""
    if freq not in FREQUENCIES:
        raise ValueError(f"freq must be one of {sorted(FREQUENCIES)}, got {freq!r}")
    bucketed = frame.assign(period=frame["date"].dt.to_period(FREQUENCIES[freq]).dt.start_time)
    return kpi_table(bucketed, ["period", *by])


@dataclass(frozen=True)
class Period:
    start: pd.Timestamp
    end: pd.Timestamp  # inclusive, day resolution

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    def previous(self) -> Period:
        """The period of equal length that ends the day before this one starts."""
        end = self.start - pd.Timedelta(days=1)
        return Period(end - pd.Timedelta(days=self.days - 1), end)


def recent_period(first: pd.Timestamp, last: pd.Timestamp, days: int = RECENT_DAYS) -> Period:
    """The last `days` days up to `last`, cut at `first` when the data is shorter."""
    end = pd.Timestamp(last).normalize()
    return Period(max(pd.Timestamp(first).normalize(), end - pd.Timedelta(days=days - 1)), end)


def data_span(frame: pd.DataFrame) -> Period:
    """The data's first to last day: the days it speaks for, zero-spend days inside included."""
    return Period(frame["date"].min().normalize(), frame["date"].max().normalize())


@dataclass(frozen=True)
class Coverage:
    """How much of `previous` (the period a delta compares with) lies inside the data's span."""

    previous: Period
    covered_days: int

    @property
    def complete(self) -> bool:
        """True when every day of the previous period is inside the data: only then is a delta honest."""
        return self.covered_days == self.previous.days


def previous_coverage(period: Period, span: Period) -> Coverage:
    """The previous period of `period` and how many of its days lie inside `span` (the data's first to last day).

    Days inside the span with no spend are real zeros and count as covered; days outside it are unknown,
    and comparing a total over them with a full period's total would show growth that never happened."""
    previous = period.previous()
    start, end = max(previous.start, span.start), min(previous.end, span.end)
    return Coverage(previous, max(int((end - start).days) + 1, 0))


def in_period(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Rows whose date falls in the period (inclusive, whole days)."""
    dates = frame["date"]
    return frame[(dates >= period.start) & (dates < period.end + pd.Timedelta(days=1))]


def compare_periods(frame: pd.DataFrame, period: Period, span: Period | None = None) -> pd.DataFrame:
    """Each KPI for `period` and the previous period of equal length.

    Columns: metric, current, previous, change (current − previous), pct_change
    (change / |previous|, NaN when previous is 0 or undefined), better (True when the
    change is good for the business: down for cost metrics, up otherwise; NaN if unknown).
    `span` is the data's first to last day (default: `frame`'s own). When the previous period is not
    wholly inside it (previous_coverage), previous, change, pct_change and better are all NaN.
    """
    current = kpi_totals(in_period(frame, period))
    span = span if span is not None else (data_span(frame) if len(frame) else period)
    covered = previous_coverage(period, span).complete
    previous = kpi_totals(in_period(frame, period.previous())) if covered else {}
    rows = []
    for metric, value in current.items():
        if metric == "rows":
            continue
        before = previous.get(metric, float("nan"))
        change = value - before if not (pd.isna(value) or pd.isna(before)) else float("nan")
        pct = safe_divide(change, abs(before)) if not pd.isna(change) else float("nan")
        better = float("nan") if pd.isna(change) or change == 0 else (change < 0) == (metric in LOWER_IS_BETTER)
        rows.append(
            {
                "metric": metric,
                "current": value,
                "previous": before,
                "change": change,
                "pct_change": pct,
                "better": better,
            }
        )
    return pd.DataFrame(rows)
