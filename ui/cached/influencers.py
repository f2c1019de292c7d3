"""The cached incrementality report, computed locally or in a configured backend.

Per data set, the whole tracking table is validated once and the report on the whole data is computed once, both
shared read-only; a filter's report copies the breakdown rows and stratified draws of every slice the filter keeps
whole from it (incrementality.analyse's `reuse`), so a platform or influencer pick bootstraps only the pooled
comparison and the slices it splits. The Influencers page asks for a
light report (the pooled comparison and the per-influencer rows, no stratified estimate and no other breakdowns):
its first paint per new filter bootstraps one pooled comparison, not the Incrementality page's whole report.
Intervals stay the exact bootstrap with N_RESAMPLES resamples everywhere; nothing is approximated.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pipeline import config
from pipeline.filters import InfluencerFilter, apply_influencer_filter
from pipeline.influencers import incrementality, scope
from pipeline.scale import backends, sums_stats
from ui.cached.data import UPLOADED_INFLUENCERS_KEY, configured_backend


def _influencer_data_key(tables: dict[str, pd.DataFrame]) -> str:
    """Identifies the influencer data: the demo folder (with its tracking rows' count and revenue, so a repaired
    folder with other data never reuses the old whole-data report), or a content hash of an upload."""
    if st.session_state.get(UPLOADED_INFLUENCERS_KEY) is not tables:
        tracking = tables["tracking"]
        revenue = float(tracking["revenue"].sum()) if "revenue" in tracking else 0.0
        return f"demo:{config.data_dir()}:{len(tracking)}:{revenue!r}"
    used = ("influencers", "tracking", "payouts")
    digest = [int(pd.util.hash_pandas_object(tables[name], index=False).sum()) for name in used if name in tables]
    return "upload:" + ":".join(str(d) for d in digest)


# What each kind of report holds, on the whole data and per filter. FULL is the Incrementality page's: per filter
# the pooled, stratified and per-influencer results, and the one breakdown shown (breakdown_table) on demand.
# LIGHT is the Influencers page's: the pooled comparison and the per-influencer rows, nothing else.
FULL, LIGHT = "full", "light"
WHOLE_PARTS: dict[str, dict[str, Any]] = {
    FULL: {"breakdowns": tuple(incrementality.BREAKDOWNS), "stratify": True},
    LIGHT: {"breakdowns": ("influencer",), "stratify": False},
}
FILTERED_PARTS: dict[str, dict[str, Any]] = {
    FULL: {"breakdowns": ("influencer",), "stratify": True},
    LIGHT: {"breakdowns": ("influencer",), "stratify": False},
}


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _reference(data_key: str, _tables: dict[str, pd.DataFrame]) -> scope.Reference:
    """The whole tracking table validated and cleaned once per data set: each filter then handles only its rows."""
    return scope.prepare_reference(_tables["tracking"])


@st.cache_resource(max_entries=8, ttl=3600, show_spinner="Computing incrementality (bootstrap)…")
def _whole_data_report(
    data_key: str, kind: str, _tables: dict[str, pd.DataFrame]
) -> incrementality.IncrementalityReport:
    return incrementality.analyse(
        _tables["tracking"],
        _tables["payouts"],
        reference=_reference(data_key, _tables),
        influencers=_tables["influencers"],
        **WHOLE_PARTS[kind],
    )


def holds_everything(scoped: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame]) -> bool:
    """True when the filter kept every tracking row, influencer and payout: its report is the whole data's."""
    return all(len(scoped[name]) == len(tables[name]) for name in ("tracking", "payouts", "influencers"))


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Computing incrementality (bootstrap)…")
def _incrementality_report(
    data_key: str, spec_key: str, kind: str, _tables: dict[str, pd.DataFrame], _spec: InfluencerFilter
) -> incrementality.IncrementalityReport:
    scoped = apply_influencer_filter(_tables, _spec)
    whole = _whole_data_report(data_key, kind, _tables)
    if holds_everything(scoped, _tables):
        return whole
    return incrementality.analyse(
        scoped["tracking"],
        scoped["payouts"],
        reference=_reference(data_key, _tables),
        influencers=scoped["influencers"],
        reuse=whole,
        **FILTERED_PARTS[kind],
    )


def incrementality_report(
    tables: dict[str, pd.DataFrame], spec: InfluencerFilter, kind: str = FULL
) -> incrementality.IncrementalityReport:
    """The incrementality report for the filtered influencer data (`kind` FULL or LIGHT, see FILTERED_PARTS),
    cached per data set and filter, so a rerun with the same filters never repeats the bootstrap, and cut from
    the whole data's report where a slice is untouched. Raises IncrementalityInputError."""
    return _incrementality_report(_influencer_data_key(tables), repr(spec), kind, tables, spec)


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Computing the breakdown (bootstrap)…")
def _breakdown_table(
    data_key: str, spec_key: str, name: str, _tables: dict[str, pd.DataFrame], _spec: InfluencerFilter
) -> pd.DataFrame | None:
    scoped = apply_influencer_filter(_tables, _spec)
    whole = _whole_data_report(data_key, FULL, _tables)
    if holds_everything(scoped, _tables):
        return whole.breakdowns.get(name)
    return incrementality.scope_breakdown(
        scoped["tracking"],
        scoped["payouts"],
        name,
        reference=_reference(data_key, _tables),
        influencers=scoped["influencers"],
        reuse=whole.breakdowns.get(name),
    )


def breakdown_names(
    tables: dict[str, pd.DataFrame], report: incrementality.IncrementalityReport, backend: str | None
) -> list[str]:
    """The breakdowns the Incrementality page offers: the backend report's own, else every one the local tracking
    data has columns for (none when a group is empty)."""
    if backend is not None or report.problem is not None:
        return list(report.breakdowns)
    return list(incrementality.available_breakdowns(tables["tracking"].columns))


def breakdown_table(
    tables: dict[str, pd.DataFrame],
    spec: InfluencerFilter,
    report: incrementality.IncrementalityReport,
    name: str,
) -> pd.DataFrame | None:
    """Breakdown `name` of the filtered data: the report's own when it has it (the whole data's, a backend's, the
    per-influencer rows), else computed alone for this filter (incrementality.scope_breakdown, whole slices
    copied from the whole data's report) and cached per data set, filter and breakdown."""
    if name in report.breakdowns:
        return report.breakdowns[name]
    return _breakdown_table(_influencer_data_key(tables), repr(spec), name, tables, spec)


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
    tables: dict[str, pd.DataFrame], spec: InfluencerFilter, kind: str = FULL
) -> tuple[incrementality.IncrementalityReport, str | None]:
    """(report, backend kind) computed from the configured backend's tracking table (the small tables stay
    local), or (local report of `kind`, None) with no backend, with uploaded influencer tables, or after a
    backend error (one st.error sentence). Cached per backend, data set and filter. Raises
    IncrementalityInputError."""
    settings = configured_backend() if st.session_state.get(UPLOADED_INFLUENCERS_KEY) is None else None
    if settings is not None:
        keys = (settings.describe(), _influencer_data_key(tables), repr(spec))
        try:
            return _backend_incrementality_report(*keys, settings, tables, spec), settings.kind
        except config.BackendError as exc:
            st.error(f"{str(exc).rstrip('.')}. Showing the local tracking data instead.")
    return incrementality_report(tables, spec, kind), None
