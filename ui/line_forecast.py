"""The Planner page's per-line delivery forecast (the forecaster's tab): daily spend per line, predictions with
90% intervals, response curves, the line optimiser and session scenarios. Layout only; the logic is in
pipeline.modeling.planner and pipeline.modeling.optimizer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline import export
from pipeline.modeling import optimizer, planner
from pipeline.modeling.forecast import Forecaster
from ui import kept_state, layout
from ui.cached import models
from ui.charts import planner as planner_charts
from ui.format import money, multiple

OUTCOME_FORMATS = {"predicted": "%,.1f", "low": "%,.1f", "high": "%,.1f"}
# Plain widgets whose values outlive a run with the other top tab open (data editors can't be written back).
KEPT_KEYS = (
    *(f"one_{field}" for field in planner.LINE_FIELDS),
    "one_spend", "plan_budget", "plan_mode", "curve_line", "curve_target", "objective", "target_roas",
    "scenario_name", "compare_a", "compare_b",
)  # fmt: skip


KEPT = "line_kept_inputs"


def interval_formats(frame: pd.DataFrame) -> dict[str, str]:
    """Number formats for interval-bound columns (T_lo, T_hi): revenue in whole dollars, counts to one decimal, as the
    optimiser's comparison table has shown them."""
    return {c: ("$%,.0f" if c.startswith("revenue") else "%,.1f") for c in frame.columns if c.endswith(("_lo", "_hi"))}


def keep_inputs() -> None:
    """Put back the inputs Streamlit dropped while the other tab was open (call before drawing any widget)."""
    kept_state.restore(KEPT)


def warn(message: str | None) -> None:
    if message:
        st.warning(message, icon=":material/warning:")


def show_ratios(record: dict) -> None:
    for column, ratio in zip(st.columns(len(planner.SHOWN_RATIOS)), planner.SHOWN_RATIOS, strict=True):
        shown = multiple(record[ratio]) if ratio == "roas" else money(record[ratio], decimals=2)
        column.metric(ratio.upper(), shown)


def scenario(model: Forecaster) -> None:
    known = model.categories
    fields = {f: f.replace("_", " ").capitalize() for f in planner.LINE_FIELDS}
    cols = st.columns(len(planner.LINE_FIELDS) + 1)
    choice = {
        f: cols[i].selectbox(fields[f], known[f], index=known[f].index(model.defaults[f]), key=f"one_{f}")
        for i, f in enumerate(planner.LINE_FIELDS)
    }
    spend = cols[-1].number_input("Spend ($)", min_value=0.0, value=200.0, step=10.0, key="one_spend")
    record = planner.predict_scenario(model, spend, **choice)
    warn(planner.range_warning(pd.DataFrame([record])))
    layout.table(planner.outcome_table(record), formats=OUTCOME_FORMATS)
    show_ratios(record)


def plan(model: Forecaster) -> tuple[pd.DataFrame, dict] | None:
    """The edited plan's lines and whole-plan prediction, or None after showing why it can't be predicted."""
    budget = st.number_input("Total daily budget ($)", min_value=0.0, value=1000.0, step=50.0, key="plan_budget")
    mode = st.radio(
        "Line items give",
        ["share", "amount"],
        horizontal=True,
        key="plan_mode",
        format_func={"share": "share % of the budget", "amount": "amount ($)"}.get,
    )
    st.caption(f"The model knows — {planner.known_values_text(model)}.")
    base = st.session_state.get("planner_plan")
    table = st.data_editor(
        base if isinstance(base, pd.DataFrame) else planner.starter_plan(model),
        num_rows="dynamic",
        width="stretch",
        key="plan_editor",
    )
    try:
        lines = planner.build_plan(model, table, budget, mode)
    except planner.PlanError as error:
        for message in error.messages:
            st.error(message)
        return None
    predicted, total = planner.predict_plan(model, lines)
    warn(planner.range_warning(predicted))
    layout.table(predicted, formats={"supported_spend": "$%,.0f", **interval_formats(predicted)})
    st.subheader("Whole plan")
    layout.table(planner.outcome_table(total), formats=OUTCOME_FORMATS)
    st.caption(f"Plan interval: {planner.TOTAL_INTERVAL}; the {planner.CONSERVATIVE_INTERVAL} is in the CSV.")
    show_ratios(total)
    st.download_button(
        "Download plan (CSV)",
        export.to_csv_bytes(pd.concat([predicted, pd.DataFrame([total])])),
        "plan.csv",
        "text/csv",
    )
    return lines, total


