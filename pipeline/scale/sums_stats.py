"""Incrementality from per-group sums only, for tracking data too big to bring back user by user.

pipeline.scale.tracking_sums.tracking_sums returns, per group (and per user bucket): users n, Σ revenue per user R and
Σ (revenue per user)² S. That is all these estimates need:

    r = R/n (revenue per user), s² = (S − R²/n)/(n − 1) (its sample variance)

The point estimates (lift, incremental revenue, iROAS; formulas in pipeline.influencers.incrementality) are the exact
path's. The p-value is the same Welch t-test, from (r, s, n) instead of the raw values. Two intervals:

- "normal" (the default of the CLI at scale): a normal approximation for the difference of
  means, d = r1 − r0 with variance s1²/n1 + s0²/n0, so d ± z·se; the iROAS interval is that interval · n1/payout
  (as the exact bootstrap scales its draws), and the lift interval comes from the delta method on r1/r0 − 1:
  var ≈ s1²/(n1·r0²) + r1²·s0²/(n0·r0⁴). It needs 3 numbers per group, is deterministic and costs nothing.
  With the thousands of users per group a test at this scale has, the central limit theorem makes it agree
  with the exact percentile bootstrap (tests/pipeline/scale/test_scale_stats.py: endpoints within 5% of the exact
  interval's width on the demo data and on seeded tests, and the same ground-truth coverage).
- "buckets": a bootstrap over pre-aggregated user buckets (users hashed into DEFAULT_BUCKETS buckets per
  group); resamples buckets within each group with a fixed seed and takes ratio-of-sums means (Σ revenue /
  Σ users). It keeps the bootstrap's asymmetry for skewed revenue, at the price of ~2,000 rows per group and
  a Monte Carlo error of its own.

The exact per-user bootstrap (pipeline.influencers.incrementality.compare_groups) stays the method for data in memory.

The page's report from a backend (report_from_sums) also gives the estimate stratified by influencer with the
same point estimates as the exact path and a normal interval from per-influencer sums
(pipeline.influencers.stratified.normal_stratified; the exact path's is a stratified bootstrap), and the same
guardrails, except the non-buyers check, which needs per-user rows and is skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pipeline import kpis
from pipeline.filters import InfluencerFilter, matching_influencer_ids
from pipeline.influencers import guardrails as inc_guardrails
from pipeline.influencers import incrementality as inc
from pipeline.influencers import statistics as inc_stats
from pipeline.influencers import stratified as inc_stratified
from pipeline.influencers import tracking
from pipeline.scale import tracking_sums

METHODS = ("normal", "buckets")
DEFAULT_METHOD = "normal"
SUM_COLUMNS = ("group", "users", "revenue", "revenue_sq")


class ScaleStatsError(ValueError):
    """Sums that cannot be compared; the message is one sentence for people."""


def _group_totals(sums: pd.DataFrame, group: int) -> tuple[int, float, float]:
    part = sums[sums["group"] == group]
    return int(part["users"].sum()), float(part["revenue"].sum()), float(part["revenue_sq"].sum())


def sample_variance(users: int, revenue: float, revenue_sq: float) -> float:
    """(S − R²/n)/(n − 1), the ddof=1 variance of revenue per user from its sums; NaN below 2 users.
    Clipped at 0: rounding can make S − R²/n a hair negative when every user has the same revenue."""
    if users < 2:
        return float("nan")
    return max(0.0, (revenue_sq - revenue * revenue / users) / (users - 1))


def welch_p_value_from_sums(n1: int, r1: float, var1: float, n0: int, r0: float, var0: float) -> float:
    """Two-sided Welch t-test p-value from means, variances and sizes (as statistics.welch_p_value)."""
    if n1 < 2 or n0 < 2:
        return float("nan")
    sd1, sd0 = math.sqrt(var1), math.sqrt(var0)
    if sd1 == 0 and sd0 == 0:
        return 1.0 if r1 == r0 else 0.0
    with np.errstate(all="ignore"):
        result = stats.ttest_ind_from_stats(r1, sd1, n1, r0, sd0, n0, equal_var=False)
    return float(result.pvalue)


def normal_intervals(
    n1: int, r1: float, var1: float, n0: int, r0: float, var0: float, payout: float, confidence: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(iROAS interval, lift interval) from the normal approximation; NaN where undefined (module docstring)."""
    nan = (float("nan"), float("nan"))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    difference = r1 - r0
    se = math.sqrt(var1 / n1 + var0 / n0)
    iroas_ci = nan
    if payout > 0:
        iroas_ci = ((difference - z * se) * n1 / payout, (difference + z * se) * n1 / payout)
    lift_ci = nan
    if r0 > 0:
        lift = difference / r0
        lift_se = math.sqrt(var1 / (n1 * r0**2) + r1**2 * var0 / (n0 * r0**4))
        lift_ci = (lift - z * lift_se, lift + z * lift_se)
    return iroas_ci, lift_ci


