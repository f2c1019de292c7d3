"""Planner: the budget plan on the media mix model first, the per-line delivery forecast second."""

import streamlit as st

from ui import budget_plan, layout, line_forecast

TABS = ("Budget plan", "Per-line forecast")
TAB_KEY = "planner_tab"

layout.use_app_navigation()
st.title("Planner")
budget_plan.keep_inputs()  # the tab not drawn this run keeps its inputs
line_forecast.keep_inputs()
# A keyed, state-tracking st.tabs: the chosen tab survives reruns, and only the open tab's content runs.
budget_tab, line_tab = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
if budget_tab.open:
    with budget_tab:
        budget_plan.render()
if line_tab.open:
    with line_tab:
        line_forecast.render()
