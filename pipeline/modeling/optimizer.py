"""The budget optimizer and plan comparisons on top of the planner (re-exported by pipeline.modeling.planner).

- `optimize_budget`: greedy marginal allocation over a fine spend grid per line, within per-line bounds. Lines
  whose optimal spend lies beyond what the data supports come back with `extrapolated` set (their gain there
  is the forecaster's flat floor, not a prediction).
- `target_roas_budget`: the largest budget (current mix held fixed, every line within its supported spend)
  whose predicted ROAS meets a target.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import kpis
from pipeline.modeling.forecast import Forecaster
from pipeline.modeling.planner import LINE_FIELDS, PlanError, predict_plan

OBJECTIVES = ("revenue", "conversions")
GRID_UNITS = 400  # the budget is handed out in this many equal units
LOOKAHEAD_UNITS = 80  # the greedy step compares gain per dollar over up to this many units
DEFAULT_BOUND = 0.5  # default per-line bounds: current allocation ±50%


def default_bounds(lines: pd.DataFrame, width: float = DEFAULT_BOUND) -> pd.DataFrame:
    """`lines` with min_spend / max_spend = current spend x (1 ∓ width)."""
    return lines.assign(min_spend=lines["spend"] * (1 - width), max_spend=lines["spend"] * (1 + width))


@dataclass
class Optimum:
    """The optimised lines (with predictions) and how they were found."""

    lines: pd.DataFrame
    total: dict[str, float]
    method: str


def _check_bounds(lines: pd.DataFrame, budget: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = (pd.to_numeric(lines[c], errors="coerce").to_numpy(dtype="float64") for c in ("min_spend", "max_spend"))
    if not np.isfinite(budget) or budget <= 0:
        raise PlanError(["The budget must be a positive number."])
    if not (np.isfinite(low).all() and np.isfinite(high).all()) or (low < 0).any() or (high < low).any():
        raise PlanError(["Each line needs bounds with 0 <= minimum <= maximum."])
    if low.sum() > budget + 1e-9 or high.sum() < budget - 1e-9:
        raise PlanError(
            [
                f"The bounds allow a total between {low.sum():,.2f} and {high.sum():,.2f}; "
                f"the budget {budget:,.2f} is outside."
            ]
        )
    return low, high


def optimize_budget(forecaster: Forecaster, lines: pd.DataFrame, budget: float, objective: str = "revenue") -> Optimum:
    """Split `budget` across `lines` (categories, spend, min_spend, max_spend) to maximise the objective.

    Greedy marginal allocation: above each line's minimum, the budget is handed out in GRID_UNITS equal
    units; each step gives the line with the best predicted gain per dollar (looking ahead up to
    LOOKAHEAD_UNITS units, to cross the tree's flat stretches) its best block. The result always respects
    the bounds and spends the budget exactly. If a feasible reference plan (the current spends, if they
    add up to the budget, or the equal split) predicts more, that plan is returned instead (never worse).
    Lines whose spend ends beyond what the data supports have `extrapolated` set, and so does the total."""
    if objective not in OBJECTIVES:
        raise PlanError([f"The objective must be one of: {', '.join(OBJECTIVES)}."])
    low, high = _check_bounds(lines, budget)
    unit = (budget - low.sum()) / GRID_UNITS
    steps = np.floor((high - low) / unit + 1e-9).astype(int) if unit > 0 else np.zeros(len(lines), dtype=int)
    grids = [low[i] + unit * np.arange(steps[i] + 1) for i in range(len(lines))]
    frame = pd.DataFrame(
        {
            **{c: np.repeat(lines[c].to_numpy(), steps + 1) for c in LINE_FIELDS},
            "spend": np.concatenate(grids),
        }
    )
    values = np.split(forecaster.predict(frame)[objective].to_numpy(), np.cumsum(steps + 1)[:-1])
    taken = _greedy(values, steps, min(GRID_UNITS, int(steps.sum())))
    spend = low + unit * taken
    spend += _spread(budget - spend.sum(), high - spend)
    candidates = {"greedy marginal allocation on a spend grid": spend}
    for name, plan in _reference_plans(lines, budget, low, high).items():
        candidates[name] = plan
    scored = {
        name: float(forecaster.predict(lines[list(LINE_FIELDS)].assign(spend=plan))[objective].sum())
        for name, plan in candidates.items()
    }
    best = max(scored, key=lambda name: (scored[name], name.startswith("greedy")))
    predicted, total = predict_plan(forecaster, lines[list(LINE_FIELDS)].assign(spend=candidates[best]))
    return Optimum(predicted, total, best)


def _greedy(values: list[np.ndarray], steps: np.ndarray, units: int) -> np.ndarray:
    """Units taken per line: repeatedly the block with the best gain per unit; ties spread evenly."""
    taken = np.zeros(len(values), dtype=int)
    left = units
    while left > 0:
        best_rate, best_line, best_k = 0.0, -1, 0
        for i, v in enumerate(values):
            room = min(int(steps[i] - taken[i]), left, LOOKAHEAD_UNITS)
            if room <= 0:
                continue
            rates = (v[taken[i] + 1 : taken[i] + room + 1] - v[taken[i]]) / np.arange(1, room + 1)
            k = int(np.argmax(rates))
            if rates[k] > best_rate + 1e-12:
                best_rate, best_line, best_k = float(rates[k]), i, k + 1
        if best_line < 0:  # nothing gains any more: spread the rest over lines with room
            for i in itertools.cycle(range(len(values))):
                if left == 0:
                    break
                if taken[i] < steps[i]:
                    taken[i] += 1
                    left -= 1
            break
        taken[best_line] += best_k
        left -= best_k
    return taken


def _spread(amount: float, room: np.ndarray) -> np.ndarray:
    """Hand out a small leftover `amount` in proportion to each line's room below its maximum."""
    if amount <= 0 or room.sum() <= 0:
        return np.zeros_like(room)
    return room * min(1.0, amount / room.sum())


def _reference_plans(lines: pd.DataFrame, budget: float, low: np.ndarray, high: np.ndarray) -> dict[str, np.ndarray]:
    """The current spends and the equal split, each only when it is feasible (budget and bounds)."""
    plans = {
        "current plan": lines["spend"].to_numpy(dtype="float64"),
        "equal split": np.full(len(lines), budget / len(lines)),
    }
    return {
        name: plan
        for name, plan in plans.items()
        if abs(plan.sum() - budget) <= 1e-6 * max(budget, 1.0)
        and (plan >= low - 1e-9).all()
        and (plan <= high + 1e-9).all()
    }


def compare_plans(
    forecaster: Forecaster, plans: Mapping[str, pd.DataFrame], objective: str = "revenue"
) -> pd.DataFrame:
    """One row per named plan: spend, the objective with its interval, revenue and ROAS."""
    rows = []
    for name, lines in plans.items():
        _, total = predict_plan(forecaster, lines[[*LINE_FIELDS, "spend"]])
        rows.append(
            {
                "plan": name,
                "spend": total["spend"],
                objective: total[objective],
                f"{objective}_lo": total[f"{objective}_lo"],
                f"{objective}_hi": total[f"{objective}_hi"],
                **({} if objective == "revenue" else {"revenue": total["revenue"]}),
                "roas": total["roas"],
            }
        )
    return pd.DataFrame(rows)


def uplift_sentence(optimised: float, current: float, objective: str = "revenue") -> str:
    """The optimised plan's gain over the current plan for the same budget, in words."""
    change = kpis.safe_divide(np.array([optimised - current]), np.array([current]))[0]
    amount = f"${abs(optimised - current):,.0f}" if objective == "revenue" else f"{abs(optimised - current):,.1f}"
    percent = "" if np.isnan(change) else f" ({change:+.1%})"
    direction = "more" if optimised >= current else "less"
    return (
        f"The optimised plan is predicted to bring {amount} {direction} {objective}{percent} "
        "than your current plan for the same budget."
    )


def target_roas_budget(
    forecaster: Forecaster, lines: pd.DataFrame, target: float, max_multiple: float = 3.0, points: int = 121
) -> float:
    """The largest budget, up to max_multiple x the plan's spend with its shares fixed and no line beyond
    the spend the data supports, whose predicted ROAS is at least `target`; NaN when none on that grid does."""
    total = float(lines["spend"].sum())
    if total <= 0 or not np.isfinite(target):
        return float("nan")
    budgets = np.linspace(total * max_multiple / points, total * max_multiple, points)
    shares = lines["spend"].to_numpy(dtype="float64") / total
    frame = pd.DataFrame(
        {**{c: np.tile(lines[c].to_numpy(), points) for c in LINE_FIELDS}, "spend": np.outer(budgets, shares).ravel()}
    )
    revenue = forecaster.predict(frame)["revenue"].to_numpy().reshape(points, len(lines)).sum(axis=1)
    supported = ~forecaster.extrapolated(frame).reshape(points, len(lines)).any(axis=1)
    meets = np.flatnonzero((revenue / budgets >= target) & supported)
    return float(budgets[meets[-1]]) if len(meets) else float("nan")
