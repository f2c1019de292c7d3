"""The Planner page's budget plan on the media mix model: its inputs (kept in session state under bp_* keys, so
they survive reruns and tab switches) and its results. Layout only: every figure comes from
pipeline.modeling.mmm_scenarios, which calls the window, plan and optimizer modules."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from pipeline.modeling import mmm, mmm_scenarios
from pipeline.modeling.mmm_fit import MmmPosterior
from pipeline.modeling.mmm_optimize import Limit
from pipeline.modeling.mmm_window import PlanError
from pipeline.modeling.plan_terms import (
    DEFAULT_DAYS,
    DEFAULT_MAX_SHIFT,
    MAX_DAYS,
    MODE_LABELS,
    MODES,
    SPREAD_LABELS,
    SPREADS,
)
from ui import format as fmt
from ui import kept_state, layout, mmm_source, plan_scenarios
from ui.cached import mmm_plan as cached_plan
from ui.charts import mmm_plan as charts
from ui.download import csv_download

PREFIX = "bp_"
KEPT = "bp_kept_inputs"
BUDGET_EDITED = "bp_budget_edited"  # set once the planner types a budget: then days no longer reset it
LIMIT_UNITS = {"amount": "$ over the window", "share": "% of the current mix"}
SMALLEST_TARGET = 0.05  # the optimizer needs a target above 0
TARGET_LABELS = {"target-mroas": "Target marginal ROAS (x)", "target-roas": "Target ROAS (x)"}
TARGET_NOTES = {
    "target-mroas": "The plan finds the budget: each channel gets spend while its next dollar still brings back at "
    "least the target.",
    "target-roas": "The plan finds the budget: the most it can spend while the plan's ROAS stays at or above the "
    "target.",
}
ALLOCATION_COLUMNS = [
    "channel", "current_spend", "spend", "share", "predicted_revenue", "revenue_low", "revenue_high",
    "mroas", "extrapolation_factor", "at_bound",
]  # fmt: skip
ALLOCATION_FORMATS = {
    "current_spend": "$%,.0f",
    "spend": "$%,.0f",
    "predicted_revenue": "$%,.0f",
    "revenue_low": "$%,.0f",
    "revenue_high": "$%,.0f",
    "mroas": "%.2fx",
    "extrapolation_factor": "%.1f×",
}
ALLOCATION_LABELS = {
    "current_spend": "Current mix",
    "spend": "Recommended",
    "predicted_revenue": "Incremental revenue",
    "revenue_low": "90% low",
    "revenue_high": "90% high",
    "mroas": "Marginal ROAS",
    "extrapolation_factor": "Busiest day vs data",
    "at_bound": "At a limit",
}
MONEY_COLUMNS = ("budget", "predicted_revenue", "revenue_low", "revenue_high", "carry_in", "base_revenue")
MONEY_FORMATS = dict.fromkeys((*MONEY_COLUMNS, "total_revenue", "total_low", "total_high"), "$%,.0f")
PLAN_FORMATS = MONEY_FORMATS | dict.fromkeys(("roas", "roas_low", "roas_high"), "%.2fx")
# ROAS intervals are in the line under the tiles: all thirteen columns don't fit the page's width.
PLAN_COLUMNS = [
    "plan", "budget", "predicted_revenue", "revenue_low", "revenue_high", "carry_in", "roas", "base_revenue",
    "total_revenue", "total_low", "total_high",
]  # fmt: skip
PLAN_LABELS = {
    "predicted_revenue": "Incremental revenue",
    "revenue_low": "90% low",
    "revenue_high": "90% high",
    "carry_in": "Carry-in",
    "roas_low": "ROAS low",
    "roas_high": "ROAS high",
    "base_revenue": "Base revenue",
    "total_low": "Total 90% low",
    "total_high": "Total 90% high",
}


def keep_inputs() -> None:
    """Put back the inputs Streamlit dropped while the other tab was open (call before drawing any widget)."""
    kept_state.restore(KEPT)


def _remember_inputs() -> None:
    kept_state.remember(KEPT, lambda key: key.startswith(PREFIX) and key != KEPT)


def first_day(posterior: MmmPosterior) -> dt.date:
    return (posterior.dates[-1] + pd.Timedelta(days=1)).date()


def apply_inputs(inputs: mmm_scenarios.PlanInputs, posterior: MmmPosterior) -> None:
    """Put saved inputs into the widgets' state (before they are drawn), e.g. when a link opens a scenario."""
    state = st.session_state
    start = pd.Timestamp(inputs.start).date() if inputs.start else first_day(posterior)
    state["bp_start"] = max(start, first_day(posterior))
    state["bp_days"], state["bp_spread"], state["bp_mode"] = inputs.days, inputs.spread, inputs.mode
    state[BUDGET_EDITED] = inputs.budget is not None
    if inputs.budget is not None:
        state["bp_budget"] = inputs.budget
    state["bp_target"] = max(inputs.target, SMALLEST_TARGET)
    state["bp_free"] = inputs.max_shift is None
    state["bp_shift"] = round(100 * (DEFAULT_MAX_SHIFT if inputs.max_shift is None else inputs.max_shift), 6)
    limits = [limit for _, limit in (*inputs.minimum, *inputs.maximum)]
    state["bp_limit_unit"] = "share" if any(limit.share_of_current for limit in limits) else "amount"
    for name in posterior.channels:
        for bound, pairs in (("min", inputs.minimum), ("max", inputs.maximum)):
            state[f"bp_{bound}_{name}"] = dict(pairs)[name].amount if name in dict(pairs) else None


