"""Split-conformal 90% prediction bands for the forecaster, on the log1p scale and monotone in the point forecast.

Each target's band is calibrated on rows its point model never saw: per bin of predicted volume
(Mondrian conformal, so low-volume lines get wider bands), the lower bound is placed so that at
most 5% of calibration rows fall below it, then the upper bound so that 90% are covered. Calibrating
the total (rather than 5% per side) matters for zero-inflated targets (conversions, revenue): when
the lower bound is 0 every zero is covered, and a per-side rule would over-cover.

Both bounds are non-decreasing functions of the point forecast, so a point forecast that is
monotonic in spend gives an interval that is monotonic in spend too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

COVERAGE = 0.90
LOWER_QUANTILE = (1 - COVERAGE) / 2
UPPER_QUANTILE = 1 - LOWER_QUANTILE
# Volume bins for the band: each needs enough rows for a stable 90% quantile.
MAX_BINS = 5
MIN_BIN_ROWS = 400


@dataclass
class Band:
    """A conformal 90% band on the log scale, as a non-decreasing function of z = log1p(point).

    Calibration rows are split into bins of z (Mondrian conformal: low-volume rows get their own,
    wider band). In bin b the band is [z − lower[b], z + upper[b]]; `floor`/`cap` then make both
    bounds non-decreasing in z across bin edges (they only ever widen the band)."""

    edges: np.ndarray  # inner bin edges on z, ascending
    lower: np.ndarray  # per bin
    upper: np.ndarray  # per bin

    def bin_of(self, z: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.edges, z, side="right")

    def low(self, z: np.ndarray) -> np.ndarray:
        """Lower bound (log scale): z − lower[bin], lowered to the lowest bound of any later bin."""
        floors = np.minimum.accumulate(np.concatenate([self.edges - self.lower[1:], [np.inf]])[::-1])[::-1]
        b = self.bin_of(z)
        return np.minimum(z - self.lower[b], floors[b])

    def high(self, z: np.ndarray) -> np.ndarray:
        """Upper bound (log scale): z + upper[bin], raised to the highest bound of any earlier bin."""
        caps = np.maximum.accumulate(np.concatenate([[-np.inf], self.edges + self.upper[:-1]]))
        b = self.bin_of(z)
        return np.maximum(z + self.upper[b], caps[b])

    def bounds(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) on the log scale for each z; both non-decreasing in z."""
        return self.low(z), self.high(z)


def _conformal_level(n: int, level: float) -> float:
    """The split-conformal quantile level ceil((n+1)·level)/n, capped at 1."""
    return min(1.0, float(np.ceil((n + 1) * level)) / n)