def curves(model: Forecaster, lines: pd.DataFrame) -> None:
    names = [f"{i + 1}: " + " · ".join(str(r[f]) for f in planner.LINE_FIELDS) for i, r in lines.iterrows()]
    line_curves = [planner.response_curve(model, row.to_dict()) for _, row in lines.iterrows()]
    summary = [
        {
            "line": names[i],
            "spend": row["spend"],
            "supported_spend": line_curves[i]["supported_spend"].iloc[0],
            "marginal_roas": planner.marginal_roas(model, row),
            "marginal_roas_below_1_from": planner.breakeven_spend(line_curves[i], row["spend"]),
        }
        for i, row in lines.iterrows()
    ]
    spend_formats = {"supported_spend": "$%,.0f", "marginal_roas_below_1_from": "$%,.0f", "marginal_roas": "%.2f"}
    layout.table(pd.DataFrame(summary), formats=spend_formats)
    st.caption(
        "Marginal ROAS: extra revenue per extra dollar over ±10% of the spend. Empty: undefined (beyond the "
        "spend the data supports), or for break-even, marginal ROAS stays at or above 1 on the supported curve."
    )
    chosen = st.selectbox("Line", range(len(names)), format_func=names.__getitem__, key="curve_line")
    outcome = st.selectbox("Outcome", planner.TARGETS, index=3, key="curve_target")
    warn(planner.curve_warning(line_curves[chosen]))
    layout.chart(
        lambda: planner_charts.response_curve(
            line_curves[chosen], outcome, lines["spend"].iloc[chosen], summary[chosen]["marginal_roas_below_1_from"]
        )
    )


def optimise(model: Forecaster, lines: pd.DataFrame, total: dict) -> optimizer.Optimum | None:
    objective = st.selectbox("Maximise", optimizer.OBJECTIVES, key="objective")
    bounds = st.data_editor(
        optimizer.default_bounds(lines),
        width="stretch",
        key=f"bounds_{hash(tuple(lines['spend']))}",
        disabled=[*planner.LINE_FIELDS, "spend"],
    )
    try:
        optimum = optimizer.optimize_budget(model, bounds, total["spend"], objective)
    except planner.PlanError as error:
        st.error(error.messages[0])
        return None
    equal = lines.assign(spend=total["spend"] / len(lines))
    compared = optimizer.compare_plans(
        model, {"optimised": optimum.lines, "current": lines, "equal split": equal}, objective
    )
    st.success(optimizer.uplift_sentence(compared[objective].iloc[0], compared[objective].iloc[1], objective))
    warn(planner.range_warning(optimum.lines))
    layout.table(compared, formats=interval_formats(compared))
    layout.table(optimum.lines[[*planner.LINE_FIELDS, "spend", "share", objective, "roas", "extrapolated"]])
    st.caption(f"Method: {optimum.method}. Plan intervals: {planner.TOTAL_INTERVAL}.")
    target = st.number_input("Target ROAS", min_value=0.0, value=2.0, step=0.1, key="target_roas")
    most = optimizer.target_roas_budget(model, lines, target)
    st.write(
        f"Largest budget (current mix) with predicted ROAS ≥ {multiple(target)}: "
        f"{money(most) if most == most else 'none up to 3x the current budget within the supported spend'}."
    )
    return optimum


def saved(model: Forecaster, lines: pd.DataFrame, optimum: optimizer.Optimum) -> None:
    kept = st.session_state.setdefault("planner_scenarios", {})
    name = st.text_input("Scenario name", value=f"Scenario {len(kept) + 1}", key="scenario_name")
    if st.button("Save current plan", key="save_scenario"):
        kept[name] = lines.copy()
    if len(kept) < 1:
        st.info("Save a plan to compare scenarios.")
        return
    pick = st.columns(2)
    first = pick[0].selectbox("Scenario A", list(kept), key="compare_a")
    second = pick[1].selectbox("Scenario B", ["optimised plan", *kept], key="compare_b")
    others = {**kept, "optimised plan": optimum.lines}
    st.dataframe(
        optimizer.compare_plans(model, {first: others[first], second: others[second]}),
        width="stretch",
        hide_index=True,
    )


def render() -> None:
    """The five sub-tabs, then remember their inputs for a run with the other top tab open."""
    try:
        _render()
    finally:
        kept_state.remember(KEPT, KEPT_KEYS.__contains__)


def _render() -> None:
    """The five sub-tabs, in order; a plan that can't be predicted stops the tabs that need it."""
    st.caption("Daily spend per line; predictions from the forecaster with 90% intervals.")
    try:
        model = models.forecaster()
    except ValueError as problem:
        st.error(f"The forecaster can't be trained on this data: {problem}")
        return
    scenario_tab, plan_tab, curves_tab, optimise_tab, saved_tab = st.tabs(
        ["Scenario", "Plan", "Response curves", "Optimiser", "Scenarios"]
    )
    with scenario_tab:
        scenario(model)
    with plan_tab:
        planned = plan(model)
    if planned is None:
        return
    lines, total = planned
    with curves_tab:
        curves(model, lines)
    with optimise_tab:
        optimum = optimise(model, lines, total)
    if optimum is None:
        return
    with saved_tab:
        saved(model, lines, optimum)
