"""The budget plan for the pages: optimised and scored once per data set and inputs, shared read-only."""

from __future__ import annotations

import streamlit as st

from pipeline.modeling import mmm_scenarios
from pipeline.modeling.mmm_fit import MmmPosterior


@st.cache_resource(max_entries=32, show_spinner=False)
def plan(_posterior: MmmPosterior, data_key: str, inputs: mmm_scenarios.PlanInputs) -> mmm_scenarios.PlanResult:
    """run_plan for these inputs on the posterior fitted to `data_key` (the fitted data's hash). About 0.3 s on 4
    channels, so reruns that change something else on the page (or another tab) cost nothing."""
    return mmm_scenarios.run_plan(_posterior, inputs)
