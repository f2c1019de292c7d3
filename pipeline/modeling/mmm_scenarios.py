"""The budget planner's inputs, its one-call result, and saved scenarios, on top of the window, plan and optimizer
modules (mmm_window, mmm_plan, mmm_optimize). No Streamlit here: the Planner page lays these out.

Every figure comes from score_plan / optimize / compare; this module only assembles them into tables, sentences,
a CSV and a JSON-able scenario (inputs and totals), and re-scores saved scenarios on the same posterior draws so
two of them can be compared draw by draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from pipeline.modeling.mmm_fit import MmmPosterior
from pipeline.modeling.mmm_optimize import Limit, Optimum, current_mix, optimize
from pipeline.modeling.mmm_plan import INTERVAL, PlanScore, WindowModel, compare, score_plan, window_model
from pipeline.modeling.mmm_window import PlanError, make_window, recent_totals
from pipeline.modeling.plan_terms import DEFAULT_DAYS, DEFAULT_MAX_SHIFT, MAX_DAYS, MODE_LABELS, MODES, SPREADS
from pipeline.text import joined, money

PLAN_NAMES = ("recommended", "current mix", "equal split")
WINDOW_ROW = "whole window"
SUMMARY_FIELDS = (
    "budget", "predicted_revenue", "predicted_revenue_ci", "carry_in", "roas", "roas_ci", "base_revenue",
    "total_revenue", "total_revenue_ci", "days", "start", "spread",
)  # fmt: skip


@dataclass(frozen=True)
class PlanInputs:
    """What a planner chose. Limits are (channel, Limit) pairs so inputs can key a cache."""

    start: str = ""  # YYYY-MM-DD; empty: the day after the data ends
    days: int = DEFAULT_DAYS
    spread: str = "even"
    mode: str = "budget"
    budget: float | None = None  # None: the current mix's spend over the last `days` days of data
    target: float = 1.0
    minimum: tuple[tuple[str, Limit], ...] = field(default_factory=tuple)
    maximum: tuple[tuple[str, Limit], ...] = field(default_factory=tuple)
    max_shift: float | None = DEFAULT_MAX_SHIFT  # budget mode: how far a channel without limits may move; None: any


@dataclass(frozen=True)
class PlanResult:
    """The recommended plan, the current mix and an equal split at the recommended budget, all on the same draws."""

    inputs: PlanInputs
    model: WindowModel
    optimum: Optimum
    recommended: PlanScore
    current: PlanScore
    equal: PlanScore
    versus_current: dict[str, Any]  # compare(current, recommended): B is the recommended plan


def default_budget(posterior: MmmPosterior, days: int) -> float:
    """The current mix's spend over the data's last `days` days."""
    return float(sum(recent_totals(posterior, days).values()))


def equal_split(model: WindowModel, budget: float) -> dict[str, float]:
    return {name: budget / len(model.names) for name in model.names}


def run_plan(posterior: MmmPosterior, inputs: PlanInputs) -> PlanResult:
    """Optimise, then score the recommendation and its two baselines. Raises PlanError (one sentence)."""
    window = make_window(posterior, inputs.days, inputs.start or None, inputs.spread)
    model = window_model(posterior, window)
    budget = default_budget(posterior, window.days) if inputs.budget is None else inputs.budget
    optimum = optimize(
        model,
        inputs.mode,
        budget,
        inputs.target,
        minimum=dict(inputs.minimum),
        maximum=dict(inputs.maximum),
        max_shift=inputs.max_shift,
    )
    recommended = score_plan(model, optimum.totals)
    spent = recommended.summary["budget"]
    current = score_plan(model, current_mix(model, spent))
    equal = score_plan(model, equal_split(model, spent))
    return PlanResult(inputs, model, optimum, recommended, current, equal, compare(current, recommended))


# ---------------------------------------------------------------- tables and sentences


def allocation_table(result: PlanResult) -> pd.DataFrame:
    """One row per channel: current-mix and recommended spend over the window (and the current mix's incremental
    revenue), share, incremental revenue with its 90% interval, marginal ROAS, how far the busiest planned day
    exceeds the data's, and whether it sits at a bound."""
    current = {line["channel"]: line for line in result.current.summary["allocation"]}
    rows = [
        {
            "channel": line["channel"],
            "current_spend": current[line["channel"]]["spend"],
            "current_revenue": current[line["channel"]]["predicted_revenue"],
            "current_low": current[line["channel"]]["predicted_revenue_ci"][0],
            "current_high": current[line["channel"]]["predicted_revenue_ci"][1],
            "spend": line["spend"],
            "share": line["share"],
            "predicted_revenue": line["predicted_revenue"],
            "revenue_low": line["predicted_revenue_ci"][0],
            "revenue_high": line["predicted_revenue_ci"][1],
            "mroas": line["mroas"],
            "mroas_low": line["mroas_ci"][0],
            "mroas_high": line["mroas_ci"][1],
            "extrapolated": line["extrapolated"],
            "extrapolation_factor": line["extrapolation_factor"],
            "at_bound": result.optimum.at_bound.get(line["channel"], False),
        }
        for line in result.recommended.summary["allocation"]
    ]
    return pd.DataFrame(rows)


