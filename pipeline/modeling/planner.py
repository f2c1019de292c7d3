"""Spend planning on top of the forecaster: scenarios, plans, response curves, a budget optimizer.

- `predict_scenario`: one line (platform, device, campaign type, content type, spend) with every target's
  prediction, its 90% interval and the ratios (CPM, CPC, CPA, ROAS, CPE) of the predicted sums.
- `build_plan` validates a plan table (shares in % of a budget, or amounts) into lines with a spend.
- `predict_plan`: predictions per line and for the whole plan. Counts add up; the plan's ratios come
  from its totals. The plan's interval assumes the lines' errors are independent (square root of the
  summed squared half-widths, each side separately): see `TOTAL_INTERVAL`. Adding the bounds (the
  conservative band, as if perfectly correlated) is reported next to it as T_lo_sum / T_hi_sum.
- `response_curve` / `marginal_roas` / `breakeven_spend`: outcome from 0 to 2.5x a line's spend in one
  predict call, and where an extra dollar stops returning a dollar.
- `optimize_budget`: greedy marginal allocation over a fine spend grid per line, within per-line bounds;
  `target_roas_budget`: the largest budget (current mix held fixed) whose predicted ROAS meets a target.

The forecaster is a boosted tree, piecewise constant in spend, so pointwise derivatives are 0 almost
everywhere. Marginal ROAS is therefore a finite difference over a window of ±10% of the spend, and the
greedy step looks ahead over several grid units (best gain per dollar) to jump flat stretches.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import kpis
from pipeline.modeling import features
from pipeline.modeling.forecast import Forecaster

LINE_FIELDS = features.FORECAST_CATEGORICAL
TARGETS = features.FORECAST_TARGETS
SHOWN_RATIOS = ("cpm", "cpc", "cpa", "roas", "cpe")
OBJECTIVES = ("revenue", "conversions")
TOTAL_INTERVAL = "90% interval of the plan total assuming independent line errors (root of summed squares)"
CONSERVATIVE_INTERVAL = "sum of the lines' bounds (conservative: as if every line missed the same way)"
CURVE_MAX_MULTIPLE = 2.5
CURVE_POINTS = 50
MARGINAL_WINDOW = 0.10  # ± share of spend for the finite difference (trees are flat between splits)
GRID_UNITS = 400  # the budget is handed out in this many equal units
LOOKAHEAD_UNITS = 80  # the greedy step compares gain per dollar over up to this many units
DEFAULT_BOUND = 0.5  # default per-line bounds: current allocation ±50%
SHARE_TOLERANCE = 0.01  # percentage points


class PlanError(ValueError):
    """Bad plan input; `messages` holds one sentence per problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


def resolve_category(forecaster: Forecaster, column: str, value: object) -> str:
    """The known spelling of `value` for `column` (case-insensitive); ValueError naming the known values."""
    known = forecaster.categories[column]
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
    for option in known:
        if option.casefold() == text.casefold():
            return option
    label = column.replace("_", " ")
    shown = f"'{text}'" if text else "(blank)"
    raise ValueError(f"Unknown {label} {shown}; the model knows: {', '.join(known)}.")


def line_frame(forecaster: Forecaster, spend: float, **fields: str | None) -> pd.DataFrame:
    """A one-row forecast input; a missing category takes the forecaster's most common value."""
    if not np.isfinite(spend) or spend < 0:
        raise ValueError("Spend must be a number of at least 0.")
    row = {c: resolve_category(forecaster, c, fields.get(c) or forecaster.defaults[c]) for c in LINE_FIELDS}
    return pd.DataFrame([{**row, "spend": float(spend)}])


