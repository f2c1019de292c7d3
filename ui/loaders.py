"""The only place with cache decorators. Big frames are shared read-only per process."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pandas as pd
import streamlit as st

from pipeline import config
from pipeline.campaigns import cube
from pipeline.filters import CampaignFilter, InfluencerFilter, apply_campaign_filter, apply_influencer_filter
from pipeline.influencers import incrementality
from pipeline.inputs import demo, ingestion
from pipeline.scale import backends, engine, sums_stats

if TYPE_CHECKING:  # scikit-learn loads only when a page needs segments or models
    from pipeline.modeling import forecast, roi, segments

UPLOADED_CAMPAIGNS_KEY = "uploaded_campaigns"
UPLOADED_INFLUENCERS_KEY = "uploaded_influencer_tables"
# A label ("file name") and a unique token per "Use this data", so caches never mix two uploads.
UPLOADED_CAMPAIGNS_NAME_KEY = "uploaded_campaigns_name"
UPLOADED_INFLUENCERS_NAME_KEY = "uploaded_influencer_tables_name"
UPLOADED_CAMPAIGNS_TOKEN_KEY = "uploaded_campaigns_token"
CACHE_TOKEN_ATTR = "cache_token"
DemoTable = TypeVar("DemoTable")


@st.cache_resource(max_entries=4, show_spinner="Loading campaign data…")
def _demo_campaigns(directory: str) -> pd.DataFrame:
    return _with_cache_token(demo.read_campaigns(Path(directory)), "demo")


def _with_cache_token(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Tag a freshly loaded shared frame for the caches of what is computed from it (_campaign_token): an id()
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
    _demo_campaigns.clear()
    _demo_influencer_tables.clear()


def _demo_table(load: Callable[[str], DemoTable]) -> DemoTable:
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
        except backends.BackendError as exc:
            st.error(f"{str(exc).rstrip('.')}. Showing the demo data instead.")
    ensure_demo_data()
    return _demo_table(_demo_campaigns)


def configured_backend(report: bool = True) -> backends.BackendSettings | None:
    """The backend named by ANALYTICS_BACKEND or .streamlit/secrets.toml, else None (local files).
    A setting that cannot be used is reported (unless `report` is False) and the local data is used."""
    try:
        return backends.settings_from_env() if backends.backend_configured() else None
    except backends.BackendError as exc:
        if report:
            st.error(f"{exc} Using the local data instead.")
        return None


@st.cache_resource(max_entries=2, ttl=3600, show_spinner="Summing the campaign table in the backend…")
def _backend_campaigns(description: str, _settings: backends.BackendSettings) -> pd.DataFrame:
    return _with_cache_token(backends.dashboard_campaigns(_settings), "backend")


def influencer_tables() -> dict[str, pd.DataFrame]:
    """This session's uploaded influencer tables if any, else the shared demo tables. Read-only."""
    uploaded = st.session_state.get(UPLOADED_INFLUENCERS_KEY)
    if uploaded is not None:
        return uploaded
    ensure_demo_data()
    return _demo_table(_demo_influencer_tables)


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


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _campaign_cube(token: str, spec_key: str, _frame: pd.DataFrame, _spec: CampaignFilter) -> pd.DataFrame:
    return cube.cube(apply_campaign_filter(_frame, _spec))


@st.cache_resource(max_entries=4, ttl=900, show_spinner="Reading the file…")
def _ingest(digest: str, name: str, overrides: tuple, assumptions: tuple, _raw: bytes) -> ingestion.IngestResult:
    return ingestion.ingest(_raw, name=name, mapping_overrides=dict(overrides), assumptions=dict(assumptions))


def ingest_upload(
    raw: bytes, name: str, overrides: dict[str, str], assumptions: dict[str, float]
) -> ingestion.IngestResult:
    """pipeline.inputs.ingestion.ingest of uploaded bytes, cached by content, so a rerun of the data page
    does not parse the file again. The result is shared read-only; raises IngestError."""
    digest = hashlib.sha256(raw).hexdigest()
    return _ingest(digest, name, tuple(sorted(overrides.items())), tuple(sorted(assumptions.items())), raw)


@st.cache_resource(max_entries=8, show_spinner="Summarising the campaign data…")
def _full_cube(token: str, keys: tuple[str, ...], _frame: pd.DataFrame) -> pd.DataFrame:
    return cube.cube(_frame, keys)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _cut_cube(token: str, spec_key: str, _full: pd.DataFrame, _spec: CampaignFilter) -> pd.DataFrame:
    return cube.filtered_cube(_full, _spec)