def resampled_bucket_means(
    users: np.ndarray, revenue: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Σ revenue / Σ users over `n_resamples` resamples (with replacement) of a group's K buckets, vectorised:
    one (n_resamples, K) index draw (16 MB at the default 1,024 buckets and 2,000 resamples)."""
    drawn = rng.integers(0, users.size, size=(n_resamples, users.size))
    return revenue[drawn].sum(axis=1) / users[drawn].sum(axis=1)


def bucket_intervals(
    sums: pd.DataFrame, n1: int, payout: float, n_resamples: int, seed: int, confidence: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(iROAS interval, lift interval) from the bucket bootstrap; NaN when a group has fewer than 2 buckets."""
    nan = (float("nan"), float("nan"))
    exposed, control = sums[sums["group"] == tracking.EXPOSED], sums[sums["group"] == tracking.CONTROL]
    if min(len(exposed), len(control)) < 2:
        return nan, nan
    rng = np.random.default_rng(seed)
    r1_draws = resampled_bucket_means(
        exposed["users"].to_numpy(np.float64), exposed["revenue"].to_numpy(np.float64), n_resamples, rng
    )
    r0_draws = resampled_bucket_means(
        control["users"].to_numpy(np.float64), control["revenue"].to_numpy(np.float64), n_resamples, rng
    )
    difference = r1_draws - r0_draws
    iroas_ci = inc_stats.percentile_interval(difference * n1 / payout, confidence) if payout > 0 else nan
    lift_ci = inc_stats.percentile_interval(difference / r0_draws, confidence) if np.all(r0_draws > 0) else nan
    return iroas_ci, lift_ci


def _check_sums(sums: pd.DataFrame) -> None:
    missing = [c for c in SUM_COLUMNS if c not in sums.columns]
    if missing:
        raise ScaleStatsError(f"The sums are missing column(s): {', '.join(missing)}.")


def compare_from_sums(
    sums: pd.DataFrame,
    payout: float,
    method: str = DEFAULT_METHOD,
    n_resamples: int = inc_stats.N_RESAMPLES,
    seed: int = inc_stats.BOOTSTRAP_SEED,
    confidence: float = inc_stats.CONFIDENCE,
) -> inc_stats.GroupComparison:
    """incrementality.compare_groups' result from one scope's sums (tracking_sums.tracking_sums' frame without `by`
    columns, or any frame with group, users, revenue, revenue_sq; a bucket column for method="buckets").

    Point estimates equal the exact path's; the p-value is Welch's from the sums of squares; the interval
    method is "normal" or "buckets" (module docstring). Raises ScaleStatsError for an unknown method or
    missing columns.
    """
    if method not in METHODS:
        raise ScaleStatsError(f"Unknown interval method {method!r}; use one of {', '.join(METHODS)}.")
    _check_sums(sums)
    n1, big_r1, sq1 = _group_totals(sums, tracking.EXPOSED)
    n0, big_r0, sq0 = _group_totals(sums, tracking.CONTROL)
    if inc.empty_group_problem(n1, n0) is not None:
        return inc.build_comparison(n1, n0, big_r1, big_r0, payout, confidence)
    r1, r0 = big_r1 / n1, big_r0 / n0
    var1, var0 = sample_variance(n1, big_r1, sq1), sample_variance(n0, big_r0, sq0)
    nan = float("nan")
    iroas_ci = lift_ci = (nan, nan)
    if min(n1, n0) >= 2:
        if method == "normal":
            iroas_ci, lift_ci = normal_intervals(n1, r1, var1, n0, r0, var0, float(payout), confidence)
        else:
            iroas_ci, lift_ci = bucket_intervals(sums, n1, float(payout), n_resamples, seed, confidence)
    tests = {
        "p_value": welch_p_value_from_sums(n1, r1, var1, n0, r0, var0),
        "warnings": inc.comparison_warnings(n1, n0, payout),
    }
    return inc.build_comparison(n1, n0, big_r1, big_r0, payout, confidence, iroas_ci=iroas_ci, lift_ci=lift_ci, **tests)


def compare_slices(
    sums: pd.DataFrame,
    column: str,
    payouts: pd.Series,
    method: str = DEFAULT_METHOD,
    n_resamples: int = inc_stats.N_RESAMPLES,
    seed: int = inc_stats.BOOTSTRAP_SEED,
) -> dict[Any, inc_stats.GroupComparison]:
    """compare_from_sums per value of `column` (tracking_sums with by=(column,)). `payouts` maps a value to its
    payout; a slice with no exposed users, or none in `payouts`, is charged 0, as incrementality.breakdown is
    when payout follows exposed users and each slice is one influencer."""
    out: dict[Any, inc_stats.GroupComparison] = {}
    for value, part in sums.groupby(column, sort=True):
        has_exposed = bool((part.loc[part["group"] == tracking.EXPOSED, "users"] > 0).any())
        payout = float(payouts.get(value, 0.0)) if has_exposed else 0.0
        out[value] = compare_from_sums(part, payout, method, n_resamples, seed)
    return out


# ---------------------------------------------------------------- the page's report from a backend


def _scope(influencers: pd.DataFrame, spec: InfluencerFilter) -> tracking_sums.TrackingScope:
    """The tracking rows apply_influencer_filter keeps for `spec`, as a scope the engine applies."""
    ids = tuple(int(i) for i in matching_influencer_ids(influencers, spec))
    return tracking_sums.TrackingScope(influencer_ids=ids, products=spec.products, start=spec.start, end=spec.end)


def _exposed_users(sums: pd.DataFrame, by: list[str]) -> pd.Series:
    """Distinct exposed users per value of `by` from tracking_sums' frame (a user counts once per slice)."""
    exposed = sums[sums["group"] == tracking.EXPOSED]
    return exposed.groupby(by, sort=True)["users"].sum()


def _slice_payouts(counts: pd.Series, rates: pd.Series) -> pd.Series:
    """Payout per slice: Σ over influencers of (slice's exposed users of i) · payout_i / users_i
    (tracking.apportioned_payout); `counts` is indexed by (slice, influencer_id) or by influencer_id."""
    ids = counts.index.get_level_values("influencer_id")
    charged = pd.Series(counts.to_numpy() * rates.reindex(ids).fillna(0.0).to_numpy(), index=counts.index)
    if counts.index.nlevels == 1:
        return charged
    return charged.groupby(level=0, sort=True).sum()


def _breakdown_frame(
    comparisons: dict[Any, inc_stats.GroupComparison], column: str, influencers: pd.DataFrame
) -> pd.DataFrame:
    """incrementality.breakdown's frame from per-slice comparisons (same columns, labels and notes)."""
    names: dict[Any, str] = {}
    if column == "influencer_id" and {"id", "name"} <= set(influencers.columns):
        names = dict(zip(influencers["id"], influencers["name"].astype(str), strict=False))
    rows = []
    for value, comparison in comparisons.items():
        label = names.get(value, f"Influencer {value}") if column == "influencer_id" else str(value)
        rows.append({column: value, "label": label, **inc._comparison_row(comparison)})
    return pd.DataFrame(rows, columns=[column, *inc.BREAKDOWN_COLUMNS])


def _breakdowns(
    table: Any,
    scope: tracking_sums.TrackingScope,
    rates: pd.Series,
    influencers: pd.DataFrame,
    names: tuple[str, ...],
    method: str,
    buckets: int,
) -> dict[str, pd.DataFrame]:
    """incrementality.analyse's breakdowns from the engine: per slice its sums, and its payout from the
    exposed users of each influencer in the slice (two small queries per breakdown; one for influencers)."""
    tables: dict[str, pd.DataFrame] = {}
    for name in names:
        column = inc.BREAKDOWNS[name]
        if column not in table.columns:
            continue
        sums = tracking_sums.tracking_sums(table, (column,), buckets, scope).sums
        if column == "influencer_id":
            payouts = _slice_payouts(_exposed_users(sums, [column]), rates)
        else:
            pairs = tracking_sums.tracking_sums(table, (column, "influencer_id"), 1, scope).sums
            payouts = _slice_payouts(_exposed_users(pairs, [column, "influencer_id"]), rates)
        tables[name] = _breakdown_frame(compare_slices(sums, column, payouts, method), column, influencers)
    return tables


def power_basis_from_sums(sums: pd.DataFrame) -> inc_stats.PowerBasis:
    """statistics.power_basis from the per-group sums: r0, the ddof=1 variances and the group sizes."""
    n1, big_r1, sq1 = _group_totals(sums, tracking.EXPOSED)
    n0, big_r0, sq0 = _group_totals(sums, tracking.CONTROL)
    return inc_stats.PowerBasis(
        revenue_per_control_user=big_r0 / n0 if n0 else float("nan"),
        exposed_variance=sample_variance(n1, big_r1, sq1),
        control_variance=sample_variance(n0, big_r0, sq0),
        exposed_users=n1,
        control_users=n0,
    )


@dataclass(frozen=True)
class SumsSummary:
    """What the CLI reports from sums alone: the overall comparison, its checks and the stratified estimate."""

    overall: inc_stats.GroupComparison
    contaminated_users: int
    srm_p_value: float
    guardrails: tuple[inc_guardrails.Guardrail, ...]
    stratified: inc_stratified.StratifiedEstimate | None


# Per-user rows are needed to count non-buyers; from sums that check is skipped.
NO_BUYER_ROWS = pd.DataFrame(
    columns=["group", "users", "buyers", "buyer_share", "revenue_per_user", "revenue_per_buyer"]
)


def guardrails_from_sums(
    overall: inc_stats.GroupComparison,
    overall_sums: tracking_sums.TrackingSums,
    srm_p: float,
    expected_share: float,
    basis: inc_stats.PowerBasis | None = None,
) -> tuple[inc_guardrails.Guardrail, ...]:
    """guardrails.run_guardrails from the overall sums (the non-buyer check skipped: it needs per-user rows);
    `basis` when the caller already has power_basis_from_sums of them."""
    contaminated = overall_sums.contaminated_users
    users_in_scope = overall.exposed_users + overall.control_users + contaminated
    basis = basis if basis is not None else power_basis_from_sums(overall_sums.sums)
    return inc_guardrails.run_guardrails(
        overall, srm_p, expected_share, contaminated, users_in_scope, NO_BUYER_ROWS, basis
    )


def stratified_from_sums(
    sums: pd.DataFrame, payouts: pd.Series, confidence: float = inc_stats.CONFIDENCE
) -> inc_stratified.StratifiedEstimate:
    """The estimate stratified by influencer from tracking_sums(by=("influencer_id",)) and the payout charged per
    influencer: stratified.normal_stratified on each influencer's n, mean and ddof=1 variance per group."""
    rows = []
    for value, part in sums.groupby("influencer_id", sort=True):
        n1, big_r1, sq1 = _group_totals(part, tracking.EXPOSED)
        n0, big_r0, sq0 = _group_totals(part, tracking.CONTROL)
        row = {"influencer_id": value, "n1": n1, "n0": n0, "var1": sample_variance(n1, big_r1, sq1)}
        row |= {"var0": sample_variance(n0, big_r0, sq0), "r1": kpis.safe_divide(big_r1, n1)}
        rows.append(row | {"r0": kpis.safe_divide(big_r0, n0)})
    table = pd.DataFrame(rows, columns=["influencer_id", *inc_stratified.STRATUM_COLUMNS[:-1]])
    table = table.set_index("influencer_id").astype({"r1": "float64", "r0": "float64"})
    table["payout"] = payouts.reindex(table.index).fillna(0.0).to_numpy()
    return inc_stratified.normal_stratified(table, confidence)


def report_from_sums(
    table: Any,
    influencers: pd.DataFrame,
    payouts: pd.DataFrame,
    spec: InfluencerFilter,
    expected_share: float = inc_stats.EXPECTED_EXPOSED_SHARE,
    method: str = DEFAULT_METHOD,
    breakdowns: tuple[str, ...] = tuple(inc.BREAKDOWNS),
) -> inc.IncrementalityReport:
    """incrementality.analyse's report for the tracking rows matching `spec`, from sums computed by `table`'s
    engine (an Ibis table); influencers and payouts are the small local tables.

    As analyse with reference = the whole table: users in both groups are judged on the whole table, and each
    influencer's payout follows its exposed users there. Point estimates, SRM and power equal analyse's; the
    interval is `method`'s (module docstring). Buyers and the histogram need per-user rows and stay empty.
    Raises IncrementalityInputError for unusable payouts, BackendError when the engine fails.
    """
    if method not in METHODS:
        raise ScaleStatsError(f"Unknown interval method {method!r}; use one of {', '.join(METHODS)}.")
    payouts = tracking.validate_payouts(payouts)
    scope = _scope(influencers, spec)
    payouts = payouts[payouts["influencer_id"].isin(scope.influencer_ids or ())]
    buckets = tracking_sums.DEFAULT_BUCKETS if method == "buckets" else 1  # the normal interval needs totals only
    overall_sums = tracking_sums.tracking_sums(table, (), buckets, scope)
    reference = tracking_sums.tracking_sums(table, ("influencer_id",), 1).sums
    per_influencer = payouts.groupby("influencer_id")["total_payout"].sum()
    reference_users = _exposed_users(reference, ["influencer_id"]).reindex(per_influencer.index)
    rates = pd.Series(kpis.safe_divide(per_influencer, reference_users), index=per_influencer.index)
    unapportioned = rates.isna()
    per_influencer_sums = tracking_sums.tracking_sums(table, ("influencer_id",), 1, scope).sums
    stratum_payouts = _slice_payouts(_exposed_users(per_influencer_sums, ["influencer_id"]), rates)
    payout = float(stratum_payouts.sum()) + float(per_influencer[unapportioned].sum())

    overall = compare_from_sums(overall_sums.sums, payout, method)
    srm_p = inc_stats.srm_p_value(overall.exposed_users, overall.control_users, expected_share)
    tables, stratified = {}, None
    if overall.problem is None:
        in_scope = influencers[influencers["id"].isin(scope.influencer_ids or ())]
        tables = _breakdowns(table, scope, rates, in_scope, breakdowns, method, buckets)
        stratified = stratified_from_sums(per_influencer_sums, stratum_payouts)
    contaminated = overall_sums.contaminated_users
    users_in_scope = overall.exposed_users + overall.control_users + contaminated
    basis = power_basis_from_sums(overall_sums.sums)
    return inc.IncrementalityReport(
        tracking_rows=tracking_sums.scoped_row_count(table, scope),
        overall=overall,
        contaminated_users=contaminated,
        srm_p_value=srm_p,
        expected_exposed_share=expected_share,
        power=basis,
        buyers=NO_BUYER_ROWS,
        histogram=pd.DataFrame(columns=["group", "bin_low", "bin_high", "buyers", "share_of_buyers"]),
        breakdowns=tables,
        warnings=inc._report_warnings(overall, contaminated, users_in_scope, int(unapportioned.sum())),
        problem=overall.problem,
        guardrails=guardrails_from_sums(overall, overall_sums, srm_p, expected_share, basis),
        stratified=stratified,
    )