def _budget_edited() -> None:
    st.session_state[BUDGET_EDITED] = True


def _defaults(posterior: MmmPosterior) -> None:
    state = st.session_state
    for key, value in {
        "bp_start": first_day(posterior),
        "bp_days": DEFAULT_DAYS,
        "bp_spread": SPREADS[0],
        "bp_mode": MODES[0],
        "bp_target": 1.0,
        "bp_limit_unit": "amount",
        "bp_shift": round(100 * DEFAULT_MAX_SHIFT, 6),
        "bp_free": False,
    }.items():
        state.setdefault(key, value)
    if state["bp_start"] < first_day(posterior):  # other data (an upload) ends later than the kept start
        state["bp_start"] = first_day(posterior)


def plan_inputs(posterior: MmmPosterior) -> mmm_scenarios.PlanInputs:
    """The window, mode, budget or target, and per-channel limits, as the planner set them."""
    _defaults(posterior)
    window = st.columns([1, 1, 2])
    start = window[0].date_input("Start", key="bp_start", min_value=first_day(posterior), format="YYYY-MM-DD")
    days = int(window[1].number_input("Days", min_value=1, max_value=MAX_DAYS, step=1, key="bp_days"))
    spread = window[2].selectbox("Spend over the days", SPREADS, format_func=SPREAD_LABELS.get, key="bp_spread")
    mode = st.radio("Plan", MODES, format_func=MODE_LABELS.get, horizontal=True, key="bp_mode")
    current = mmm_scenarios.default_budget(posterior, days)
    if not st.session_state.get(BUDGET_EDITED):
        st.session_state["bp_budget"] = float(round(current))
    amount = st.columns(2)
    max_shift: float | None = DEFAULT_MAX_SHIFT  # the target modes are not held to it
    if mode == "budget":
        amount[0].number_input(
            "Budget over the window ($)",
            min_value=0.0,
            step=1000.0,
            format="%.0f",
            key="bp_budget",
            on_change=_budget_edited,
        )
        amount[1].caption(f"The current mix spent {fmt.money(current)} over the data's last {days} days.")
        max_shift = _max_shift(days)
    else:
        amount[0].number_input(TARGET_LABELS[mode], min_value=SMALLEST_TARGET, step=0.1, format="%.2f", key="bp_target")
        amount[1].caption(TARGET_NOTES[mode])
    minimum, maximum = _limits(posterior.channels)
    return mmm_scenarios.PlanInputs(
        max_shift=max_shift,
        start=f"{start:%Y-%m-%d}",
        days=days,
        spread=spread,
        mode=mode,
        budget=float(st.session_state["bp_budget"]) if mode == "budget" else None,
        target=float(st.session_state["bp_target"]),
        minimum=minimum,
        maximum=maximum,
    )


def _max_shift(days: int) -> float | None:
    """How far each channel without its own limits may move from the current mix (a share; None: freely)."""
    left, right = st.columns(2, vertical_alignment="bottom")
    free = right.toggle("Let channels move freely", key="bp_free")
    percent = left.number_input(
        "Largest move per channel from the current mix (± %)",
        min_value=0.0,
        max_value=1000.0,
        step=5.0,
        format="%.0f",
        key="bp_shift",
        disabled=free,
    )
    st.caption(
        "The curves are fitted on the spend the data has seen, so by default each channel stays within "
        f"±{DEFAULT_MAX_SHIFT:.0%} of its current-mix spend (Meridian's default). A channel with no spend in the "
        f"last {days} days stays at $0 unless you give it a maximum below."
    )
    return None if free else float(percent) / 100.0


