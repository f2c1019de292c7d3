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
from pipeline.campaigns import cube_store
from pipeline.inputs import demo
from pipeline.inputs.combine import Combined, stack_campaigns
from pipeline.inputs.demo_stamp import files_signature
from pipeline.inputs.ingest.load import IngestResult, ingest
from pipeline.inputs.ingest.vocabulary import SOURCE_COLUMN
from pipeline.scale import campaign_sums
from pipeline.workspace.store import DatasetRecord, WorkspaceError
from ui import filters
from ui.workspace import workspace

UPLOADED_CAMPAIGNS_KEY = "uploaded_campaigns"


UPLOADED_INFLUENCERS_KEY = "uploaded_influencer_tables"


# A label ("file name") and a unique token per "Use this data", so caches never mix two uploads.
UPLOADED_CAMPAIGNS_NAME_KEY = "uploaded_campaigns_name"


UPLOADED_INFLUENCERS_NAME_KEY = "uploaded_influencer_tables_name"


UPLOADED_CAMPAIGNS_TOKEN_KEY = "uploaded_campaigns_token"


# The cache tokens of the ingested files the uploaded campaign table was stacked from, so the data page offers
# "Add to the data in use" only for files it does not hold yet.
CAMPAIGN_FILES_KEY = "uploaded_campaign_files"


CACHE_TOKEN_ATTR = "cache_token"


# This session's uploaded daily sales (canonical frame: date, revenue, orders) and its file name. Kept until
# another good sales file is confirmed or the data is reset; a refused upload never replaces it.
UPLOADED_SALES_KEY = "uploaded_sales"
UPLOADED_SALES_NAME_KEY = "uploaded_sales_name"
# The id of the kept dataset this session shows (mirrored into the link as ?dataset=<id>), and whether the link's
# dataset has been opened yet: a link is followed once per session, later the session's choices win.
KEPT_DATASET_KEY = "kept_dataset_id"
KEPT_NAME_KEY = "kept_dataset_name"
LINK_FOLLOWED_KEY = "kept_dataset_link_followed"
# The table names a kept dataset uses, one per kind of upload.
INFLUENCER_TABLES = ("influencers", "posts", "tracking", "payouts")
SALES_TABLE = "sales"
CAMPAIGNS_TABLE = "campaigns"


DemoTable = TypeVar("DemoTable")


@st.cache_resource(max_entries=4, show_spinner="Loading campaign data…")
def demo_campaigns(directory: str) -> pd.DataFrame:
    # The parsed rows are kept beside the data (stamped with the file's size and mtime): a new server process
    # reads them in about 2 s at 10M rows instead of parsing the file again (make bench: firstload).
    return _with_cache_token(cube_store.load_or_read_rows(Path(directory), demo.read_campaigns).frame, "demo")


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
    directory = config.data_dir()
    if _quick_problem(str(directory), demo_files_key(directory)) is not None:
        _repair_demo_data()


def demo_files_key(directory: Path) -> str:
    """The demo files' sizes and modification times as a cache key: it changes whenever one is written."""
    return repr(sorted(files_signature(directory).items()))


@st.cache_resource(max_entries=8, show_spinner=False)
def _quick_problem(directory: str, signature: str) -> str | None:
    # Every rerun of every page asks; the files' sizes and times say whether the answer can have changed.
    return demo.quick_demo_data_problem(Path(directory))


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
    follow_dataset_link()
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
    follow_dataset_link()
    uploaded = st.session_state.get(UPLOADED_INFLUENCERS_KEY)
    if uploaded is not None:
        return uploaded
    ensure_demo_data()
    return demo_table(_demo_influencer_tables)


def use_campaigns(frame: pd.DataFrame, name: str, token: str | None = None) -> None:
    """Switch this session's pages to an uploaded campaign table (no longer a kept dataset as a whole)."""
    st.session_state[UPLOADED_CAMPAIGNS_KEY] = frame
    st.session_state[UPLOADED_CAMPAIGNS_NAME_KEY] = name
    st.session_state[UPLOADED_CAMPAIGNS_TOKEN_KEY] = token or f"upload:{uuid.uuid4().hex}"
    st.session_state.pop(CAMPAIGN_FILES_KEY, None)
    forget_kept_dataset()


def use_influencer_tables(tables: dict[str, pd.DataFrame], name: str) -> None:
    """Switch this session's pages to uploaded influencer tables (keys influencers, posts, tracking, payouts)."""
    st.session_state[UPLOADED_INFLUENCERS_KEY] = tables
    st.session_state[UPLOADED_INFLUENCERS_NAME_KEY] = name
    forget_kept_dataset()


def use_sales(frame: pd.DataFrame, name: str) -> None:
    """Keep an uploaded daily-sales table for this session (read with uploaded_sales)."""
    st.session_state[UPLOADED_SALES_KEY] = frame
    st.session_state[UPLOADED_SALES_NAME_KEY] = name
    forget_kept_dataset()


