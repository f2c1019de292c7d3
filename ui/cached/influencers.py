"""The cached incrementality report, computed locally or in a configured backend."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline import config
from pipeline.filters import InfluencerFilter, apply_influencer_filter
from pipeline.influencers import incrementality
from pipeline.scale import backends, sums_stats
from ui.cached.data import UPLOADED_INFLUENCERS_KEY, configured_backend


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
    _settings: config.BackendSettings,
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
        except config.BackendError as exc:
            st.error(f"{str(exc).rstrip('.')}. Showing the local tracking data instead.")
    return incrementality_report(tables, spec), None
