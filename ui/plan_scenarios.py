"""Saved budget-plan scenarios on the Planner page: save the current plan to the team's workspace, list the saved
ones with a link each (?scenario=<id> opens it), compare two on the same posterior draws, delete one. A damaged
workspace is one sentence; the plan above it keeps working."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from pipeline.modeling import mmm_scenarios
from pipeline.modeling.mmm_fit import MmmPosterior
from pipeline.modeling.mmm_window import PlanError
from pipeline.workspace.store import ScenarioRecord, Workspace, WorkspaceError
from ui import format as fmt
from ui import layout
from ui.charts import mmm_plan as charts
from ui.workspace import workspace

LINK_PARAM = "scenario"
OPENED = "bp_opened_scenario"  # the linked scenario already applied in this session (apply it once)
LIST_COLUMNS = ["name", "saved_at", "mode", "start", "days", "budget", "predicted_revenue", "roas", "this_data", "link"]
LIST_FORMATS = {"budget": "$%,.0f", "predicted_revenue": "$%,.0f", "roas": "%.2fx"}
LIST_LABELS = {"saved_at": "Saved (UTC)", "predicted_revenue": "Incremental revenue", "this_data": "On this data"}
COMPARE_COLUMNS = ["plan", "budget", "predicted_revenue", "revenue_low", "revenue_high", "roas", "total_revenue"]
COMPARE_FORMATS = dict.fromkeys(
    ["budget", "predicted_revenue", "revenue_low", "revenue_high", "total_revenue"], "$%,.0f"
)
COMPARE_FORMATS |= {"roas": "%.2fx"}
SHORT_MODES = {"budget": "fixed budget", "target-mroas": "marginal ROAS ≥ target", "target-roas": "ROAS ≥ target"}
COMPARE_LABELS = {"predicted_revenue": "Incremental revenue", "revenue_low": "90% low", "revenue_high": "90% high"}


def _workspace() -> Workspace | None:
    try:
        return workspace()
    except WorkspaceError as problem:
        st.warning(f"Saved scenarios are unavailable: {problem}", icon=":material/warning:")
        return None


def open_linked(posterior: MmmPosterior, apply: Callable[[mmm_scenarios.PlanInputs, MmmPosterior], None]) -> None:
    """Once per scenario id in the URL: put that scenario's inputs into the widgets before they are drawn."""
    wanted = st.query_params.get(LINK_PARAM)
    if not wanted or st.session_state.get(OPENED) == wanted:
        return
    st.session_state[OPENED] = wanted
    store = _workspace()
    if store is None:
        return
    try:
        record = store.scenario(wanted)
    except WorkspaceError as problem:
        st.warning(f"The linked scenario can't be read: {problem}", icon=":material/warning:")
        return
    if record is None:
        st.warning("The linked scenario is not saved any more.", icon=":material/warning:")
        return
    try:
        apply(mmm_scenarios.inputs_from_payload(record.plan.get("inputs")), posterior)
    except PlanError as problem:
        st.error(str(problem))
        return
    st.toast(f"Opened the scenario “{record.name}”.")


def section(posterior: MmmPosterior, data_key: str, result: mmm_scenarios.PlanResult | None) -> None:
    st.subheader("Scenarios")
    store = _workspace()
    if store is None:
        return
    _save(store, data_key, result)
    try:
        records = store.scenarios()
    except WorkspaceError as problem:
        st.warning(f"Saved scenarios are unavailable: {problem}", icon=":material/warning:")
        return
    if not records:
        st.info("No saved scenarios yet: name the plan above and save it to compare it with others later.")
        return
    listed = mmm_scenarios.scenarios_table(records, data_key)
    listed = listed.assign(link="?" + LINK_PARAM + "=" + listed["id"], mode=listed["mode"].map(SHORT_MODES))
    _list_table(listed)
    here = [record for record in records if record.data_key == data_key]
    _compare(posterior, here)
    _delete(store, records)