def _plan_row(name: str, summary: dict[str, Any]) -> dict[str, Any]:
    roas_ci = summary["roas_ci"] or [None, None]
    total_ci = summary["total_revenue_ci"] or [None, None]
    return {
        "plan": name,
        "budget": summary["budget"],
        "predicted_revenue": summary["predicted_revenue"],
        "revenue_low": summary["predicted_revenue_ci"][0],
        "revenue_high": summary["predicted_revenue_ci"][1],
        "carry_in": summary["carry_in"],
        "roas": summary["roas"],
        "roas_low": roas_ci[0],
        "roas_high": roas_ci[1],
        "base_revenue": summary["base_revenue"],
        "total_revenue": summary["total_revenue"],
        "total_low": total_ci[0],
        "total_high": total_ci[1],
    }


def plans_table(result: PlanResult) -> pd.DataFrame:
    """The recommended plan, the current mix and the equal split side by side, each at the same budget."""
    scores = (result.recommended, result.current, result.equal)
    return pd.DataFrame([_plan_row(name, score.summary) for name, score in zip(PLAN_NAMES, scores, strict=True)])


def _factor(value: float) -> str:
    """2.3×, or 1.02× just above the data (where one decimal would say "1.0×")."""
    return f"{value:.2f}×" if value < 1.1 else f"{value:.1f}×"


def extrapolation_warnings(summary: dict[str, Any]) -> list[str]:
    """One sentence per channel whose busiest planned day is above the highest day of spend in the data."""
    return [
        f"{line['channel']}: planned daily spend is {_factor(line['extrapolation_factor'])} the highest day in the "
        f"data ({money(line['highest_daily_spend'])} vs {money(line['highest_daily_spend_seen'])}); the forecast there "
        "follows the fitted curve, not evidence."
        if line["extrapolation_factor"] is not None
        else f"{line['channel']}: the data has no day of spend, so any spend on it is beyond the data."
        for line in summary["allocation"]
        if line["extrapolated"]
    ]


def break_even_warning(summary: dict[str, Any]) -> str | None:
    """A sentence when a funded channel's next dollar brings back less than $1 of incremental revenue (its marginal
    ROAS, posterior mean, below 1): those last dollars do not pay for themselves on revenue. None otherwise."""
    losing = [line for line in summary["allocation"] if line["spend"] > 0 and line["mroas"] < 1]
    if not losing:
        return None
    values = sorted(line["mroas"] for line in losing)
    shown = f"{values[0]:.2f}x" if len(values) == 1 else f"{values[0]:.2f}x to {values[-1]:.2f}x"
    funded = sum(line["spend"] > 0 for line in summary["allocation"])
    names = [line["channel"] for line in losing]
    who = "every funded channel" if len(losing) == funded and funded > 1 else joined(names)
    return (
        f"At this plan the next dollar in {who} brings back less than $1 of incremental revenue (marginal ROAS "
        f'{shown}): the last dollars there do not pay for themselves on revenue. "{MODE_LABELS["target-mroas"]}" '
        "finds the budget whose next dollar still does."
    )


def chance_text(probability: float) -> str:
    """A share of draws as a chance: "87%", but "> 99%" and "< 1%" at the ends (a few hundred draws can't say 100%)."""
    if probability > 0.99:
        return "> 99%"
    return "< 1%" if probability < 0.01 else f"{probability:.0%}"


def versus_sentence(result: PlanResult) -> str:
    """The recommendation against the current mix at the same budget, from compare() on the same draws."""
    versus = result.versus_current
    low, high = versus["difference_ci"]
    more = "more" if versus["difference"] >= 0 else "less"  # limits can force a plan below the current mix
    return (
        f"Against the current mix at the same budget, the recommended plan brings {money(abs(versus['difference']))} "
        f"{more} incremental revenue (90% interval {money(low)} to {money(high)}); the chance that it brings more: "
        f"{chance_text(versus['probability_b_beats_a'])}."
    )


