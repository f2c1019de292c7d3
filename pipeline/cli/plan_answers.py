"""The forward planner's answers on the media mix model, shared by `optimize`, `plan` and the HTTP service.

`optimize` splits a window's budget (or finds the budget, in the target modes) and scores the recommendation
against the current mix and an equal split at the same budget; `plan` scores a given split. Both answer with the
same keys: spend is each channel's total over the window, predicted_revenue its incremental revenue over the
window's days (carry-in from past spend included), every interval 90% from the posterior draws.
"""

from __future__ import annotations

from typing import Any

from pipeline.cli.options import CliError
from pipeline.modeling import mmm_optimize, mmm_plan, mmm_window
from pipeline.modeling.mmm_fit import MmmPosterior
from pipeline.modeling.mmm_window import PlanError
from pipeline.modeling.plan_terms import DEFAULT_DAYS, DEFAULT_MAX_SHIFT


def _window_model(posterior: MmmPosterior, days: int, start: str | None, spread: str) -> mmm_plan.WindowModel:
    return mmm_plan.window_model(posterior, mmm_window.make_window(posterior, days, start, spread))


def _answer(
    model: mmm_plan.WindowModel, totals: dict[str, float], mode: str, method: str, note: str | None = None
) -> dict[str, Any]:
    """The plan's JSON, with the current mix and an equal split of the same budget beside it."""
    scored = mmm_plan.score_plan(model, totals)
    budget = scored.summary["budget"]
    current = mmm_plan.score_plan(model, mmm_optimize.current_mix(model, budget))
    equal = mmm_plan.score_plan(model, dict.fromkeys(model.names, budget / len(model.names)))
    against_current = mmm_plan.compare(current, scored)
    return {
        **scored.summary,
        "baseline": {
            "name": "current mix",
            "allocation": [{key: line[key] for key in ("channel", "spend")} for line in current.summary["allocation"]],
            "predicted_revenue": current.summary["predicted_revenue"],
            "predicted_revenue_ci": current.summary["predicted_revenue_ci"],
            "plan_minus_baseline": against_current["difference"],
            "plan_minus_baseline_ci": against_current["difference_ci"],
            "probability_plan_beats_baseline": against_current["probability_b_beats_a"],
        },
        "equal_split": {
            "predicted_revenue": equal.summary["predicted_revenue"],
            "predicted_revenue_ci": equal.summary["predicted_revenue_ci"],
        },
        "mode": mode,
        "method": method,
        "note": note,
    }


def optimize_answer(
    posterior: MmmPosterior,
    budget: float | None,
    days: int = DEFAULT_DAYS,
    start: str | None = None,
    mode: str = "budget",
    target: float = 1.0,
    minimum: list[str] | None = None,
    maximum: list[str] | None = None,
    spread: str = "even",
    max_shift: float | None = DEFAULT_MAX_SHIFT,
) -> dict[str, Any]:
    """`optimize --json`: the recommended split (budget mode) or the budget found (target modes)."""
    try:
        model = _window_model(posterior, days, start, spread)
        limits = mmm_optimize.parse_limits(minimum), mmm_optimize.parse_limits(maximum)
        optimum = mmm_optimize.optimize(model, mode, budget, target, *limits, max_shift=max_shift)
        answer = _answer(model, optimum.totals, mode, optimum.method, optimum.note)
    except PlanError as error:
        raise CliError(str(error)) from error
    for line in answer["allocation"]:
        line["at_bound"] = optimum.at_bound[line["channel"]]
        if optimum.spend_ci is not None:
            line["spend_at_target_ci"] = optimum.spend_ci[line["channel"]]
    shift = max_shift if mode == "budget" else None
    return {**answer, "target": None if mode == "budget" else target, "max_shift": shift}


def plan_answer(
    posterior: MmmPosterior,
    spend: list[str] | dict[str, float],
    days: int = DEFAULT_DAYS,
    start: str | None = None,
    spread: str = "even",
) -> dict[str, Any]:
    """`plan --json`: a given split scored the same way (channels left out spend nothing)."""
    try:
        model = _window_model(posterior, days, start, spread)
        totals = spend if isinstance(spend, dict) else _amounts(spend)
        return {**_answer(model, totals, "given", "the plan as given"), "target": None}
    except PlanError as error:
        raise CliError(str(error)) from error


def _amounts(specs: list[str]) -> dict[str, float]:
    """CHANNEL=AMOUNT pairs (no percentages: a plan states its amounts)."""
    limits = mmm_optimize.parse_limits(specs)
    shared = [name for name, limit in limits.items() if limit.share_of_current]
    if shared:
        raise PlanError(f"Give {shared[0]}'s spend as an amount, not a percentage.")
    return {name: limit.amount for name, limit in limits.items()}