def with_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` plus CPM, CPC, CPA, ROAS and CPE from its spend and predicted sums (NaN on a zero denominator)."""
    sums = frame[["spend", *TARGETS]]
    ratios = kpis.add_ratios(sums)[list(SHOWN_RATIOS)]
    return pd.concat([frame.drop(columns=[c for c in SHOWN_RATIOS if c in frame.columns]), ratios], axis=1)


def predict_lines(forecaster: Forecaster, lines: pd.DataFrame) -> pd.DataFrame:
    """`lines` (categories + spend) with T, T_lo, T_hi per target and the ratios per line."""
    predicted = forecaster.predict(lines)
    return with_ratios(pd.concat([lines.reset_index(drop=True), predicted.reset_index(drop=True)], axis=1))


def predict_scenario(forecaster: Forecaster, spend: float, **fields: str | None) -> dict[str, object]:
    """One line's predictions with intervals and ratios as a flat dict; ValueError on bad input."""
    row = predict_lines(forecaster, line_frame(forecaster, spend, **fields)).iloc[0]
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


def build_plan(forecaster: Forecaster, table: pd.DataFrame, budget: float | None, mode: str = "share") -> pd.DataFrame:
    """Validate a plan table into lines (categories + spend).

    mode "share": column share (% of `budget`), the shares must add up to 100. mode "amount": column
    amount (spend per line; the budget is their sum). Raises PlanError listing every problem found."""
    messages: list[str] = []
    rows = table.dropna(how="all").reset_index(drop=True)
    if rows.empty:
        raise PlanError(["The plan has no lines; add at least one."])
    column = "share" if mode == "share" else "amount"
    if column not in rows.columns:
        raise PlanError([f"The plan needs a '{column}' column."])
    values = pd.to_numeric(rows[column], errors="coerce")
    if values.isna().any():
        messages.append(f"Every line needs a numeric {column}; line(s) {_line_numbers(values.isna())} lack one.")
    elif (values < 0).any():
        messages.append(f"A {column} can't be negative (line(s) {_line_numbers(values < 0)}).")
    if mode == "share":
        if budget is None or not np.isfinite(budget) or budget <= 0:
            messages.append("The total budget must be a positive number.")
        if not values.isna().any() and abs(values.sum() - 100.0) > SHARE_TOLERANCE:
            messages.append(f"The shares must add up to 100%; they add up to {values.sum():.2f}%.")
    elif not values.isna().any() and values.sum() <= 0:
        messages.append("The plan's total spend must be positive.")
    resolved = {}
    for field in LINE_FIELDS:
        cells = rows[field] if field in rows.columns else pd.Series([None] * len(rows))
        try:
            resolved[field] = [resolve_category(forecaster, field, v) for v in cells]
        except ValueError as error:
            messages.append(str(error))
    if messages:
        raise PlanError(messages)
    spend = values * float(budget) / 100.0 if mode == "share" else values
    return pd.DataFrame({**resolved, "spend": spend.to_numpy(dtype="float64")})


def _line_numbers(mask: pd.Series) -> str:
    return ", ".join(str(i + 1) for i in np.flatnonzero(mask.to_numpy()))


def plan_total(lines: pd.DataFrame) -> dict[str, float]:
    """The plan's totals from predicted lines: summed counts, independence interval, summed bounds, ratios."""
    total: dict[str, float] = {"spend": float(lines["spend"].sum())}
    for t in TARGETS:
        point, lo, hi = (lines[f"{t}{s}"].to_numpy(dtype="float64") for s in ("", "_lo", "_hi"))
        total[t] = float(point.sum())
        total[f"{t}_lo"] = max(0.0, total[t] - float(np.sqrt(np.sum((point - lo) ** 2))))
        total[f"{t}_hi"] = total[t] + float(np.sqrt(np.sum((hi - point) ** 2)))
        total[f"{t}_lo_sum"], total[f"{t}_hi_sum"] = float(lo.sum()), float(hi.sum())
    ratios = with_ratios(pd.DataFrame([total]))
    total.update({r: float(ratios[r].iloc[0]) for r in SHOWN_RATIOS})
    return total


def predict_plan(forecaster: Forecaster, lines: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """(predicted lines with share of spend, plan totals) for validated lines."""
    predicted = predict_lines(forecaster, lines)
    total = plan_total(predicted)
    predicted.insert(len(LINE_FIELDS) + 1, "share", kpis.safe_divide(predicted["spend"].to_numpy(), total["spend"]))
    return predicted, total


def response_curve(
    forecaster: Forecaster,
    line: Mapping[str, object],
    points: int = CURVE_POINTS,
    max_multiple: float = CURVE_MAX_MULTIPLE,
) -> pd.DataFrame:
    """Predictions (with intervals) on `points` spends from 0 to max_multiple x the line's spend, one call."""
    spend = float(line["spend"])  # type: ignore[arg-type]
    grid = np.linspace(0.0, max_multiple * spend, points)
    frame = pd.DataFrame({**{c: [line[c]] * points for c in LINE_FIELDS}, "spend": grid})
    return pd.concat([frame[["spend"]], forecaster.predict(frame)], axis=1)


def curve_marginal_roas(curve: pd.DataFrame, window: float) -> np.ndarray:
    """Marginal ROAS along a curve: Δrevenue/Δspend over ±`window` spend (clipped to the curve's ends)."""
    spend, revenue = curve["spend"].to_numpy(), curve["revenue"].to_numpy()
    left = np.interp(np.maximum(spend - window, spend[0]), spend, revenue)
    right = np.interp(np.minimum(spend + window, spend[-1]), spend, revenue)
    width = np.minimum(spend + window, spend[-1]) - np.maximum(spend - window, spend[0])
    return kpis.safe_divide(right - left, width)


def marginal_roas(forecaster: Forecaster, line: Mapping[str, object]) -> float:
    """Extra revenue per extra dollar at the line's spend: central difference over ±10% of it (NaN at 0)."""
    spend = float(line["spend"])  # type: ignore[arg-type]
    if spend <= 0:
        return float("nan")
    step = MARGINAL_WINDOW * spend
    frame = pd.DataFrame({**{c: [line[c]] * 2 for c in LINE_FIELDS}, "spend": [spend - step, spend + step]})
    revenue = forecaster.predict(frame)["revenue"].to_numpy()
    return float((revenue[1] - revenue[0]) / (2 * step))


def breakeven_spend(curve: pd.DataFrame, line_spend: float) -> float:
    """The spend beyond which marginal ROAS stays below 1 on the curve; NaN when it never falls within it."""
    marginal = curve_marginal_roas(curve, MARGINAL_WINDOW * line_spend)
    at_least_one = np.flatnonzero(~(marginal < 1.0))
    if len(at_least_one) == 0:
        return float(curve["spend"].iloc[0])
    last = at_least_one[-1]
    return float("nan") if last == len(marginal) - 1 else float(curve["spend"].iloc[last + 1])


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
    add up to the budget, or the equal split) predicts more, that plan is returned instead (never worse)."""
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
    """The largest budget, up to max_multiple x the plan's spend with its shares fixed, whose predicted
    ROAS is at least `target`; NaN when no budget on that grid reaches it."""
    total = float(lines["spend"].sum())
    if total <= 0 or not np.isfinite(target):
        return float("nan")
    budgets = np.linspace(total * max_multiple / points, total * max_multiple, points)
    shares = lines["spend"].to_numpy(dtype="float64") / total
    frame = pd.DataFrame(
        {**{c: np.tile(lines[c].to_numpy(), points) for c in LINE_FIELDS}, "spend": np.outer(budgets, shares).ravel()}
    )
    revenue = forecaster.predict(frame)["revenue"].to_numpy().reshape(points, len(lines)).sum(axis=1)
    meets = np.flatnonzero(revenue / budgets >= target)
    return float(budgets[meets[-1]]) if len(meets) else float("nan")


def default_lines(forecaster: Forecaster, budget: float) -> pd.DataFrame:
    """One line per platform x campaign type (device and content type: the most common), equal split."""
    combos = list(itertools.product(forecaster.categories["platform"], forecaster.categories["campaign_type"]))
    frame = pd.DataFrame(combos, columns=["platform", "campaign_type"])
    frame["device"], frame["content_type"] = forecaster.defaults["device"], forecaster.defaults["content_type"]
    return frame[list(LINE_FIELDS)].assign(spend=budget / len(frame))


def outcome_table(record: Mapping[str, object]) -> pd.DataFrame:
    """A scenario or plan total as rows: one per target (predicted, low, high of the 90% interval)."""
    return pd.DataFrame(
        [{"outcome": t, "predicted": record[t], "low": record[f"{t}_lo"], "high": record[f"{t}_hi"]} for t in TARGETS]
    )


def starter_plan(forecaster: Forecaster) -> pd.DataFrame:
    """An editable plan to start from: one line per platform (other fields most common), equal shares."""
    platforms = forecaster.categories["platform"]
    shares = np.full(len(platforms), np.floor(10000 / len(platforms)) / 100)
    shares[-1] = round(100 - shares[:-1].sum(), 2)
    table = pd.DataFrame({"platform": platforms})
    for field in LINE_FIELDS[1:]:
        table[field] = forecaster.defaults[field]
    return table.assign(share=shares, amount=np.nan)


def known_values_text(forecaster: Forecaster) -> str:
    """'Platform: Instagram, Meta, TikTok; Device: …' — what the model can forecast."""
    parts = [f"{f.replace('_', ' ').capitalize()}: {', '.join(forecaster.categories[f])}" for f in LINE_FIELDS]
    return "; ".join(parts)