def carry_in_sentence(summary: dict[str, Any]) -> str:
    """What past spend still brings over the window when nothing new is spent."""
    low, high = summary["carry_in_ci"]
    return (
        f"With no budget, past spend still brings {money(summary['carry_in'])} of incremental revenue over these "
        f"{summary['days']} days (90% interval {money(low)} to {money(high)}), fading day by day as its carryover "
        "decays."
    )


def _span(interval: list[float]) -> str:
    return f"{money(interval[0])} – {money(interval[1])}"


def interval_sentence(summary: dict[str, Any]) -> str:
    """The plan's 90% intervals in one line, for under its tiles."""
    parts = [f"incremental revenue {_span(summary['predicted_revenue_ci'])}"]
    if summary["roas_ci"] is not None:
        parts.append(f"ROAS {summary['roas_ci'][0]:.2f}x – {summary['roas_ci'][1]:.2f}x")
    parts.append(f"carry-in {_span(summary['carry_in_ci'])}")
    if summary["total_revenue_ci"] is not None:
        parts.append(f"total revenue {_span(summary['total_revenue_ci'])}")
    return f"90% intervals over {summary['days']} days from {summary['start']}: " + "; ".join(parts) + "."


# ---------------------------------------------------------------- day by day and the CSV


def daily_revenue_draws(model: WindowModel, totals: dict[str, float]) -> dict[str, np.ndarray]:
    """(draws, days) incremental revenue per channel and day, carry-in included."""
    return {name: channel.daily_revenue(totals.get(name, 0.0)) for name, channel in model.channels.items()}


def daily_plan(model: WindowModel, totals: dict[str, float]) -> pd.DataFrame:
    """One row per day and channel: the day's planned spend and incremental revenue (mean, 90% interval), and the
    carry-in alone (what past spend brings that day with nothing new spent)."""
    revenue, carry = daily_revenue_draws(model, totals), daily_revenue_draws(model, {})
    dates = model.window.dates
    parts = []
    for name, channel in model.channels.items():
        low, high = np.quantile(revenue[name], INTERVAL, axis=0)
        parts.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "channel": name,
                    "spend": totals.get(name, 0.0) * channel.weights,
                    "predicted_revenue": revenue[name].mean(axis=0),
                    "revenue_low": low,
                    "revenue_high": high,
                    "carry_in": carry[name].mean(axis=0),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def plan_csv_frame(result: PlanResult) -> pd.DataFrame:
    """The plan as one CSV: spend per channel per day with that day's predicted incremental revenue, then each
    channel's window totals, then the plan's totals (incremental, carry-in, base and total revenue)."""
    summary = result.recommended.summary
    daily = daily_plan(result.model, result.recommended.totals).drop(columns="carry_in")
    daily["date"] = daily["date"].dt.strftime("%Y-%m-%d")
    window_columns = ["channel", "spend", "predicted_revenue", "revenue_low", "revenue_high", "mroas"]
    window = allocation_table(result)[[*window_columns, "extrapolated", "extrapolation_factor"]].assign(date=WINDOW_ROW)
    totals = [
        ("all channels (incremental)", summary["budget"], "predicted_revenue", summary["roas"]),
        ("carry-in (no new spend)", 0.0, "carry_in", None),
        ("base revenue (no media)", None, "base_revenue", None),
        ("total revenue", summary["budget"], "total_revenue", None),
    ]
    rows = [
        {
            "date": WINDOW_ROW,
            "channel": name,
            "spend": spend,
            "predicted_revenue": summary[key],
            "revenue_low": (summary.get(f"{key}_ci") or [None, None])[0],
            "revenue_high": (summary.get(f"{key}_ci") or [None, None])[1],
            "roas": roas,
        }
        for name, spend, key, roas in totals
    ]
    return pd.concat([daily, window, pd.DataFrame(rows)], ignore_index=True)


# ---------------------------------------------------------------- scenarios


def _limits_payload(limits: tuple[tuple[str, Limit], ...]) -> dict[str, dict[str, Any]]:
    return {name: {"amount": limit.amount, "share_of_current": limit.share_of_current} for name, limit in limits}


def inputs_payload(inputs: PlanInputs) -> dict[str, Any]:
    """The inputs as plain JSON values."""
    names = ("start", "days", "spread", "mode", "budget", "target", "max_shift")
    plain = {name: getattr(inputs, name) for name in names}
    return plain | {"minimum": _limits_payload(inputs.minimum), "maximum": _limits_payload(inputs.maximum)}


