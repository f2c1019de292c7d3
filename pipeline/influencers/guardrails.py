"""Checks that the data can carry an incrementality verdict at all, run before any verdict (guardrails first).

Each check reads the report's overall numbers and returns a Guardrail with a status:
    pass   the data looks like a randomised test on this point;
    flag   borderline: the verdict stands, with this warning next to it;
    fail   the data cannot carry a verdict: the warning replaces it, naming the check and what to fix;
    skip   the check needs something this path does not have (per-user rows at scale, a variance).

The checks: sample-ratio mismatch (flag at p < 0.05, fail at p < 0.001), users in both groups (flag above 1%,
fail above 5% of users), non-buyers in each group (tracking that holds buyers only compares buyers with buyers,
not exposed with control users), a lift no randomised influencer test produces (flag above +100%, fail above
+200% revenue per user), and enough users for the minimum detectable lift (flag above 20%, fail above 100%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from pipeline.influencers.statistics import (
    SRM_ALERT_P,
    SRM_FLAG_P,
    GroupComparison,
    PowerBasis,
    minimum_detectable_lift,
)

PASS, FLAG, FAIL, SKIP = "pass", "flag", "fail", "skip"
BOTH_GROUPS_FLAG = 0.01  # a few logging slips are normal; more means the assignment leaks
BOTH_GROUPS_FAIL = 0.05  # one user in twenty in both groups: the groups were not kept apart
LIFT_FLAG = 1.0  # +100% revenue per user: far above what influencer tests report (single digits to tens of %)
LIFT_FAIL = 2.0  # +200%: no randomised influencer test produces this; the groups differ in who they hold
MDE_FLAG = 0.20  # the test cannot see lifts below 20%: a null result says little
MDE_FAIL = 1.0  # it cannot see anything short of doubling revenue per user
MIN_USERS_FOR_BUYER_CHECK = 30  # tiny groups can be all buyers by chance; the small-group warning covers them


@dataclass(frozen=True)
class Guardrail:
    """One check: its name, status (PASS, FLAG, FAIL or SKIP) and one or two sentences for people."""

    name: str
    status: str
    message: str


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%" if abs(value) < 0.1 else f"{100 * value:.1f}%"


def check_sample_ratio(overall: GroupComparison, srm_p: float, expected_share: float) -> Guardrail:
    """Chi-square sample-ratio test of the group sizes against the planned split."""
    name = "Sample ratio"
    if not math.isfinite(srm_p):
        return Guardrail(name, SKIP, "There are no users to test the split on.")
    split = (
        f"{overall.exposed_users:,} exposed vs {overall.control_users:,} control users against a planned "
        f"{expected_share:.0%} exposed (p = {srm_p:.2g})"
    )
    if srm_p < SRM_ALERT_P:
        fix = "Check how users were assigned and logged, and set the planned exposed share if it was not 50%."
        return Guardrail(name, FAIL, f"Sample ratio mismatch: {split}. The randomisation is broken. {fix}")
    if srm_p < SRM_FLAG_P:
        return Guardrail(name, FLAG, f"Borderline sample ratio: {split}. Check that users were assigned at random.")
    return Guardrail(name, PASS, f"The group sizes match the planned split (p = {srm_p:.2g}).")


def _graded(name: str, value: float, limits: tuple[float, float], messages: tuple[str, str, str]) -> Guardrail:
    """FAIL above limits[0], FLAG above limits[1], else PASS, with the (fail, flag, pass) message."""
    fail_above, flag_above = limits
    status, message = (
        (FAIL, messages[0])
        if value > fail_above
        else (FLAG, messages[1])
        if value > flag_above
        else (PASS, messages[2])
    )
    return Guardrail(name, status, message)


def check_both_groups(contaminated: int, users_in_scope: int) -> Guardrail:
    """Share of users logged in both the exposed and the control group (they are excluded either way)."""
    name = "Users in both groups"
    share = contaminated / users_in_scope if users_in_scope else 0.0
    found = f"{contaminated:,} users ({_pct(share)}) appear in both groups"
    fix = "Keep each user in one group for the whole test (assign by a stable user id) and rerun it."
    messages = (
        f"{found}: the groups were not kept apart. {fix}",
        f"{found}, more than {BOTH_GROUPS_FLAG:.0%}: check the group assignment.",
        f"{found}; they are excluded.",
    )
    return _graded(name, share, (BOTH_GROUPS_FAIL, BOTH_GROUPS_FLAG), messages)


def check_non_buyers(buyers: pd.DataFrame) -> Guardrail:
    """Each group must hold users who bought nothing: a randomised test tracks every assigned user."""
    name = "Non-buyers tracked"
    if buyers.empty:
        return Guardrail(name, SKIP, "Not checked: it needs per-user rows.")
    full = buyers[(buyers["users"] >= MIN_USERS_FOR_BUYER_CHECK) & (buyers["buyers"] == buyers["users"])]
    if full.empty:
        return Guardrail(name, PASS, "Both groups include users who bought nothing.")
    groups = " and ".join(str(g).lower() for g in full["group"])
    fix = "Upload every user assigned to the test, with 0 revenue for those who bought nothing."
    message = (
        f"Every {groups} user bought something: the tracking covers buyers only, so the groups compare buyers, "
        f"not exposed with control users. {fix}"
    )
    return Guardrail(name, FAIL, message)


def check_lift(overall: GroupComparison) -> Guardrail:
    """A lift far above any randomised influencer test's means the groups differ in who they hold."""
    name = "Plausible lift"
    if not math.isfinite(overall.lift):
        return Guardrail(name, SKIP, "There is no lift to judge (no control revenue).")
    found = (
        f"Revenue per exposed user is {_pct(overall.lift)} above the control group's "
        f"(${overall.revenue_per_exposed_user:,.2f} vs ${overall.revenue_per_control_user:,.2f})"
    )
    fix = "Check that the control group was drawn from the same audience at random, over the same period."
    messages = (
        f"{found}: no randomised influencer test produces a lift that big. {fix}",
        f"{found}: unusually large for influencer marketing; check the control group.",
        f"{found}.",
    )
    return _graded(name, overall.lift, (LIFT_FAIL, LIFT_FLAG), messages)


