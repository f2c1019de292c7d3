"""Spend planning on top of the forecaster: scenarios, plans, response curves, a budget optimizer.

- `predict_scenario`: one line (platform, device, campaign type, content type, ad set, spend) with every
  target's prediction, its 90% interval and the ratios (CPM, CPC, CPA, ROAS, CPE) of the predicted sums.
- `build_plan` validates a plan table (shares in % of a budget, or amounts) into lines with a spend.
- `predict_plan`: predictions per line and for the whole plan. Counts add up; the plan's ratios come
  from its totals. The plan's interval is calibrated on daily sums of held-out lines (their errors share
  the day and the campaign x ad set): see `TOTAL_INTERVAL` and intervals.total_bounds. Adding the bounds
  is reported next to it as T_lo_sum / T_hi_sum.
- `response_curve` / `marginal_roas` / `breakeven_spend`: outcome from 0 to 2.5x a line's spend in one
  predict call, and where an extra dollar stops returning a dollar.
- `optimize_budget`, `target_roas_budget`, `compare_plans` (pipeline.modeling.optimizer).

Range: every line carries `supported_spend` (the forecaster's limit for its platform) and `extrapolated`
(spend beyond it). Beyond it a tree forecast is flat, so a prediction there is flagged and has no stated
coverage, curves stop at the limit, and marginal ROAS and break-even there are undefined (NaN).

The forecaster is a boosted tree, piecewise constant in spend, so pointwise derivatives are 0 almost
everywhere. Marginal ROAS is therefore a finite difference over a window of ±10% of the spend, and the
greedy step looks ahead over several grid units (best gain per dollar) to jump flat stretches.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline import kpis, text
from pipeline.modeling import features, intervals
from pipeline.modeling.forecast import Forecaster
from pipeline.modeling.forecast_scores import total_interval

LINE_FIELDS = features.FORECAST_CATEGORICAL
TARGETS = features.FORECAST_TARGETS
SHOWN_RATIOS = ("cpm", "cpc", "cpa", "roas", "cpe")
TOTAL_INTERVAL = (
    "90% interval of the plan total, calibrated on daily sums of held-out campaign x ad set lines "
    "(a day's lines, and lines that differ only by device, miss together, and a campaign x ad set can run above or "
    "below its forecast all period)"
)
CONSERVATIVE_INTERVAL = "sum of the lines' bounds (conservative: as if every line missed the same way)"
CURVE_MAX_MULTIPLE = 2.5
CURVE_POINTS = 50
MARGINAL_WINDOW = 0.10  # ± share of spend for the finite difference (trees are flat between splits)
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
    """`lines` (categories + spend) with T, T_lo, T_hi per target, the ratios, and per line the spend the data
    supports (`supported_spend`) and whether the line's spend is beyond it (`extrapolated`)."""
    predicted = forecaster.predict(lines)
    out = with_ratios(pd.concat([lines.reset_index(drop=True), predicted.reset_index(drop=True)], axis=1))
    return out.assign(supported_spend=forecaster.supported_spend(lines), extrapolated=forecaster.extrapolated(lines))


def predict_scenario(forecaster: Forecaster, spend: float, **fields: str | None) -> dict[str, object]:
    """One line's predictions with intervals, ratios, `supported_spend`, `extrapolated` and `coverage` (the
    interval's, 0.9; None when extrapolated: beyond the data no coverage is known) as a flat dict;
    ValueError on bad input."""
    row = predict_lines(forecaster, line_frame(forecaster, spend, **fields)).iloc[0]
    record = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
    return record | {"coverage": None if record["extrapolated"] else intervals.COVERAGE}


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
        # An absent column (e.g. a plan written before ad sets were a feature) takes the most common value.
        cells = rows[field] if field in rows.columns else pd.Series([forecaster.defaults[field]] * len(rows))
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


def plan_units(lines: pd.DataFrame) -> np.ndarray:
    """A label per line: lines that differ only by device belong to one campaign x ad set (their errors
    share its effect)."""
    return pd.factorize(pd.MultiIndex.from_frame(lines[[f for f in LINE_FIELDS if f != "device"]].astype(str)))[0]


def plan_total(lines: pd.DataFrame, forecaster: Forecaster | None = None) -> dict[str, float]:
    """The plan's totals from predicted lines: summed counts, the calibrated 90% interval of each total (the
    summed bounds without a forecaster), summed bounds, ratios, and `extrapolated` (whether any line is)."""
    total: dict[str, float] = {"spend": float(lines["spend"].sum())}
    units = plan_units(lines)
    for t in TARGETS:
        point, lo, hi = (lines[f"{t}{s}"].to_numpy(dtype="float64") for s in ("", "_lo", "_hi"))
        total[t] = float(point.sum())
        if forecaster is None:
            total[f"{t}_lo"], total[f"{t}_hi"] = intervals.total_bounds(point, lo, hi, intervals.UNCALIBRATED, units)
        else:
            total[f"{t}_lo"], total[f"{t}_hi"] = total_interval(forecaster, t, lines, units)
        total[f"{t}_lo_sum"], total[f"{t}_hi_sum"] = float(lo.sum()), float(hi.sum())
    ratios = with_ratios(pd.DataFrame([total]))
    total.update({r: float(ratios[r].iloc[0]) for r in SHOWN_RATIOS})
    if "extrapolated" in lines.columns:
        total["extrapolated"] = bool(lines["extrapolated"].any())
    return total