def _number(value: object, what: str, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise PlanError(f"This scenario's {what} is not a number ≥ 0, so it can't be opened.")
    return float(value)


def _limits_from(payload: object, what: str) -> tuple[tuple[str, Limit], ...]:
    if not isinstance(payload, dict):
        raise PlanError(f"This scenario's {what} limits are damaged, so it can't be opened.")
    limits = []
    for name, limit in payload.items():
        if not isinstance(limit, dict):
            raise PlanError(f"This scenario's {what} limit for {name} is damaged, so it can't be opened.")
        amount = _number(limit.get("amount"), f"{what} for {name}")
        limits.append((str(name), Limit(amount, bool(limit.get("share_of_current", False)))))
    return tuple(limits)


def _is_date(text: str) -> bool:
    try:
        pd.Timestamp(text)
    except ValueError:
        return False
    return True


def inputs_from_payload(payload: object) -> PlanInputs:
    """PlanInputs from a saved scenario's JSON; PlanError (one sentence) when any field is damaged."""
    if not isinstance(payload, dict):
        raise PlanError("This scenario has no saved inputs, so it can't be opened.")
    days, spread, mode = payload.get("days"), payload.get("spread"), payload.get("mode")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise PlanError("This scenario's number of days is damaged, so it can't be opened.")
    if spread not in SPREADS or mode not in MODES:
        raise PlanError("This scenario's spread or mode is damaged, so it can't be opened.")
    start = payload.get("start") or ""
    if not isinstance(start, str) or (start and not _is_date(start)):
        raise PlanError("This scenario's start date is damaged, so it can't be opened.")
    return PlanInputs(
        start=start,
        days=days,
        spread=spread,
        mode=mode,
        budget=_number(payload.get("budget"), "budget", allow_none=True),
        target=_number(payload.get("target", 1.0), "target"),
        minimum=_limits_from(payload.get("minimum", {}), "minimum"),
        maximum=_limits_from(payload.get("maximum", {}), "maximum"),
        # A scenario saved before the move limit existed was optimised without one.
        max_shift=_number(payload.get("max_shift"), "largest move from the current mix", allow_none=True),
    )


def scenario_plan(result: PlanResult) -> dict[str, Any]:
    """What a saved scenario keeps: the inputs, the recommended spend per channel, and the plan's totals."""
    summary = result.recommended.summary
    return {
        "inputs": inputs_payload(result.inputs),
        "allocation": dict(result.recommended.totals),
        "totals": {key: summary[key] for key in SUMMARY_FIELDS},
    }


def score_scenario(posterior: MmmPosterior, plan: dict[str, Any]) -> PlanScore:
    """A saved scenario's spend per channel scored again on this posterior, over its own window."""
    inputs = inputs_from_payload(plan.get("inputs") if isinstance(plan, dict) else None)
    allocation = plan.get("allocation")
    if not isinstance(allocation, dict):
        raise PlanError("This scenario has no saved spend per channel, so it can't be scored.")
    totals = {str(name): _number(amount, f"spend for {name}") for name, amount in allocation.items()}
    window = make_window(posterior, inputs.days, inputs.start or None, inputs.spread)
    return score_plan(window_model(posterior, window), totals)


class Scenario(Protocol):
    id: str
    name: str
    saved_at: pd.Timestamp
    data_key: str
    plan: dict[str, Any]


def compare_scenarios(posterior: MmmPosterior, first: Scenario, second: Scenario) -> tuple[pd.DataFrame, dict]:
    """A and B re-scored on the same draws: a table of their figures, and compare(A, B)."""
    scores = [score_scenario(posterior, scenario.plan) for scenario in (first, second)]
    table = pd.DataFrame([_plan_row(s.name, score.summary) for s, score in zip((first, second), scores, strict=True)])
    return table, compare(scores[0], scores[1])


def scenarios_table(scenarios: list[Scenario], data_key: str) -> pd.DataFrame:
    """Saved scenarios, newest first, with the totals they were saved with and whether they are on this data."""
    rows = []
    for scenario in scenarios:
        plan = scenario.plan if isinstance(scenario.plan, dict) else {}
        inputs, totals = plan.get("inputs") or {}, plan.get("totals") or {}
        rows.append(
            {
                "id": scenario.id,
                "name": scenario.name,
                "saved_at": scenario.saved_at,
                "mode": inputs.get("mode"),
                "start": totals.get("start"),
                "days": totals.get("days"),
                "budget": totals.get("budget"),
                "predicted_revenue": totals.get("predicted_revenue"),
                "roas": totals.get("roas"),
                "this_data": scenario.data_key == data_key,
            }
        )
    return pd.DataFrame(rows)
