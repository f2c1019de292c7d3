"""Which data the pages show: the demo folder (generated or repaired when needed), a configured backend, or this
session's uploads. Big frames are loaded once per process and shared read-only."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st

from pipeline import config
from pipeline.inputs import demo
from pipeline.inputs.ingest.load import IngestResult, ingest
from pipeline.scale import campaign_sums

UPLOADED_CAMPAIGNS_KEY = "uploaded_campaigns"


UPLOADED_INFLUENCERS_KEY = "uploaded_influencer_tables"


# A label ("file name") and a unique token per "Use this data", so caches never mix two uploads.
UPLOADED_CAMPAIGNS_NAME_KEY = "uploaded_campaigns_name"


UPLOADED_INFLUENCERS_NAME_KEY = "uploaded_influencer_tables_name"


UPLOADED_CAMPAIGNS_TOKEN_KEY = "uploaded_campaigns_token"


CACHE_TOKEN_ATTR = "cache_token"


DemoTable = TypeVar("DemoTable")


@st.cache_resource(max_entries=4, show_spinner="Loading campaign data…")
def demo_campaigns(directory: str) -> pd.DataFrame:
    return _with_cache_token(demo.read_campaigns(Path(directory)), "demo")


def _with_cache_token(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Tag a freshly loaded shared frame for the caches of what is computed from it (campaign_token): an id()
    could be reused by the next frame once a reload (a repair, an expired backend read) frees this one."""
    frame.attrs[CACHE_TOKEN_ATTR] = f"{kind}:{uuid.uuid4().hex}"
    return frame


@st.cache_resource(max_entries=4, show_spinner="Loading influencer data…")
def _demo_influencer_tables(directory: str) -> dict[str, pd.DataFrame]:
    return demo.read_influencer_tables(Path(directory))


def ensure_demo_data() -> None:
    """Generate the demo data when data/ is missing, and repair it when a file is visibly broken (the quick
    check reads only file headers and tails; the demo loaders catch what only a full read shows)."""
    if demo.quick_demo_data_problem(config.data_dir()) is not None:
        _repair_demo_data()


def _repair_demo_data() -> None:
    """Regenerate the demo folder (unreadable files are kept aside), say what happened, drop cached frames."""
    directory = config.data_dir()
    with st.status("Checking the demo data and regenerating it (a few seconds)…", expanded=False) as status:
        try:
            repair = demo.repair_demo_data(directory)
        except OSError as exc:
            status.update(label="The demo data could not be regenerated.", state="error")
            st.error(f"The demo data in {directory} is broken and could not be regenerated ({exc}).")
            st.stop()
        done = {"generated": "Demo data generated.", "repaired": "Demo data regenerated."}
        status.update(label=done.get(repair.status, "The demo data is complete."), state="complete")
    if repair.status == "repaired":
        st.warning(repair.message)
    demo_campaigns.clear()
    _demo_influencer_tables.clear()


def demo_table(load: Callable[[str], DemoTable]) -> DemoTable:
    """A cached demo loader's result; when a file turns out unreadable, repair the folder once and load again."""
    directory = str(config.data_dir())
    try:
        return load(directory)
    except demo.DemoDataError:
        _repair_demo_data()
    try:
        return load(directory)
    except demo.DemoDataError as exc:  # e.g. someone broke the file again meanwhile
        st.error(f"{exc} Reload the page to try again.")
        st.stop()


def campaigns() -> pd.DataFrame:
    """This session's uploaded campaign table if any, else the configured backend's daily sums (README
    "Scale out"), else the shared demo table. Treat as read-only."""
    uploaded = st.session_state.get(UPLOADED_CAMPAIGNS_KEY)
    if uploaded is not None:
        return uploaded
    settings = configured_backend()
    if settings is not None:
        try:
            return _backend_campaigns(settings.describe(), settings)
        except config.BackendError as exc:
            st.error(f"{str(exc).rstrip('.')}. Showing the demo data instead.")
    ensure_demo_data()
    return demo_table(demo_campaigns)


def configured_backend(report: bool = True) -> config.BackendSettings | None:
    """The backend named by ANALYTICS_BACKEND or .streamlit/secrets.toml, else None (local files).
    A setting that cannot be used is reported (unless `report` is False) and the local data is used."""
    try:
        return config.settings_from_env() if config.backend_configured() else None
    except config.BackendError as exc:
        if report:
            st.error(f"{exc} Using the local data instead.")
        return None