def predict_plan(forecaster: Forecaster, lines: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """(predicted lines with share of spend, plan totals) for validated lines."""
    predicted = predict_lines(forecaster, lines)
    total = plan_total(predicted, forecaster)
    predicted.insert(len(LINE_FIELDS) + 1, "share", kpis.safe_divide(predicted["spend"].to_numpy(), total["spend"]))
    return predicted, total


def response_curve(
    forecaster: Forecaster,
    line: Mapping[str, object],
    points: int = CURVE_POINTS,
    max_multiple: float = CURVE_MAX_MULTIPLE,
) -> pd.DataFrame:
    """Predictions (with intervals) on `points` spends from 0 to max_multiple x the line's spend, one call,
    with `supported_spend` and `extrapolated` per point; the predictions beyond the supported spend are NaN
    (the curve stops there: the data says nothing about it)."""
    spend = float(line["spend"])  # type: ignore[arg-type]
    grid = np.linspace(0.0, max_multiple * spend, points)
    frame = pd.DataFrame({**{c: [line[c]] * points for c in LINE_FIELDS}, "spend": grid})
    beyond = forecaster.extrapolated(frame)
    predicted = forecaster.predict(frame).mask(pd.Series(beyond), np.nan)
    return pd.concat([frame[["spend"]], predicted], axis=1).assign(
        supported_spend=forecaster.supported_spend(frame), extrapolated=beyond
    )


def curve_marginal_roas(curve: pd.DataFrame, window: float) -> np.ndarray:
    """Marginal ROAS along a curve: Δrevenue/Δspend over ±`window` spend (clipped to the curve's ends);
    NaN where the window reaches a point without a prediction."""
    spend, revenue = curve["spend"].to_numpy(), curve["revenue"].to_numpy(dtype="float64")
    left = np.interp(np.maximum(spend - window, spend[0]), spend, revenue)
    right = np.interp(np.minimum(spend + window, spend[-1]), spend, revenue)
    width = np.minimum(spend + window, spend[-1]) - np.maximum(spend - window, spend[0])
    return kpis.safe_divide(right - left, width)


def marginal_roas(forecaster: Forecaster, line: Mapping[str, object]) -> float:
    """Extra revenue per extra dollar at the line's spend: central difference over ±10% of it; NaN at 0 and
    when spend + 10% lies beyond what the data supports."""
    spend = float(line["spend"])  # type: ignore[arg-type]
    if spend <= 0:
        return float("nan")
    step = MARGINAL_WINDOW * spend
    frame = pd.DataFrame({**{c: [line[c]] * 2 for c in LINE_FIELDS}, "spend": [spend - step, spend + step]})
    if forecaster.extrapolated(frame).any():
        return float("nan")
    revenue = forecaster.predict(frame)["revenue"].to_numpy()
    return float((revenue[1] - revenue[0]) / (2 * step))


def breakeven_spend(curve: pd.DataFrame, line_spend: float) -> float:
    """The spend beyond which marginal ROAS stays below 1 on the curve's supported part; NaN when it does
    not fall below 1 there (or nothing is supported)."""
    marginal = curve_marginal_roas(curve, MARGINAL_WINDOW * line_spend)
    defined = np.flatnonzero(~np.isnan(marginal))
    if len(defined) == 0:
        return float("nan")
    at_least_one = defined[marginal[defined] >= 1.0]
    if len(at_least_one) == 0:
        return float(curve["spend"].iloc[defined[0]])
    last = at_least_one[-1]
    return float("nan") if last == defined[-1] else float(curve["spend"].iloc[last + 1])


def range_warning(lines: pd.DataFrame) -> str | None:
    """One sentence naming the lines (1-based) whose spend is beyond what the data supports, with their
    limits; None when no line is. `lines` has spend, supported_spend and extrapolated (predict_lines)."""
    beyond = np.flatnonzero(lines["extrapolated"].to_numpy(dtype=bool))
    if len(beyond) == 0:
        return None
    parts = [
        f"line {i + 1} ({text.money(lines['spend'].iloc[i])} > {text.money(lines['supported_spend'].iloc[i])})"
        for i in beyond
    ]
    return (
        f"Beyond the daily spend the data supports: {', '.join(parts)}. The forecaster has not seen such "
        "spends, so these predictions are a floor, not a forecast, and their interval has no known coverage."
    )


def curve_warning(curve: pd.DataFrame) -> str | None:
    """A sentence saying where a response curve stops (the supported spend), or None when it doesn't."""
    if not curve["extrapolated"].any():
        return None
    return (
        f"The curve stops at {text.money(curve['supported_spend'].iloc[0])} a day: beyond it the data has too few "
        "days to predict anything, so marginal ROAS and break-even there are left empty."
    )


def default_lines(forecaster: Forecaster, budget: float) -> pd.DataFrame:
    """One line per platform x campaign type (the other fields: the most common value), equal split."""
    combos = list(itertools.product(forecaster.categories["platform"], forecaster.categories["campaign_type"]))
    frame = pd.DataFrame(combos, columns=["platform", "campaign_type"])
    for field in LINE_FIELDS:
        if field not in frame.columns:
            frame[field] = forecaster.defaults[field]
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