def uploaded_sales() -> pd.DataFrame | None:
    """This session's uploaded daily sales (pipeline.schemas.SALES), or None. Read-only."""
    follow_dataset_link()
    return st.session_state.get(UPLOADED_SALES_KEY)


def forget_sales() -> None:
    for key in (UPLOADED_SALES_KEY, UPLOADED_SALES_NAME_KEY):
        st.session_state.pop(key, None)


def reset_to_demo() -> None:
    """Forget this session's uploads, sales and kept dataset: every page shows the demo data again."""
    for key in (
        UPLOADED_CAMPAIGNS_KEY,
        UPLOADED_CAMPAIGNS_NAME_KEY,
        UPLOADED_CAMPAIGNS_TOKEN_KEY,
        CAMPAIGN_FILES_KEY,
        UPLOADED_INFLUENCERS_KEY,
        UPLOADED_INFLUENCERS_NAME_KEY,
        UPLOADED_SALES_KEY,
        UPLOADED_SALES_NAME_KEY,
    ):
        st.session_state.pop(key, None)
    forget_kept_dataset()


def campaign_source() -> str:
    """What the campaign pages show: the uploaded file's name, the backend's table, or "demo data"."""
    uploaded = st.session_state.get(UPLOADED_CAMPAIGNS_NAME_KEY)
    if uploaded:
        return kept_label(uploaded)
    settings = configured_backend(report=False)
    return f"{settings.campaigns} (daily sums from {settings.kind})" if settings is not None else "demo data"


def influencer_source() -> str:
    """What the influencer pages show: the uploaded files' names or "demo data"."""
    uploaded = st.session_state.get(UPLOADED_INFLUENCERS_NAME_KEY)
    return kept_label(uploaded) if uploaded else "demo data"


@st.cache_resource(max_entries=8, ttl=900, show_spinner="Reading the file…")
def _ingest(digest: str, name: str, overrides: tuple, assumptions: tuple, _raw: bytes) -> IngestResult:
    result = ingest(_raw, name=name, mapping_overrides=dict(overrides), assumptions=dict(assumptions))
    if result.kind == "campaigns":
        _with_cache_token(result.frame, "ingest")  # what stack_uploads caches the stacks made from it by
    return result


@st.cache_resource(max_entries=4, ttl=900, show_spinner="Stacking the files…")
def _stack(
    key: tuple, _files: tuple[tuple[str, pd.DataFrame], ...], _in_use: pd.DataFrame | None, name: str
) -> Combined:
    return stack_campaigns(_files, _in_use, name)


def stack_uploads(files: list[tuple[str, pd.DataFrame]], add_to_data_in_use: bool = False) -> Combined:
    """pipeline.inputs.combine.stack_campaigns of ingested uploads (frames from ingest_upload), alone or after this
    session's uploaded campaign table. Cached, so a rerun returns the same frame (clicking "Use" twice changes
    nothing) and big files are not stacked again; shared read-only."""
    in_use = st.session_state.get(UPLOADED_CAMPAIGNS_KEY) if add_to_data_in_use else None
    name = st.session_state.get(UPLOADED_CAMPAIGNS_NAME_KEY, "") if in_use is not None else ""
    key = (
        tuple((file, frame.attrs.get(CACHE_TOKEN_ATTR) or f"frame:{id(frame)}") for file, frame in files),
        campaign_token(in_use) if in_use is not None else None,
        name,
    )
    return _stack(key, tuple(files), in_use, name)


def file_tokens(frames: list[pd.DataFrame]) -> set[str]:
    """The cache tokens of ingested upload frames (as ingest_upload returns them)."""
    return {frame.attrs.get(CACHE_TOKEN_ATTR) or f"frame:{id(frame)}" for frame in frames}


def files_in_use() -> set[str]:
    """The tokens of the ingested files the session's uploaded campaign table was stacked from."""
    return set(st.session_state.get(CAMPAIGN_FILES_KEY, ()))


def remember_files_in_use(tokens: set[str]) -> None:
    st.session_state[CAMPAIGN_FILES_KEY] = sorted(tokens)


def campaign_sources(frame: pd.DataFrame, name: str) -> list[str]:
    """The files a campaign table came from: its `source` column's files, else its name's comma-separated parts."""
    if SOURCE_COLUMN in frame.columns and isinstance(frame[SOURCE_COLUMN].dtype, pd.CategoricalDtype):
        return [str(source) for source in frame[SOURCE_COLUMN].cat.categories]
    return name.split(", ") if name else []


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


# ---------------------------------------------------------------- kept datasets (the team's workspace)


@st.cache_resource(max_entries=4, show_spinner="Loading the kept dataset…")
def _kept_tables(dataset_id: str, path: str) -> dict[str, pd.DataFrame]:
    # A kept dataset never changes under its id (a rename touches only its record), so every session using it
    # shares one read-only copy, and the caches of what is computed from it share its token.
    tables = workspace().load_dataset(dataset_id)
    if CAMPAIGNS_TABLE in tables:
        tables[CAMPAIGNS_TABLE].attrs[CACHE_TOKEN_ATTR] = kept_token(dataset_id)
    return tables