def _list_table(listed: pd.DataFrame) -> None:
    """The saved scenarios with a link column (layout.table has no link column)."""
    config = {name: st.column_config.Column(fmt.label(name)) for name in LIST_COLUMNS}
    config |= {
        name: st.column_config.NumberColumn(LIST_LABELS.get(name, fmt.label(name)), format=form)
        for name, form in LIST_FORMATS.items()
    }
    config |= {
        "saved_at": st.column_config.DatetimeColumn(LIST_LABELS["saved_at"], format="YYYY-MM-DD HH:mm"),
        "this_data": st.column_config.CheckboxColumn(LIST_LABELS["this_data"]),
        "link": st.column_config.LinkColumn("Link", display_text="open"),
    }
    st.dataframe(listed, column_order=LIST_COLUMNS, column_config=config, hide_index=True, width="stretch")


def _save(store: Workspace, data_key: str, result: mmm_scenarios.PlanResult | None) -> None:
    row = st.columns([3, 1], vertical_alignment="bottom")
    name = row[0].text_input("Scenario name", key="bp_scenario_name", placeholder="e.g. Q1 push on Meta")
    if not row[1].button("Save this plan", key="plan_save_scenario", disabled=result is None, width="stretch"):
        return
    try:
        record = store.save_scenario(name, mmm_scenarios.scenario_plan(result), data_key)
    except WorkspaceError as problem:
        st.error(str(problem))
        return
    st.session_state[OPENED] = record.id  # the URL now links to it; don't re-apply it on the next run
    st.query_params[LINK_PARAM] = record.id
    st.success(f"Saved “{record.name}”. The page's link now opens it.")


def _forget_missing(key: str, options: list[str]) -> None:
    """A kept choice of a scenario deleted since (here or by a teammate) falls back to the default."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]


def _compare(posterior: MmmPosterior, records: list[ScenarioRecord]) -> None:
    if len(records) < 2:
        st.caption("Save two plans on this data to compare them.")
        return
    by_id = {record.id: record for record in records}
    names = {record.id: record.name for record in records}
    for key in ("bp_compare_a", "bp_compare_b"):
        _forget_missing(key, list(by_id))
    pick = st.columns(2)
    first = pick[0].selectbox("Scenario A", list(by_id), index=1, format_func=names.get, key="bp_compare_a")
    second = pick[1].selectbox("Scenario B", list(by_id), index=0, format_func=names.get, key="bp_compare_b")
    try:
        table, versus = mmm_scenarios.compare_scenarios(posterior, by_id[first], by_id[second])
    except PlanError as problem:
        st.error(str(problem))
        return
    tiles = st.columns(3)
    tiles[0].metric(
        "P(B brings more than A)",
        mmm_scenarios.chance_text(versus["probability_b_beats_a"]),
        help="Share of the model's draws in which B's incremental revenue is above A's.",
    )
    tiles[1].metric("B − A incremental revenue", fmt.compact(versus["difference"], "$"))
    tiles[2].metric("90% interval of B − A", " – ".join(fmt.compact(v, "$") for v in versus["difference_ci"]))
    left, right = st.columns([2, 1])
    with left:
        layout.table(table, COMPARE_COLUMNS, formats=COMPARE_FORMATS, labels=COMPARE_LABELS)
    layout.chart(charts.scenario_bars, table, where=right)


def _delete(store: Workspace, records: list[ScenarioRecord]) -> None:
    names = {record.id: f"{record.name} ({record.saved_at:%d %b %Y %H:%M})" for record in records}
    _forget_missing("bp_delete_choice", list(names))
    row = st.columns([3, 1], vertical_alignment="bottom")
    chosen = row[0].selectbox("Delete a scenario", list(names), format_func=names.get, key="bp_delete_choice")
    if row[1].button("Delete", key="plan_delete_scenario", width="stretch"):
        try:
            store.delete_scenario(chosen)
        except WorkspaceError as problem:
            st.error(str(problem))
            return
        st.rerun()