def check_power(basis: PowerBasis) -> Guardrail:
    """The minimum detectable lift with today's groups (80% power, α = 0.05)."""
    name = "Enough users"
    mde = minimum_detectable_lift(basis)
    if not math.isfinite(mde):
        return Guardrail(name, SKIP, "The minimum detectable lift is undefined here.")
    found = f"With these groups the smallest lift the test detects (80% power) is {100 * mde:.1f}%"
    fix = "Run the test on more users (the power calculator below says how many)."
    messages = (
        f"{found}: far too few users to measure an influencer effect. {fix}",
        f"{found}: smaller real effects would go unseen.",
        f"{found}.",
    )
    return _graded(name, mde, (MDE_FAIL, MDE_FLAG), messages)


def run_guardrails(
    overall: GroupComparison,
    srm_p: float,
    expected_share: float,
    contaminated: int,
    users_in_scope: int,
    buyers: pd.DataFrame,
    basis: PowerBasis,
) -> tuple[Guardrail, ...]:
    """Every check, in the order the page lists them; none when a group is empty (nothing to judge)."""
    if overall.problem is not None:
        return ()
    return (
        check_sample_ratio(overall, srm_p, expected_share),
        check_both_groups(contaminated, users_in_scope),
        check_non_buyers(buyers),
        check_lift(overall),
        check_power(basis),
    )


def with_status(guardrails: tuple[Guardrail, ...], status: str) -> tuple[Guardrail, ...]:
    """The checks with `status` (FAIL, FLAG, ...), in order."""
    return tuple(g for g in guardrails if g.status == status)


def as_records(guardrails: tuple[Guardrail, ...]) -> list[dict[str, str]]:
    """The checks as JSON-ready records (name, status, message), in order: for the CLI."""
    return [{"name": g.name, "status": g.status, "message": g.message} for g in guardrails]