class UnknownDatasetError(WorkspaceError):
    """No kept dataset has the id asked for (a stale link, or someone deleted it)."""


def kept_token(dataset_id: str) -> str:
    return f"kept:{dataset_id}"


def kept_label(uploaded_name: str) -> str:
    """How the captions name uploaded data: the kept dataset's name while the session shows one, else the files."""
    kept = st.session_state.get(KEPT_NAME_KEY)
    return f"{kept} (kept)" if kept and kept_dataset_id() else uploaded_name


def rename_kept(dataset_id: str, name: str) -> None:
    """Follow a rename of the kept dataset this session shows (the captions name it)."""
    if kept_dataset_id() == dataset_id:
        st.session_state[KEPT_NAME_KEY] = name


def kept_dataset_id() -> str | None:
    """The kept dataset this session shows as a whole, or None (demo data, or uploads not kept)."""
    return st.session_state.get(KEPT_DATASET_KEY)


def forget_kept_dataset() -> None:
    """The session's data is no longer one kept dataset: drop the id and take it out of the link."""
    st.session_state.pop(KEPT_DATASET_KEY, None)
    st.session_state.pop(KEPT_NAME_KEY, None)
    filters.mirror_dataset(None)


def use_kept_dataset(dataset_id: str) -> DatasetRecord:
    """Switch this session to a kept dataset: its tables replace the session's, and the kinds it lacks show the
    demo data. Raises WorkspaceError (unknown id, damaged file) and then changes nothing."""
    store = workspace()
    record = store.dataset(dataset_id)
    if record is None:
        raise UnknownDatasetError("That dataset is not in the workspace any more; someone may have deleted it.")
    tables = _kept_tables(record.id, store.location)
    reset_to_demo()
    files = ", ".join(record.sources) or record.name  # which file made which table is not kept: name them all
    if CAMPAIGNS_TABLE in tables:
        use_campaigns(tables[CAMPAIGNS_TABLE], files, token=kept_token(record.id))
    if all(kind in tables for kind in INFLUENCER_TABLES):
        use_influencer_tables({kind: tables[kind] for kind in INFLUENCER_TABLES}, files)
    if SALES_TABLE in tables:
        use_sales(tables[SALES_TABLE], files)
    mark_kept(record)
    return record


def uploads_in_use() -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The tables this session shows from uploads (by kept-table name) and the files they came from."""
    state = st.session_state
    tables: dict[str, pd.DataFrame] = {}
    sources: list[str] = []
    if state.get(UPLOADED_CAMPAIGNS_KEY) is not None:
        tables[CAMPAIGNS_TABLE] = state[UPLOADED_CAMPAIGNS_KEY]
        sources += campaign_sources(tables[CAMPAIGNS_TABLE], state.get(UPLOADED_CAMPAIGNS_NAME_KEY) or "campaign file")
    if state.get(UPLOADED_INFLUENCERS_KEY) is not None:
        tables.update(state[UPLOADED_INFLUENCERS_KEY])
        sources += (state.get(UPLOADED_INFLUENCERS_NAME_KEY) or "influencer files").split(", ")
    if state.get(UPLOADED_SALES_KEY) is not None:
        tables[SALES_TABLE] = state[UPLOADED_SALES_KEY]
        sources += (state.get(UPLOADED_SALES_NAME_KEY) or "sales file").split(", ")
    return tables, list(dict.fromkeys(sources))  # a kept dataset's files name every table it restored


def keep_uploads(name: str) -> DatasetRecord:
    """Keep the session's uploads in the workspace; the session then shows that kept dataset (and the link says
    so). Raises WorkspaceError (bad name, nothing to keep, damaged file)."""
    tables, sources = uploads_in_use()
    if not tables:
        raise WorkspaceError("There is nothing uploaded to keep: use an upload first.")
    record = workspace().keep_dataset(name, tables, sources)
    mark_kept(record)
    return record


def mark_kept(record: DatasetRecord) -> None:
    """This session now shows `record` as a whole: the captions name it and the link carries its id."""
    st.session_state[KEPT_DATASET_KEY] = record.id
    st.session_state[KEPT_NAME_KEY] = record.name
    filters.mirror_dataset(record.id)


def follow_dataset_link() -> None:
    """Open the link's kept dataset (?dataset=<id>) once per session, then keep the link in step with the
    session's choice. An unknown id or a damaged workspace is said in one sentence and the session keeps its data
    (the demo data in a fresh session)."""
    if LINK_FOLLOWED_KEY not in st.session_state:
        st.session_state[LINK_FOLLOWED_KEY] = True
        wanted = filters.dataset_from_link()
        if wanted and wanted != kept_dataset_id():
            try:
                use_kept_dataset(wanted)
            except UnknownDatasetError:
                st.warning(
                    "The dataset this link names is not in the workspace any more, so it opens on the demo data."
                )
            except WorkspaceError as exc:
                st.warning(f"{exc} The link opens on the demo data.")
    filters.mirror_dataset(kept_dataset_id())
