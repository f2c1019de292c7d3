"""The only place with cache decorators. Big frames are shared read-only per process."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from pipeline import config, datasets

UPLOADED_CAMPAIGNS_KEY = "uploaded_campaigns"
UPLOADED_INFLUENCERS_KEY = "uploaded_influencer_tables"


@st.cache_resource(max_entries=4, show_spinner="Loading campaign data…")
def _demo_campaigns(directory: str) -> pd.DataFrame:
    return datasets.read_campaigns(Path(directory))


@st.cache_resource(max_entries=4, show_spinner="Loading influencer data…")
def _demo_influencer_tables(directory: str) -> dict[str, pd.DataFrame]:
    return datasets.read_influencer_tables(Path(directory))


def ensure_demo_data() -> None:
    """Generate the demo data when data/ is missing or incomplete, and say so."""
    if datasets.demo_data_present():
        return
    import data_generation

    with st.status("No demo data found: generating it (a few seconds)…", expanded=False) as status:
        data_generation.generate(config.data_dir())
        status.update(label="Demo data generated.", state="complete")
    _demo_campaigns.clear()
    _demo_influencer_tables.clear()


def campaigns() -> pd.DataFrame:
    """This session's uploaded campaign table if any, else the shared demo table. Treat as read-only."""
    uploaded = st.session_state.get(UPLOADED_CAMPAIGNS_KEY)
    if uploaded is not None:
        return uploaded
    ensure_demo_data()
    return _demo_campaigns(str(config.data_dir()))


def influencer_tables() -> dict[str, pd.DataFrame]:
    """This session's uploaded influencer tables if any, else the shared demo tables. Read-only."""
    uploaded = st.session_state.get(UPLOADED_INFLUENCERS_KEY)
    if uploaded is not None:
        return uploaded
    ensure_demo_data()
    return _demo_influencer_tables(str(config.data_dir()))
