"""The incrementality estimate stratified by influencer: each influencer's exposed users against its own control.

The pooled estimate compares all exposed with all control users. When influencers split their users unevenly
(one 70/30, another 30/70) and differ in baseline revenue, the pooled control mean mixes audiences in other
proportions than the exposed mean does: Simpson's paradox. Per stratum i (an influencer):

    incremental revenue = Σ_i (r1_i − r0_i) · n1_i        each stratum's gap scaled by its exposed users
    lift = incremental revenue / Σ_i r0_i · n1_i          against what the exposed users would have spent
    iROAS = incremental revenue / Σ_i payout_i

Strata without exposed or control users cannot be compared: they are left out (their payout too) and counted.
Interval: a stratified bootstrap (users resampled within each group of each stratum) in memory, or a normal
approximation from per-stratum sums at scale, var = Σ_i n1_i² (s1_i²/n1_i + s0_i²/n0_i). Each stratum draws from its
own generator, seeded by the fixed seed and the stratum's id: the strata stay independent, and a stratum with the
same users gives the same draws in any scope, so a filter that keeps an influencer whole reuses its draws.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.influencers.statistics import (
    BOOTSTRAP_SEED,
    CONFIDENCE,
    N_RESAMPLES,
    percentile_interval,
    resampled_means,
)
from pipeline.influencers.tracking import CONTROL, EXPOSED
from pipeline.kpis import safe_divide

STRATUM = "influencer_id"
# Per-stratum sizes, revenue means and ddof=1 variances, and the payout charged to the stratum.
STRATUM_COLUMNS = ("n1", "n0", "r1", "r0", "var1", "var0", "payout")
KEPT_DRAWS = 4_000_000  # per-stratum draws kept for reuse up to this many numbers (32 MB), strata × resamples


@dataclass(frozen=True)
class StratifiedEstimate:
    """The stratified point estimates, their interval and what was left out. NaN marks anything undefined."""

    strata: int
    exposed_users: int
    control_users: int
    incremental_revenue: float
    lift: float
    payout: float
    iroas: float
    iroas_ci_low: float
    iroas_ci_high: float
    left_out_strata: int
    left_out_exposed_users: int
    method: str  # "bootstrap" or "normal"
    confidence: float = CONFIDENCE
    # Per comparable stratum, its bootstrap incremental revenue draws (see stratum_draws); empty when not kept.
    draws: Mapping[object, np.ndarray] = field(default_factory=dict, repr=False, compare=False)


def stratum_table(users: pd.DataFrame, payouts: pd.Series) -> pd.DataFrame:
    """STRATUM_COLUMNS per influencer from user_revenue(clean, (STRATUM,)) and the payout charged per influencer."""
    grouped = users.groupby([STRATUM, "group"], observed=True)["revenue"]
    parts = grouped.agg(["size", "mean", "var"]).unstack("group")  # var: ddof=1, NaN below 2 users
    table = pd.DataFrame(index=parts.index)
    for side, group in (("1", EXPOSED), ("0", CONTROL)):
        table[f"n{side}"] = parts.get(("size", group), pd.Series(0, index=parts.index)).fillna(0).astype(int)
        table[f"r{side}"] = parts.get(("mean", group), pd.Series(np.nan, index=parts.index))
        table[f"var{side}"] = parts.get(("var", group), pd.Series(np.nan, index=parts.index))
    table["payout"] = payouts.reindex(table.index).fillna(0.0).to_numpy()
    return table[list(STRATUM_COLUMNS)]


def _point(table: pd.DataFrame) -> tuple[float, float]:
    """(incremental revenue, counterfactual revenue Σ r0_i·n1_i) over comparable strata."""
    incremental = float(((table["r1"] - table["r0"]) * table["n1"]).sum())
    return incremental, float((table["r0"] * table["n1"]).sum())


def _estimate(
    table: pd.DataFrame,
    interval: tuple[float, float],
    method: str,
    confidence: float,
    draws: Mapping[object, np.ndarray] | None = None,
) -> StratifiedEstimate:
    comparable = table[(table["n1"] > 0) & (table["n0"] > 0)]
    left_out = table[(table["n1"] == 0) | (table["n0"] == 0)]
    incremental, counterfactual = _point(comparable) if len(comparable) else (math.nan, math.nan)
    payout = float(comparable["payout"].sum())
    return StratifiedEstimate(
        strata=len(comparable),
        exposed_users=int(comparable["n1"].sum()),
        control_users=int(comparable["n0"].sum()),
        incremental_revenue=incremental,
        lift=float(safe_divide(incremental, counterfactual)),
        payout=payout,
        iroas=float(safe_divide(incremental, payout)),
        iroas_ci_low=interval[0],
        iroas_ci_high=interval[1],
        left_out_strata=len(left_out),
        left_out_exposed_users=int(left_out["n1"].sum()),
        method=method,
        confidence=confidence,
        draws=draws or {},
    )


def normal_stratified(table: pd.DataFrame, confidence: float = CONFIDENCE) -> StratifiedEstimate:
    """The stratified estimate with a normal-approximation interval (the path for per-stratum sums).

    var(incremental) = Σ_i n1_i² (s1_i²/n1_i + s0_i²/n0_i); a stratum with one user in a group adds no variance
    (its variance is undefined), so such strata make the interval optimistic; the exact path has the bootstrap.
    """
    comparable = table[(table["n1"] > 0) & (table["n0"] > 0)]
    variance = comparable["n1"] ** 2 * (
        comparable["var1"].fillna(0) / comparable["n1"] + comparable["var0"].fillna(0) / comparable["n0"]
    )
    payout = float(comparable["payout"].sum())
    interval = (math.nan, math.nan)
    if len(comparable) and payout > 0:
        incremental, _ = _point(comparable)
        half = float(stats.norm.ppf(0.5 + confidence / 2)) * math.sqrt(float(variance.sum()))
        interval = ((incremental - half) / payout, (incremental + half) / payout)
    return _estimate(table, interval, "normal", confidence)


def stratum_generator(seed: int, stratum: object) -> np.random.Generator:
    """The generator of one stratum: from the fixed seed and a stable hash of the stratum's id (str(), so 7 and
    np.int64(7) agree), independent of which other strata are in the scope."""
    return np.random.default_rng([seed, zlib.crc32(str(stratum).encode())])


def stratum_draws(revenue: np.ndarray, group: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """One stratum's bootstrap incremental revenue: (resampled r1 − resampled r0) · n1."""
    exposed = revenue[group == EXPOSED]
    gap = resampled_means(exposed, n_resamples, rng) - resampled_means(revenue[group == CONTROL], n_resamples, rng)
    return gap * exposed.size


