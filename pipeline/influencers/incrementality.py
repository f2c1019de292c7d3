"""Incremental ROAS from a user-level exposed-vs-control test (README "Definitions").

Per user (revenue summed over the user's rows within a group):
    r1 = R1/n1, r0 = R0/n0                      revenue per exposed / control user
    lift = (r1 − r0)/r0                          relative, 0.10 = +10%; NaN when r0 = 0
    incremental revenue = (r1 − r0)·n1           currency; the control scaled to the exposed size
    iROAS = incremental revenue / payout         $ of extra revenue per $1 of payout; NaN when payout = 0

Uncertainty: a percentile bootstrap that resamples users within each group (sizes fixed), and a
Welch t-test p-value (pipeline.influencers.statistics). Users seen in both groups are excluded and counted.
The report also holds the estimate stratified by influencer (pipeline.influencers.stratified), which corrects the
pooled control mean for uneven splits, and the guardrails that decide whether the data can carry a verdict at all
(pipeline.influencers.guardrails).
Validation, payout apportioning and the revenue distribution are in pipeline.influencers.tracking; what a scope
holds against the whole data in pipeline.influencers.scope; the verdict's wording in pipeline.influencers.verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.influencers.guardrails import Guardrail, run_guardrails
from pipeline.influencers.scope import BREAKDOWNS, Reference, prepare_scope, whole_slices
from pipeline.influencers.statistics import (
    BOOTSTRAP_SEED,
    CONFIDENCE,
    EXPECTED_EXPOSED_SHARE,
    N_RESAMPLES,
    GroupComparison,
    PowerBasis,
    percentile_interval,
    power_basis,
    resampled_means,
    srm_p_value,
    welch_p_value,
)
from pipeline.influencers.stratified import STRATUM, StratifiedEstimate, bootstrap_stratified
from pipeline.influencers.tracking import (
    CONTROL,
    EXPOSED,
    apportioned_payout,
    buyer_revenue_histogram,
    buyer_summary,
    user_revenue,
)
from pipeline.kpis import safe_divide

SMALL_GROUP = 30  # below this many users in a group the bootstrap interval is fragile

BREAKDOWN_COLUMNS = (
    "label",
    "exposed_users",
    "control_users",
    "revenue_per_exposed_user",
    "revenue_per_control_user",
    "lift",
    "incremental_revenue",
    "payout",
    "iroas",
    "iroas_ci_low",
    "iroas_ci_high",
    "p_value",
    "note",
)


@dataclass(frozen=True)
class IncrementalityReport:
    """Everything the page and the CLI show for one scope."""

    tracking_rows: int
    overall: GroupComparison
    contaminated_users: int
    srm_p_value: float
    expected_exposed_share: float
    power: PowerBasis
    buyers: pd.DataFrame
    histogram: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    problem: str | None = None
    guardrails: tuple[Guardrail, ...] = ()
    stratified: StratifiedEstimate | None = None


# ---------------------------------------------------------------- one comparison


def _small_group_warnings(n1: int, n0: int) -> tuple[str, ...]:
    if min(n1, n0) < 2:
        return (
            f"Only {n1} exposed and {n0} control user(s): too few to estimate an interval or a p-value, "
            "so treat the point estimate as anecdotal.",
        )
    if min(n1, n0) < SMALL_GROUP:
        return (f"Only {n1} exposed and {n0} control users: the interval is wide and the result is fragile.",)
    return ()


def empty_group_problem(n1: int, n0: int) -> str | None:
    """The one-sentence reason nothing can be compared, or None when both groups have users."""
    if n1 == 0 and n0 == 0:
        return "There are no users in this selection, so there is nothing to compare."
    if n0 == 0:
        return "There are no control users in this selection, so there is nothing to compare the exposed users with."
    if n1 == 0:
        return "There are no exposed users in this selection, so there is no effect to measure."
    return None


def build_comparison(
    n1: int,
    n0: int,
    big_r1: float,
    big_r0: float,
    payout: float,
    confidence: float = CONFIDENCE,
    *,
    iroas_ci: tuple[float, float] = (math.nan, math.nan),
    lift_ci: tuple[float, float] = (math.nan, math.nan),
    p_value: float = math.nan,
    warnings: tuple[str, ...] = (),
) -> GroupComparison:
    """A GroupComparison from the group sizes and revenue totals, with the point estimates by the module's
    formulas, whatever produced the intervals (the exact bootstrap here, sums in pipeline.scale.sums_stats).
    With an empty group only the counts, totals and `problem` are set."""
    problem = empty_group_problem(n1, n0)
    r1, r0 = float(safe_divide(big_r1, n1)), float(safe_divide(big_r0, n0))
    empty = problem is not None
    incremental = math.nan if empty else (r1 - r0) * n1
    return GroupComparison(
        exposed_users=n1,
        control_users=n0,
        exposed_revenue=big_r1,
        control_revenue=big_r0,
        revenue_per_exposed_user=r1,
        revenue_per_control_user=r0,
        lift=math.nan if empty else float(safe_divide(r1 - r0, r0)),
        incremental_revenue=incremental,
        payout=float(payout),
        iroas=math.nan if empty else float(safe_divide(incremental, payout)),
        iroas_ci_low=iroas_ci[0],
        iroas_ci_high=iroas_ci[1],
        lift_ci_low=lift_ci[0],
        lift_ci_high=lift_ci[1],
        p_value=math.nan if empty else p_value,
        confidence=confidence,
        warnings=() if empty else warnings,
        problem=problem,
    )


def comparison_warnings(n1: int, n0: int, payout: float) -> tuple[str, ...]:
    """Small-group warnings, and a note when there is no payout to divide by."""
    warnings = _small_group_warnings(n1, n0)
    if not payout > 0:
        warnings += ("There is no payout in this selection, so iROAS is undefined.",)
    return warnings


def compare_groups(
    exposed: np.ndarray,
    control: np.ndarray,
    payout: float,
    n_resamples: int = N_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> GroupComparison:
    """Lift, incremental revenue, iROAS, their bootstrap intervals and the Welch p-value.

    `exposed` and `control` hold revenue per user (one entry per user). Formulas in the module
    docstring; the bootstrap resamples users within each group with a fixed seed.
    """
    exposed = np.asarray(exposed, dtype=np.float64)
    control = np.asarray(control, dtype=np.float64)
    n1, n0 = int(exposed.size), int(control.size)
    big_r1, big_r0 = float(exposed.sum()), float(control.sum())
    if empty_group_problem(n1, n0) is not None:
        return build_comparison(n1, n0, big_r1, big_r0, payout, confidence)
    nan = float("nan")
    iroas_ci = lift_ci = (nan, nan)
    if min(n1, n0) >= 2:
        rng = np.random.default_rng(seed)
        r1_draws = resampled_means(exposed, n_resamples, rng)
        r0_draws = resampled_means(control, n_resamples, rng)
        difference = r1_draws - r0_draws
        if payout > 0:
            iroas_ci = percentile_interval(difference * n1 / payout, confidence)
        if np.all(r0_draws > 0):
            lift_ci = percentile_interval(difference / r0_draws, confidence)
    tests = {"p_value": welch_p_value(exposed, control), "warnings": comparison_warnings(n1, n0, payout)}
    return build_comparison(n1, n0, big_r1, big_r0, payout, confidence, iroas_ci=iroas_ci, lift_ci=lift_ci, **tests)


# ---------------------------------------------------------------- breakdowns and the report


def _comparison_row(comparison: GroupComparison) -> dict[str, Any]:
    notes = (comparison.problem,) if comparison.problem else comparison.warnings
    return {
        "exposed_users": comparison.exposed_users,
        "control_users": comparison.control_users,
        "revenue_per_exposed_user": comparison.revenue_per_exposed_user,
        "revenue_per_control_user": comparison.revenue_per_control_user,
        "lift": comparison.lift,
        "incremental_revenue": comparison.incremental_revenue,
        "payout": comparison.payout,
        "iroas": comparison.iroas,
        "iroas_ci_low": comparison.iroas_ci_low,
        "iroas_ci_high": comparison.iroas_ci_high,
        "p_value": comparison.p_value,
        "note": " ".join(notes),
    }


def breakdown(
    clean: pd.DataFrame,
    column: str,
    per_user_payout: pd.Series,
    influencers: pd.DataFrame | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    reuse: pd.DataFrame | None = None,
    whole: frozenset[object] = frozenset(),
) -> pd.DataFrame:
    """One row per value of `column`: that slice's users compared, with its apportioned payout.

    A user counts in a slice when they have a row in it, with the revenue of those rows. Slices
    with an empty group keep their row with NaN results and the reason in `note`. The row of a value in
    `whole` is copied from `reuse` when it has one (see analyse's `reuse`), not bootstrapped again: every slice
    is bootstrapped with its own generator seeded by `seed`, so the copy is the row this call would compute.
    """
    users = user_revenue(clean, (column,))
    payouts = apportioned_payout(clean, per_user_payout, (column,))
    names = {}
    if column == "influencer_id" and influencers is not None and {"id", "name"} <= set(influencers.columns):
        names = dict(zip(influencers["id"], influencers["name"].astype(str), strict=False))
    kept = {} if reuse is None else {v: r for v, r in zip(reuse[column], reuse.to_dict("records"), strict=True)}
    rows = []
    for value, part in users.groupby(column, observed=True, sort=True):
        if value in whole and value in kept:
            rows.append(kept[value])
            continue
        group = part["group"].to_numpy()
        revenue = part["revenue"].to_numpy()
        comparison = compare_groups(
            revenue[group == EXPOSED],
            revenue[group == CONTROL],
            float(payouts.get(value, 0.0)),
            n_resamples=n_resamples,
            seed=seed,
        )
        label = names.get(value, f"Influencer {value}") if column == "influencer_id" else str(value)
        rows.append({column: value, "label": label, **_comparison_row(comparison)})
    return pd.DataFrame(rows, columns=[column, *BREAKDOWN_COLUMNS])


def _report_warnings(
    overall: GroupComparison, contaminated: int, users_in_scope: int, unapportioned: int
) -> tuple[str, ...]:
    """Notes on what was excluded or not apportioned; the sample-ratio test is a guardrail (guardrails.py)."""
    warnings: list[str] = []
    if contaminated:
        warnings.append(
            f"{contaminated:,} user(s) appear in both the exposed and the control group "
            f"({contaminated / max(users_in_scope, 1):.2%} of users) and were excluded."
        )
    if unapportioned:
        warnings.append(
            f"{unapportioned} influencer(s) have a payout but no exposed users; their payout counts in the total only."
        )
    return (*warnings, *overall.warnings)


def available_breakdowns(columns: pd.Index | list[str]) -> tuple[str, ...]:
    """The BREAKDOWNS names whose tracking column is among `columns`, in BREAKDOWNS order."""
    present = set(columns)
    return tuple(name for name, column in BREAKDOWNS.items() if column in present)


def scope_breakdown(
    tracking: pd.DataFrame,
    payouts: pd.DataFrame,
    name: str,
    reference: pd.DataFrame | Reference | None = None,
    influencers: pd.DataFrame | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    reuse: pd.DataFrame | None = None,
) -> pd.DataFrame | None:
    """analyse(...).breakdowns.get(name) alone, without the pooled and stratified bootstraps: for a page that shows
    one breakdown at a time. `reuse` is that breakdown of the whole data's report (see analyse). None when the
    column is absent or a group is empty in the scope (analyse then has no breakdowns either)."""
    column = BREAKDOWNS[name]
    scope = prepare_scope(tracking, payouts, reference, (name,), reuse is not None)
    if column not in scope.clean.columns:
        return None
    group = scope.clean.drop_duplicates("user_id")["group"].to_numpy()
    if empty_group_problem(int((group == EXPOSED).sum()), int((group == CONTROL).sum())) is not None:
        return None
    whole = whole_slices(scope.clean, scope.reference_clean, column) if reuse is not None else frozenset()
    return breakdown(scope.clean, column, scope.per_user_payout, influencers, n_resamples, seed, reuse, whole)


def _stratified(
    clean: pd.DataFrame,
    reference_clean: pd.DataFrame,
    per_user_payout: pd.Series,
    n_resamples: int,
    seed: int,
    reuse: IncrementalityReport | None,
) -> StratifiedEstimate:
    """The estimate stratified by influencer, copying the draws of influencers the scope holds whole from `reuse`."""
    kept = None if reuse is None or reuse.stratified is None else reuse.stratified.draws
    whole = whole_slices(clean, reference_clean, STRATUM) if kept else frozenset()
    by_influencer = user_revenue(clean, (STRATUM,))
    stratum_payouts = apportioned_payout(clean, per_user_payout, (STRATUM,))
    return bootstrap_stratified(by_influencer, stratum_payouts, n_resamples, seed, reuse=kept, whole=whole)


def analyse(
    tracking: pd.DataFrame,
    payouts: pd.DataFrame,
    reference: pd.DataFrame | Reference | None = None,
    influencers: pd.DataFrame | None = None,
    expected_exposed_share: float = EXPECTED_EXPOSED_SHARE,
    breakdowns: tuple[str, ...] = tuple(BREAKDOWNS),
    n_resamples: int = N_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    stratify: bool = True,
    reuse: IncrementalityReport | None = None,
) -> IncrementalityReport:
    """The full incrementality report for the rows of `tracking` (the scope).

    `reference` (default: `tracking`) is the wider data used to find users in both groups and to apportion
    payouts, raw or prepared once (scope.prepare_reference); `payouts` lists the influencers in scope. Raises
    IncrementalityInputError for unusable tables; an empty group gives a report whose `problem` says so.
    `stratify=False` leaves out the stratified estimate (`stratified` is None), for a caller that does not show it.

    `reuse`: analyse(reference, all payouts, ...) with the same n_resamples and seed, when `tracking` is a subset
    of `reference`'s rows and `payouts` holds every in-scope influencer's full payout (as
    pipeline.filters.apply_influencer_filter cuts them). A slice the scope holds whole (whole_slices) then
    has exactly the same users, revenue, payout and bootstrap, so its breakdown row and its stratum's draws are
    copied instead of recomputed: a platform or influencer pick re-bootstraps only the pooled comparison and the
    slices it splits.
    """
    scope = prepare_scope(tracking, payouts, reference, breakdowns, reuse is not None)
    clean, reference_clean, per_user_payout = scope.clean, scope.reference_clean, scope.per_user_payout
    tracking, contaminated_in_scope, payout = scope.tracking, scope.contaminated_in_scope, scope.payout
    users = user_revenue(clean)
    revenue, group = users["revenue"].to_numpy(), users["group"].to_numpy()
    exposed, control = revenue[group == EXPOSED], revenue[group == CONTROL]
    overall = compare_groups(exposed, control, payout, n_resamples=n_resamples, seed=seed)
    srm_p = srm_p_value(overall.exposed_users, overall.control_users, expected_exposed_share)
    tables: dict[str, pd.DataFrame] = {}
    stratified = None
    if overall.problem is None:
        for name in breakdowns:
            column = BREAKDOWNS[name]
            if column in clean.columns:
                kept = None if reuse is None else reuse.breakdowns.get(name)
                whole = whole_slices(clean, reference_clean, column) if kept is not None else frozenset()
                tables[name] = breakdown(clean, column, per_user_payout, influencers, n_resamples, seed, kept, whole)
        if stratify:
            stratified = _stratified(clean, reference_clean, per_user_payout, n_resamples, seed, reuse)
    users_in_scope = int(pd.unique(tracking["user_id"]).size)
    basis, buyers = power_basis(exposed, control), buyer_summary(users)
    checks = (srm_p, expected_exposed_share, contaminated_in_scope, users_in_scope, buyers, basis)
    return IncrementalityReport(
        tracking_rows=len(tracking),
        overall=overall,
        contaminated_users=contaminated_in_scope,
        srm_p_value=srm_p,
        expected_exposed_share=expected_exposed_share,
        power=basis,
        buyers=buyers,
        histogram=buyer_revenue_histogram(users),
        breakdowns=tables,
        warnings=_report_warnings(overall, contaminated_in_scope, users_in_scope, scope.unapportioned),
        problem=overall.problem,
        guardrails=run_guardrails(overall, *checks),
        stratified=stratified,
    )