def _conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The split-conformal quantile of `scores`; the largest finite score when the level needs more rows."""
    if len(scores) == 0:
        return 0.0
    value = float(np.quantile(scores, _conformal_level(len(scores), level), method="higher"))
    return value if np.isfinite(value) else float(np.max(scores[np.isfinite(scores)], initial=0.0))


def calibrate_band(z: np.ndarray, y_log: np.ndarray) -> Band:
    """Split-conformal band per bin of z (equal-count bins of at least MIN_BIN_ROWS rows).

    First the lower widths (at most 5% of each bin's rows below) and their monotone repair; then, given
    those final lower bounds, the upper widths so that 90% of each bin's rows are covered."""
    n_bins = int(np.clip(len(z) // MIN_BIN_ROWS, 1, MAX_BINS))
    edges = np.unique(np.quantile(z, np.linspace(0, 1, n_bins + 1)[1:-1])) if n_bins > 1 else np.empty(0)
    band = Band(edges=edges, lower=np.zeros(len(edges) + 1), upper=np.zeros(len(edges) + 1))
    bins = band.bin_of(z)
    for b in range(len(band.lower)):
        band.lower[b] = _conformal_quantile(z[bins == b] - y_log[bins == b], 1 - LOWER_QUANTILE)
    below = y_log < band.low(z)
    over = np.where(below, np.inf, y_log - z)
    for b in range(len(band.upper)):
        band.upper[b] = _conformal_quantile(over[bins == b], COVERAGE)
    return band


# -- plan totals ------------------------------------------------------------------------------------------
# A plan's lines are correlated in two ways that a total must allow for.
# Day to day: lines of one unit (campaign x ad set; in a plan, the lines that differ only by device) share that
# day's unit effect, and every line of a day shares its seasonality. The root of summed squares (independence)
# under-covers; the sum of the bounds over-covers. Per side, a unit's half-width is B² = s2 + w·(s1² − s2) over its
# lines' half-widths (s1 = Σh, s2 = Σh²), and the total's is H² = ΣB² + c·((ΣB)² − ΣB²) over the units (w = c = 0:
# independence; w = c = 1: the summed bounds), never below Σh² over all lines. w is calibrated on single
# unit-days, then c on random plans of several units, all out of group, after each unit's own level is removed.
# Persistently: a unit the model never saw runs above or below its forecast on every day (its own effect, and the
# bias of the model that predicted it). Calibrated plans share those few persistent draws on all their days, so
# a conformal quantile of plans rests on a handful of draws and under-covered new units (conversions 0.87 over 17
# seeds, bench/plan_totals_study.py).
# Instead each calibration unit's whole-period log ratio actual / predicted gives the spread of that level across
# units, and a plan's relative half-width is t(0.95, units − 1) · σ · sqrt(shared + (1 − shared)·Σπ²) over its
# units' shares π of the predicted total (`shared`: the part common to units predicted by one model). It adds to
# the day-to-day half-width in quadrature.
CORRELATION_GRID = np.linspace(0.0, 4.0, 401)
WITHIN_GRID = np.linspace(0.0, 1.0, 101)
CALIBRATION_PLANS = 2000  # random plans (a day and a subset of units) the totals are calibrated on
PLAN_SEED = 42
MIN_PLAN_DAYS = 10
MIN_PERSISTENT_UNITS = 3
RATIO_LIMITS = (0.01, 100.0)  # a unit that sold nothing in a year is far below, not infinitely

Correlation = tuple[tuple[float, float], tuple[float, float]]  # ((w, c) below, (w, c) above)


@dataclass(frozen=True)
class TotalCalibration:
    """How the interval of a total of lines widens beyond the lines' own bands."""

    correlation: Correlation  # day to day, calibrated with each unit's own level removed
    persistent_sd: float = 0.0  # sd across units of a unit's whole-period log(actual / predicted)
    persistent_df: int = 0  # units behind it − 1, for the Student t quantile; 0: no persistent term
    shared: float = 0.0  # share of that variance common to the units one model predicted


UNCALIBRATED = TotalCalibration(((1.0, 1.0), (1.0, 1.0)))  # too few calibration days: the summed bounds


def _widths(s1: np.ndarray, s2: np.ndarray, weight: float, floor: np.ndarray | float = 0.0) -> np.ndarray:
    """sqrt(max(s2 + weight·(s1² − s2), floor)), elementwise."""
    return np.sqrt(np.maximum(s2 + weight * (s1 * s1 - s2), floor))


def total_half_width(half_widths: np.ndarray, within: float, across: float, units: np.ndarray | None = None) -> float:
    """One side's half-width of a total of lines (`units` labels the lines of one unit; each line its own
    when None): per unit sqrt(s2 + w·(s1² − s2)), then across units the same with c."""
    labels = np.arange(len(half_widths)) if units is None else pd.factorize(units)[0]
    # bincount, not a groupby: the planner calls this for every target on every rerun.
    s1, s2 = np.bincount(labels, weights=half_widths), np.bincount(labels, weights=np.square(half_widths))
    b = _widths(s1, s2, within)
    return float(_widths(np.array([b.sum()]), np.array([np.square(b).sum()]), across, float(s2.sum()))[0])


def _first_meeting(grid: np.ndarray, share: Callable[[float], float], low: float, high: float) -> float:
    """The first grid value whose `share` lies in [low, high] (the last value when none does)."""
    return float(next((v for v in grid if low <= share(v) <= high), grid[-1]))


def _calibrate_side_pair(
    cells: pd.DataFrame, grid: np.ndarray, widths: Callable[[str, float], np.ndarray]
) -> tuple[float, float]:
    """(below, above) values on `grid`: first at most 5% of the errors under the lower width (the conformal
    level), then, keeping that, at least 90% inside."""
    error = cells["e"].to_numpy()
    n = len(error)
    below_allowed = 1.0 - _conformal_level(n, 1 - LOWER_QUANTILE)
    below = _first_meeting(grid, lambda v: float(np.mean(-error > widths("lo", v))), 0.0, below_allowed)
    kept = -error <= widths("lo", below)
    inside = _first_meeting(
        grid, lambda v: float(np.mean(kept & (error <= widths("hi", v)))), _conformal_level(n, COVERAGE), 1.0
    )
    return below, inside


def unit_days(
    days: np.ndarray, units: np.ndarray, error: np.ndarray, h_lo: np.ndarray, h_hi: np.ndarray
) -> pd.DataFrame:
    """One row per unit and day: summed error, and s1/s2 of each side's half-widths over the unit's lines."""
    cells = pd.DataFrame({"day": days, "unit": units, "e": error, "s1_lo": h_lo, "s1_hi": h_hi})
    cells = cells.assign(s2_lo=h_lo**2, s2_hi=h_hi**2)
    return cells.groupby(["day", "unit"]).sum()


def sample_plans(cells: pd.DataFrame, within: tuple[float, float], unit_fold: pd.Series | None = None) -> pd.DataFrame:
    """CALIBRATION_PLANS random plans, each one day's units, a random subset (1 to all) of the units of one
    fold (`unit_fold`: the fold of each unit; one fold when None), so a plan's lines come from one model and
    share its errors: per plan the summed error and, per side, ΣB and ΣB² of its units' half-widths (B with
    weight `within`) and Σh² of its lines."""
    values = {"e": cells["e"]}
    for side, w in zip(("lo", "hi"), within, strict=True):
        b = _widths(cells[f"s1_{side}"].to_numpy(), cells[f"s2_{side}"].to_numpy(), w)
        values |= {f"s1_{side}": pd.Series(b, cells.index), f"s2_{side}": pd.Series(b * b, cells.index)}
        values[f"l2_{side}"] = cells[f"s2_{side}"]
    cubes = {k: v.unstack(fill_value=0.0).to_numpy() for k, v in values.items()}
    n_days, n_units = cubes["e"].shape
    names = values["e"].unstack(fill_value=0.0).columns
    fold_of = np.zeros(n_units, dtype=np.intp) if unit_fold is None else unit_fold.reindex(names).to_numpy()
    rng = np.random.default_rng(PLAN_SEED)
    day = rng.integers(n_days, size=CALIBRATION_PLANS)
    fold = rng.choice(np.unique(fold_of), size=CALIBRATION_PLANS)
    members = fold_of[None, :] == fold[:, None]
    size = rng.integers(1, members.sum(axis=1) + 1)
    keys = np.where(members, rng.random((CALIBRATION_PLANS, n_units)), np.inf)
    chosen = keys.argsort(axis=1).argsort(axis=1) < size[:, None]
    return pd.DataFrame({k: (cube[day] * chosen).sum(axis=1) for k, cube in cubes.items()})


def unit_levels(units: np.ndarray, actual: np.ndarray, point: np.ndarray) -> pd.Series:
    """Each unit's whole-period actual / predicted (units predicted to have nothing are left out)."""
    sums = pd.DataFrame({"unit": units, "actual": actual, "point": point}).groupby("unit").sum()
    sums = sums[sums["point"] > 0]
    return (sums["actual"] / sums["point"]).clip(*RATIO_LIMITS)


def _shared_share(logs: pd.Series, unit_fold: pd.Series | None) -> float:
    """The share of the units' log-level variance common within a fold: the fold means' variance beyond what
    the units' own spread gives them (a one-way random-effects split), in [0, 1]."""
    if unit_fold is None:
        return 0.0
    fold = unit_fold.reindex(logs.index).to_numpy()
    means, sizes = logs.groupby(fold).mean(), logs.groupby(fold).size()
    total = float(logs.var(ddof=1))
    if len(means) < 2 or total <= 0:
        return 0.0
    between = float(means.var(ddof=1)) - total / float(sizes.mean())
    return float(np.clip(between / total, 0.0, 1.0))


def calibrate_total(
    days: np.ndarray,
    units: np.ndarray,
    actual: np.ndarray,
    point: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    folds: np.ndarray | None = None,
) -> TotalCalibration:
    """From out-of-group lines: each unit's persistent level and its spread across units, then, with that level
    removed, w so that single unit-days are covered as a 90% band would (at most 5% below, 90% inside) and c so
    that random plans of several units are."""
    if len(np.unique(days)) < MIN_PLAN_DAYS:
        return UNCALIBRATED
    levels = unit_levels(units, actual, point)
    scale = pd.Series(units).map(levels).fillna(1.0).to_numpy()
    unit_fold = None if folds is None else pd.Series(folds, index=units).groupby(level=0).first()
    cells = unit_days(days, units, actual - point * scale, (point - lo) * scale, (hi - point) * scale)
    correlation = _calibrate_correlation(cells, unit_fold)
    if len(levels) < MIN_PERSISTENT_UNITS:
        return TotalCalibration(correlation)
    logs = np.log(levels)
    return TotalCalibration(correlation, float(logs.std(ddof=1)), len(logs) - 1, _shared_share(logs, unit_fold))


def _calibrate_correlation(cells: pd.DataFrame, unit_fold: pd.Series | None) -> Correlation:
    """((w, c) below, (w, c) above) on unit_days cells: w on single unit-days, then c on random plans of one fold's
    units."""

    def cell_widths(side: str, w: float) -> np.ndarray:
        return _widths(cells[f"s1_{side}"].to_numpy(), cells[f"s2_{side}"].to_numpy(), w)

    within = _calibrate_side_pair(cells, WITHIN_GRID, cell_widths)
    plans = sample_plans(cells, within, unit_fold)

    def plan_widths(side: str, c: float) -> np.ndarray:
        return _widths(
            plans[f"s1_{side}"].to_numpy(), plans[f"s2_{side}"].to_numpy(), c, plans[f"l2_{side}"].to_numpy()
        )

    across = _calibrate_side_pair(plans, CORRELATION_GRID, plan_widths)
    return (within[0], across[0]), (within[1], across[1])


def persistent_half_widths(
    point: np.ndarray, calibration: TotalCalibration, units: np.ndarray | None = None
) -> tuple[float, float]:
    """(below, above) of the total for its units' unknown persistent levels (0 without that term)."""
    total = float(np.sum(point))
    if calibration.persistent_df < 1 or calibration.persistent_sd <= 0 or total <= 0:
        return 0.0, 0.0
    labels = np.arange(len(point)) if units is None else pd.factorize(units)[0]
    shares = np.bincount(labels, weights=point) / total
    shared = calibration.shared
    spread = calibration.persistent_sd * np.sqrt(shared + (1.0 - shared) * float(np.sum(shares**2)))
    reach = float(stats.t.ppf(UPPER_QUANTILE, calibration.persistent_df)) * spread
    return total * (1.0 - np.exp(-reach)), total * float(np.expm1(reach))


def total_bounds(
    point: np.ndarray, lo: np.ndarray, hi: np.ndarray, calibration: TotalCalibration, units: np.ndarray | None = None
) -> tuple[float, float]:
    """(low, high) of a total of lines with bands [lo, hi] around `point`: the day-to-day half-width per side
    (see total_half_width) and the persistent one, added in quadrature; each line's unit labels it; low >= 0."""
    total = float(np.sum(point))
    persistent_low, persistent_high = persistent_half_widths(point, calibration, units)
    (below, above) = calibration.correlation
    low = total - float(np.hypot(total_half_width(point - lo, *below, units), persistent_low))
    high = total + float(np.hypot(total_half_width(hi - point, *above, units), persistent_high))
    return max(0.0, low), high