def campaign_cube(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """The campaign rows matching every filter except the dates, rolled up to platform x campaign x
    device x day. Cached per data set and filter (dates excluded), shared read-only: changing only
    the date range, the trend toggle or a chart option reuses it. When the filter only restricts cube
    keys (platform, device, campaign), it is cut from the data set's full cube, built once."""
    undated = replace(spec, start=None, end=None)
    token = _campaign_token(frame)
    if cube.cube_serves(undated, frame.columns):
        return _cut_cube(token, repr(undated), _full_cube(token, cube.CUBE_KEYS, frame), undated)
    return _campaign_cube(token, repr(undated), frame, undated)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _platform_days(token: str, spec_key: str, _frame: pd.DataFrame, _spec: CampaignFilter) -> pd.DataFrame:
    if cube.cube_serves(_spec, _frame.columns, cube.SUMMARY_KEYS):
        summary = cube.filtered_cube(_full_cube(token, cube.SUMMARY_KEYS, _frame), _spec)
    else:  # a campaign pick: the summary has no campaign column
        summary = campaign_cube(_frame, _spec)
    return cube.rollup(summary, [key for key in ("platform", "date") if key in summary.columns])


def platform_day_sums(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """Σ per platform and day of the rows matching every filter except the dates: the KPI tiles' and
    the trend's input. Cut from a small per-data-set summary unless campaigns are picked, so the tiles
    update within a fraction of a second even at 10M rows. Cached per filter, shared read-only."""
    undated = replace(spec, start=None, end=None)
    return _platform_days(_campaign_token(frame), repr(undated), frame, undated)


@st.cache_resource(max_entries=4, show_spinner=False)
def _filter_choices(token: str, _frame: pd.DataFrame) -> pd.DataFrame:
    return engine.filter_options_frame(_frame)


def campaign_filter_choices(frame: pd.DataFrame) -> pd.DataFrame:
    """A small stand-in for `frame` with the same filter choices and date range (for
    ui.filters.campaign_filters), built once per data set: reading the choices off 10M rows
    on every rerun would cost about 0.1 s."""
    return _filter_choices(_campaign_token(frame), frame)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _basis_flags(token: str, basis_key: str, _frame: pd.DataFrame, _basis: CampaignFilter) -> pd.DataFrame:
    return cube.anomaly_flags(campaign_cube(_frame, _basis))


def anomaly_flags(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """pipeline.campaigns.cube.anomaly_flags of the rows matching `spec`, reported for its dates. Computed once
    per device and type selection (cube.anomaly_basis) and cut per platform, campaign and date."""
    basis = cube.anomaly_basis(spec)
    flags = _basis_flags(_campaign_token(frame), repr(basis), frame, basis)
    return apply_campaign_filter(flags, spec).reset_index(drop=True)


def _campaign_token(frame: pd.DataFrame) -> str:
    """Identifies a campaign frame, as campaigns() returns it, for caching: this session's upload token, else
    the token the shared frame was loaded with (a frame derived from it would carry the same attrs: pass the
    loaded frame itself)."""
    if frame is st.session_state.get(UPLOADED_CAMPAIGNS_KEY):
        if UPLOADED_CAMPAIGNS_TOKEN_KEY not in st.session_state:  # set directly, not through use_campaigns
            st.session_state[UPLOADED_CAMPAIGNS_TOKEN_KEY] = f"upload:{uuid.uuid4().hex}"
        return st.session_state[UPLOADED_CAMPAIGNS_TOKEN_KEY]
    return frame.attrs.get(CACHE_TOKEN_ATTR) or f"frame:{id(frame)}"


def _influencer_data_key(tables: dict[str, pd.DataFrame]) -> str:
    """Identifies the influencer data: the demo folder, or a content hash of an upload."""
    if st.session_state.get(UPLOADED_INFLUENCERS_KEY) is not tables:
        return f"demo:{config.data_dir()}"
    used = ("influencers", "tracking", "payouts")
    digest = [int(pd.util.hash_pandas_object(tables[name], index=False).sum()) for name in used if name in tables]
    return "upload:" + ":".join(str(d) for d in digest)


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Computing incrementality (bootstrap)…")
def _incrementality_report(
    data_key: str, spec_key: str, _tables: dict[str, pd.DataFrame], _spec: InfluencerFilter
) -> incrementality.IncrementalityReport:
    scoped = apply_influencer_filter(_tables, _spec)
    return incrementality.analyse(
        scoped["tracking"], scoped["payouts"], reference=_tables["tracking"], influencers=scoped["influencers"]
    )


def incrementality_report(
    tables: dict[str, pd.DataFrame], spec: InfluencerFilter
) -> incrementality.IncrementalityReport:
    """The incrementality report for the filtered influencer data, cached per data set and filter, so a
    rerun with the same filters never repeats the bootstrap. Raises IncrementalityInputError."""
    return _incrementality_report(_influencer_data_key(tables), repr(spec), tables, spec)


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Computing incrementality in the backend…")
def _backend_incrementality_report(
    description: str,
    data_key: str,
    spec_key: str,
    _settings: backends.BackendSettings,
    _tables: dict[str, pd.DataFrame],
    _spec: InfluencerFilter,
) -> incrementality.IncrementalityReport:
    with backends.plain_errors(_settings):
        table = backends.tracking_table(backends.connect(_settings), _settings)
        return sums_stats.report_from_sums(table, _tables["influencers"], _tables["payouts"], _spec)


def incrementality_report_and_source(
    tables: dict[str, pd.DataFrame], spec: InfluencerFilter
) -> tuple[incrementality.IncrementalityReport, str | None]:
    """(report, backend kind) computed from the configured backend's tracking table (the small tables stay
    local), or (local report, None) with no backend, with uploaded influencer tables, or after a backend error
    (one st.error sentence). Cached per backend, data set and filter. Raises IncrementalityInputError."""
    settings = configured_backend() if st.session_state.get(UPLOADED_INFLUENCERS_KEY) is None else None
    if settings is not None:
        keys = (settings.describe(), _influencer_data_key(tables), repr(spec))
        try:
            return _backend_incrementality_report(*keys, settings, tables, spec), settings.kind
        except backends.BackendError as exc:
            st.error(f"{str(exc).rstrip('.')}. Showing the local tracking data instead.")
    return incrementality_report(tables, spec), None


# -- Segments and models (issue 5) ------------------------------------------------------------------


@st.cache_resource(max_entries=16, ttl=3600, show_spinner="Finding segments…")
def _segments(token: str, spec_key: str, _frame: pd.DataFrame, _spec: CampaignFilter) -> segments.SegmentResult:
    from pipeline.modeling import segments

    return segments.segment_campaigns(apply_campaign_filter(_frame, _spec))


def campaign_segments(frame: pd.DataFrame, spec: CampaignFilter) -> segments.SegmentResult:
    """pipeline.modeling.segments.segment_campaigns of the filtered rows, cached per data set and filter and
    shared read-only. Raises ValueError when too few units can be placed."""
    return _segments(_campaign_token(frame), repr(spec), frame, spec)


def _models_stamp(models_dir: Path) -> str:
    """Changes whenever any model's metadata file is rewritten (e.g. by another process)."""
    stamps = [str(p.stat().st_mtime_ns) for p in sorted(models_dir.glob("*.json"))] if models_dir.is_dir() else []
    return ":".join(stamps)


@st.cache_resource(max_entries=2, show_spinner="Loading models…")
def _trained_models(models_dir: str, stamp: str) -> roi.ModelBundle:
    from pipeline.modeling import roi

    return roi.load_models(Path(models_dir))


@st.cache_resource(max_entries=2, show_spinner="Loading the forecaster…")
def _forecaster(models_dir: str, stamp: str) -> forecast.Forecaster:
    from pipeline.modeling import forecast, store

    model, _ = store.load(Path(models_dir), forecast.NAME)
    return model


def _train_missing(names: tuple[str, ...]) -> None:
    """Train missing or invalid models from the demo data folder (never an upload), with progress."""
    from pipeline.modeling import roi

    ensure_demo_data()
    with st.status("Training models (first run, well under a minute)…", expanded=True) as status:
        try:
            done = roi.ensure_models(
                config.data_dir(), config.models_dir(), names, check_data=False, progress=status.write
            )
        except ValueError:
            status.update(label="Training stopped.", state="error")
            raise
        status.update(label=f"Trained {len(done['trained'])} model(s) in {done['seconds']:.0f} s.", state="complete")


def trained_models() -> roi.ModelBundle:
    """Every saved model with its metadata, verified (sha256, versions) and shared read-only;
    trained first, with a progress box, when any is missing or invalid."""
    from pipeline.modeling import roi, store

    models_dir = config.models_dir()
    try:
        return _trained_models(str(models_dir), _models_stamp(models_dir))
    except store.ArtifactInvalid:
        _train_missing(roi.ALL_MODELS)
    return _trained_models(str(models_dir), _models_stamp(models_dir))


def forecaster() -> forecast.Forecaster:
    """The saved forecaster, verified and shared read-only; trained first (with progress) when needed."""
    from pipeline.modeling import forecast, store

    models_dir = config.models_dir()
    try:
        return _forecaster(str(models_dir), _models_stamp(models_dir))
    except store.ArtifactInvalid:
        _train_missing((forecast.NAME,))
    return _forecaster(str(models_dir), _models_stamp(models_dir))


def retrain_models(threshold: float) -> dict:
    """Retrain every model on the demo data folder with a progress box; the caches then reload."""
    from pipeline.modeling import roi

    ensure_demo_data()
    with st.status("Retraining every model…", expanded=True) as status:
        try:
            done = roi.train_models(config.data_dir(), config.models_dir(), threshold, progress=status.write)
        except ValueError:
            status.update(label="Retraining stopped.", state="error")
            raise
        status.update(label=f"Retrained every model in {done['seconds']:.0f} s.", state="complete", expanded=False)
    _trained_models.clear()
    _forecaster.clear()
    return done


def training_campaigns() -> pd.DataFrame:
    """The demo campaign table the models are trained on (never an upload). Read-only."""
    ensure_demo_data()
    return _demo_table(_demo_campaigns)
