"""The statistics of an exposed-vs-control test: bootstrap resampling, Welch p-value, sample-ratio test, power.

Pure functions of arrays and counts: nothing here knows about tables, payouts or wording.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05
POWER = 0.80
CONFIDENCE = 0.95
N_RESAMPLES = 2_000
BOOTSTRAP_SEED = 20_250_901  # fixed, so the same data always gives the same interval
EXPECTED_EXPOSED_SHARE = 0.5  # the demo randomises users 50/50
SRM_ALERT_P = 0.001  # the usual sample-ratio-mismatch failure level: below it the split is broken
SRM_FLAG_P = 0.05  # below it (and above SRM_ALERT_P) the split is borderline: shown next to the verdict
BLOCK_DRAWS = 262_144  # random indices drawn at once: a few MB, so each block stays in cache


@dataclass(frozen=True)
class PowerBasis:
    """What a power calculation needs from the observed test."""

    revenue_per_control_user: float
    exposed_variance: float
    control_variance: float
    exposed_users: int
    control_users: int


# ---------------------------------------------------------------- bootstrap and tests


def resampled_means(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of `n_resamples` bootstrap resamples (n draws with replacement) of `values`. Vectorised.

    Exact, and fast on zero-heavy revenue: each draw lands on a non-zero user with probability
    m/n, so the number K of such draws is Binomial(n, m/n) and the resample sum is the sum of K
    uniform draws among the m non-zero values; zero draws add nothing and are never materialised.
    Indices are drawn in blocks of about BLOCK_DRAWS into one reused buffer. An empty array gives NaN.
    """
    n = values.size
    if n == 0:
        return np.full(n_resamples, np.nan)
    nonzero = np.ascontiguousarray(values[values != 0], dtype=np.float64)
    m = nonzero.size
    if m == 0:
        return np.zeros(n_resamples)
    hits = np.full(n_resamples, n, dtype=np.int64) if m == n else rng.binomial(n, m / n, size=n_resamples)
    sums = np.empty(n_resamples)
    per_block = max(1, BLOCK_DRAWS // max(1, int(hits.max())))
    buffer = np.empty(min(int(hits.sum()), per_block * int(hits.max())))
    for start in range(0, n_resamples, per_block):
        counts = hits[start : start + per_block]
        total = int(counts.sum())
        if total == 0:
            sums[start : start + counts.size] = 0.0
            continue
        # The indices lie in [0, m): "clip" changes none of them and skips the bounds check, a third of the cost.
        drawn = np.take(nonzero, rng.integers(0, m, size=total), out=buffer[:total], mode="clip")
        offsets = np.cumsum(counts) - counts
        filled = counts > 0
        # Only non-empty segments: their offsets rise strictly, so each sums exactly its own draws.
        block = np.zeros(counts.size)
        block[filled] = np.add.reduceat(drawn, offsets[filled])
        sums[start : start + counts.size] = block
    return sums / n


def welch_p_value(exposed: np.ndarray, control: np.ndarray) -> float:
    """Two-sided Welch t-test p-value for a difference in mean revenue per user; NaN if a group has < 2 users."""
    if exposed.size < 2 or control.size < 2:
        return float("nan")
    sd1, sd0 = float(np.std(exposed, ddof=1)), float(np.std(control, ddof=1))
    if sd1 == 0 and sd0 == 0:
        return 1.0 if np.mean(exposed) == np.mean(control) else 0.0
    with np.errstate(all="ignore"):
        result = stats.ttest_ind_from_stats(
            float(np.mean(exposed)), sd1, exposed.size, float(np.mean(control)), sd0, control.size, equal_var=False
        )
    return float(result.pvalue)


def srm_p_value(
    exposed_users: int, control_users: int, expected_exposed_share: float = EXPECTED_EXPOSED_SHARE
) -> float:
    """Chi-square goodness-of-fit p-value of the exposed/control counts against the expected split.

    Small (e.g. < 0.001) means the split is not what the randomisation promised. NaN with no users
    or an expected share outside (0, 1).
    """
    total = exposed_users + control_users
    if total == 0 or not 0 < expected_exposed_share < 1:
        return float("nan")
    expected = [total * expected_exposed_share, total * (1 - expected_exposed_share)]
    return float(stats.chisquare([exposed_users, control_users], f_exp=expected).pvalue)


def percentile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central `confidence` interval of bootstrap draws; NaN when there are none or any is undefined."""
    if draws.size == 0 or not np.all(np.isfinite(draws)):
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return float(low), float(high)


# ---------------------------------------------------------------- power


def _z_total(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def power_basis(exposed: np.ndarray, control: np.ndarray) -> PowerBasis:
    """Observed revenue-per-user level and variances (ddof=1; NaN with < 2 users) and group sizes."""
    nan = float("nan")
    return PowerBasis(
        revenue_per_control_user=float(control.mean()) if control.size else nan,
        exposed_variance=float(np.var(exposed, ddof=1)) if exposed.size >= 2 else nan,
        control_variance=float(np.var(control, ddof=1)) if control.size >= 2 else nan,
        exposed_users=int(exposed.size),
        control_users=int(control.size),
    )


def minimum_detectable_lift(
    basis: PowerBasis,
    exposed_users: float | None = None,
    control_users: float | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
) -> float:
    """Smallest relative lift a two-sided test at `alpha` detects with probability `power`.

    MDE = (z_{1−α/2} + z_power) · √(s1²/n1 + s0²/n0) / r0, a fraction (0.05 = +5% revenue per
    user). Group sizes default to the observed ones. NaN when r0 ≤ 0, a size < 1 or a variance
    is undefined.
    """
    n1 = basis.exposed_users if exposed_users is None else exposed_users
    n0 = basis.control_users if control_users is None else control_users
    r0 = basis.revenue_per_control_user
    if not (n1 >= 1 and n0 >= 1 and r0 > 0):
        return float("nan")
    standard_error = math.sqrt(basis.exposed_variance / n1 + basis.control_variance / n0)
    value = _z_total(alpha, power) * standard_error / r0
    return value if math.isfinite(value) else float("nan")


def users_needed_per_group(basis: PowerBasis, lift: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """Users per group (equal groups) to detect a relative `lift` at `alpha` with `power`.

    n = (z_{1−α/2} + z_power)² · (s1² + s0²) / (lift · r0)², rounded up; the inverse of
    `minimum_detectable_lift` with n1 = n0 = n. NaN when lift ≤ 0, r0 ≤ 0 or a variance is undefined.
    """
    r0 = basis.revenue_per_control_user
    if not (lift > 0 and r0 > 0):
        return float("nan")
    value = _z_total(alpha, power) ** 2 * (basis.exposed_variance + basis.control_variance) / (lift * r0) ** 2
    return float(math.ceil(value)) if math.isfinite(value) else float("nan")


def equal_group_size(basis: PowerBasis) -> float:
    """Users per group of an equal split with the same standard error as the observed groups.

    n = (s1² + s0²) / (s1²/n1 + s0²/n0), so minimum_detectable_lift(basis, n, n) equals
    minimum_detectable_lift(basis): the power calculator's default, so its tile and its caption agree.
    NaN when a group is empty or a variance is undefined; the smaller group size when both variances are 0.
    """
    n1, n0 = basis.exposed_users, basis.control_users
    v1, v0 = basis.exposed_variance, basis.control_variance
    if not (n1 >= 1 and n0 >= 1 and math.isfinite(v1) and math.isfinite(v0)):
        return float("nan")
    per_user = v1 / n1 + v0 / n0
    return float(min(n1, n0)) if per_user == 0 else (v1 + v0) / per_user


@dataclass(frozen=True)
class GroupComparison:
    """Exposed vs control for one scope. NaN marks anything undefined; `problem` is set when
    one group is empty (then nothing can be compared)."""

    exposed_users: int
    control_users: int
    exposed_revenue: float
    control_revenue: float
    revenue_per_exposed_user: float
    revenue_per_control_user: float
    lift: float
    incremental_revenue: float
    payout: float
    iroas: float
    iroas_ci_low: float
    iroas_ci_high: float
    lift_ci_low: float
    lift_ci_high: float
    p_value: float
    confidence: float = CONFIDENCE
    warnings: tuple[str, ...] = ()
    problem: str | None = None