@st.cache_resource(max_entries=2, ttl=3600, show_spinner="Summing the campaign table in the backend…")
def _backend_campaigns(description: str, _settings: config.BackendSettings) -> pd.DataFrame:
    return _with_cache_token(campaign_sums.dashboard_campaigns(_settings), "backend")


def influencer_tables() -> dict[str, pd.DataFrame]:
    """This session's uploaded influencer tables if any, else the shared demo tables. Read-only."""
    uploaded = st.session_state.get(UPLOADED_INFLUENCERS_KEY)
    if uploaded is not None:
        return uploaded
    ensure_demo_data()
    return demo_table(_demo_influencer_tables)


def use_campaigns(frame: pd.DataFrame, name: str) -> None:
    """Switch this session's pages to an uploaded campaign table."""
    st.session_state[UPLOADED_CAMPAIGNS_KEY] = frame
    st.session_state[UPLOADED_CAMPAIGNS_NAME_KEY] = name
    st.session_state[UPLOADED_CAMPAIGNS_TOKEN_KEY] = f"upload:{uuid.uuid4().hex}"


def use_influencer_tables(tables: dict[str, pd.DataFrame], name: str) -> None:
    """Switch this session's pages to uploaded influencer tables (keys influencers, posts, tracking, payouts)."""
    st.session_state[UPLOADED_INFLUENCERS_KEY] = tables
    st.session_state[UPLOADED_INFLUENCERS_NAME_KEY] = name


def reset_to_demo() -> None:
    """Forget this session's uploads: every page shows the demo data again."""
    for key in (
        UPLOADED_CAMPAIGNS_KEY,
        UPLOADED_CAMPAIGNS_NAME_KEY,
        UPLOADED_CAMPAIGNS_TOKEN_KEY,
        UPLOADED_INFLUENCERS_KEY,
        UPLOADED_INFLUENCERS_NAME_KEY,
    ):
        st.session_state.pop(key, None)


def campaign_source() -> str:
    """What the campaign pages show: the uploaded file's name, the backend's table, or "demo data"."""
    uploaded = st.session_state.get(UPLOADED_CAMPAIGNS_NAME_KEY)
    if uploaded:
        return uploaded
    settings = configured_backend(report=False)
    return f"{settings.campaigns} (daily sums from {settings.kind})" if settings is not None else "demo data"


def influencer_source() -> str:
    """What the influencer pages show: the uploaded files' names or "demo data"."""
    return st.session_state.get(UPLOADED_INFLUENCERS_NAME_KEY) or "demo data"


@st.cache_resource(max_entries=4, ttl=900, show_spinner="Reading the file…")
def _ingest(digest: str, name: str, overrides: tuple, assumptions: tuple, _raw: bytes) -> IngestResult:
    return ingest(_raw, name=name, mapping_overrides=dict(overrides), assumptions=dict(assumptions))


def ingest_upload(raw: bytes, name: str, overrides: dict[str, str], assumptions: dict[str, float]) -> IngestResult:
    """pipeline.inputs.ingest.load.ingest of uploaded bytes, cached by content, so a rerun of the data page
    does not parse the file again. The result is shared read-only; raises IngestError."""
    digest = hashlib.sha256(raw).hexdigest()
    return _ingest(digest, name, tuple(sorted(overrides.items())), tuple(sorted(assumptions.items())), raw)


def campaign_token(frame: pd.DataFrame) -> str:
    """Identifies a campaign frame, as campaigns() returns it, for caching: this session's upload token, else
    the token the shared frame was loaded with (a frame derived from it would carry the same attrs: pass the
    loaded frame itself)."""
    if frame is st.session_state.get(UPLOADED_CAMPAIGNS_KEY):
        if UPLOADED_CAMPAIGNS_TOKEN_KEY not in st.session_state:  # set directly, not through use_campaigns
            st.session_state[UPLOADED_CAMPAIGNS_TOKEN_KEY] = f"upload:{uuid.uuid4().hex}"
        return st.session_state[UPLOADED_CAMPAIGNS_TOKEN_KEY]
    return frame.attrs.get(CACHE_TOKEN_ATTR) or f"frame:{id(frame)}"


def training_campaigns() -> pd.DataFrame:
    """The demo campaign table the models are trained on (never an upload). Read-only."""
    ensure_demo_data()
    return demo_table(demo_campaigns)