def _limits(channels: list[str]) -> tuple[tuple[tuple[str, Limit], ...], tuple[tuple[str, Limit], ...]]:
    """Per-channel minimum and maximum over the window; empty means none."""
    with st.expander("Channel limits (optional)"):
        unit = st.radio(
            "Limits in", list(LIMIT_UNITS), format_func=LIMIT_UNITS.get, horizontal=True, key="bp_limit_unit"
        )
        share = unit == "share"
        found: dict[str, list[tuple[str, Limit]]] = {"min": [], "max": []}
        st.caption("Leave a box empty for no limit.")
        for name in channels:
            row = st.columns(2)
            for column, bound in zip(row, ("min", "max"), strict=True):
                label = f"{name} {'minimum' if bound == 'min' else 'maximum'} ({'%' if share else '$'})"
                value = column.number_input(
                    label, min_value=0.0, value=None, step=100.0, format="%.0f", key=f"bp_{bound}_{name}"
                )
                if value is not None:
                    found[bound].append((name, Limit(float(value), share)))
    return tuple(found["min"]), tuple(found["max"])


def show_result(result: mmm_scenarios.PlanResult) -> None:
    """Notes and range warnings, the totals, the charts, the allocation and the three plans side by side."""
    summary = result.recommended.summary
    if result.optimum.note:
        st.info(result.optimum.note)
    for sentence in mmm_scenarios.extrapolation_warnings(summary):
        st.warning(sentence, icon=":material/warning:")
    losing = mmm_scenarios.break_even_warning(summary)
    if losing:
        st.warning(losing, icon=":material/trending_down:")
    tiles = st.columns(5)
    tiles[0].metric("Budget", fmt.compact(summary["budget"], "$"), help=fmt.money(summary["budget"]))
    tiles[1].metric(
        "Incremental revenue",
        fmt.compact(summary["predicted_revenue"], "$"),
        help="Over the window, carry-in from past spend included. 90% interval: "
        + " – ".join(fmt.money(v) for v in summary["predicted_revenue_ci"]),
    )
    tiles[2].metric("ROAS", fmt.multiple(summary["roas"]), help="(incremental − carry-in) / budget")
    tiles[3].metric("Carry-in", fmt.compact(summary["carry_in"], "$"), help="What past spend still brings.")
    tiles[4].metric("Total revenue", fmt.compact(summary["total_revenue"], "$"), help="Base revenue + incremental.")
    st.caption(mmm_scenarios.interval_sentence(summary))
    (st.info if summary["budget"] <= 0 else st.success)(
        mmm_scenarios.carry_in_sentence(summary) if summary["budget"] <= 0 else mmm_scenarios.versus_sentence(result)
    )
    allocation = mmm_scenarios.allocation_table(result)
    left, right = st.columns(2)
    if summary["budget"] > 0:  # with nothing to spend the spend chart would be empty
        layout.chart(charts.spend_bars, allocation, where=left)
    layout.chart(charts.revenue_bars, allocation, where=right if summary["budget"] > 0 else left)
    layout.table(allocation, ALLOCATION_COLUMNS, formats=ALLOCATION_FORMATS, labels=ALLOCATION_LABELS)
    st.caption(f"Spend and revenue are totals over the window. Method: {result.optimum.method}.")
    layout.chart(lambda: charts.daily_revenue(mmm_scenarios.daily_plan(result.model, result.recommended.totals)))
    st.markdown("**The recommendation, the current mix and an equal split at the same budget**")
    layout.table(mmm_scenarios.plans_table(result), PLAN_COLUMNS, formats=PLAN_FORMATS, labels=PLAN_LABELS)
    csv_download(lambda: mmm_scenarios.plan_csv_frame(result), "budget plan", "Download the plan (CSV)")


def render() -> None:
    """The Budget plan tab: wait for the fit, read the inputs, show the plan, then the scenarios."""
    st.caption(
        "Plan the next weeks on the media mix model: how much to put in each channel, the incremental revenue to "
        "expect (carry-in from past spend included) and how sure the model is. Intervals are 90%."
    )
    job = mmm_source.fitted_job(mmm_source.chosen_source())
    if job is None:
        return
    posterior, data_key = job.posterior, mmm.dataset_hash(job.dataset)
    plan_scenarios.open_linked(posterior, apply_inputs)
    inputs = plan_inputs(posterior)
    try:
        result = cached_plan.plan(posterior, data_key, inputs)
    except PlanError as problem:
        st.error(str(problem))
        result = None
    if result is not None:
        show_result(result)
    plan_scenarios.section(posterior, data_key, result)
    _remember_inputs()