def bootstrap_stratified(
    users: pd.DataFrame,
    payouts: pd.Series,
    n_resamples: int = N_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
    reuse: Mapping[object, np.ndarray] | None = None,
    whole: frozenset[object] = frozenset(),
) -> StratifiedEstimate:
    """The stratified estimate with a stratified percentile bootstrap: users resampled within each group of each
    comparable stratum (sizes fixed), the strata's incremental revenues summed per resample. `users` is
    user_revenue(clean, (STRATUM,)); `payouts` the payout charged per influencer.

    `reuse`: the `draws` of an estimate with the same n_resamples and seed on data holding every stratum in `whole`
    with exactly the same users (scope.whole_slices); those strata's draws are copied, not redrawn, and
    are what this call would draw. The result keeps its draws while strata × n_resamples ≤ KEPT_DRAWS."""
    table = stratum_table(users, payouts)
    comparable = table[(table["n1"] > 0) & (table["n0"] > 0)]
    payout = float(comparable["payout"].sum())
    interval, draws = (math.nan, math.nan), {}
    if len(comparable) and payout > 0:
        kept = reuse or {}
        keep = users[users[STRATUM].isin(comparable.index)]
        for stratum, part in keep.groupby(STRATUM, observed=True, sort=True):
            if stratum in whole and stratum in kept:
                draws[stratum] = kept[stratum]
                continue
            revenue, group = part["revenue"].to_numpy(np.float64), part["group"].to_numpy()
            draws[stratum] = stratum_draws(revenue, group, n_resamples, stratum_generator(seed, stratum))
        interval = percentile_interval(np.sum(list(draws.values()), axis=0) / payout, confidence)
    if len(draws) * n_resamples > KEPT_DRAWS:
        draws = {}
    return _estimate(table, interval, "bootstrap", confidence, draws)


def as_record(estimate: StratifiedEstimate | None) -> dict[str, object] | None:
    """The stratified estimate as a JSON-ready record (iroas_ci as [low, high]); None when there is none."""
    if estimate is None:
        return None
    return {
        "iroas": estimate.iroas,
        "iroas_ci": [estimate.iroas_ci_low, estimate.iroas_ci_high],
        "incremental_revenue": estimate.incremental_revenue,
        "lift": estimate.lift,
        "payout": estimate.payout,
        "strata": estimate.strata,
        "left_out_strata": estimate.left_out_strata,
        "left_out_exposed_users": estimate.left_out_exposed_users,
        "method": estimate.method,
    }
