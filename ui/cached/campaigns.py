"""Cached cuts of a campaign frame: cubes, per-platform day sums, filter choices, anomaly flags and segments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from pipeline import config
from pipeline.campaigns import cube, cube_store, overview
from pipeline.filters import CAMPAIGN_FILTER_COLUMNS, CampaignFilter, apply_campaign_filter, filter_options_frame
from ui.cached.data import campaign_token

if TYPE_CHECKING:  # scikit-learn loads only when a page needs segments
    from pipeline.modeling import segments

# The shared demo frame's cache token starts so (ui.cached.data): it was read from config.data_dir().
DEMO_TOKEN_PREFIX = "demo:"
# What else is kept next to the data besides the cubes: the sidebar's choices.
FILTER_CHOICES_PRODUCT = "filter-choices"


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _campaign_cube(token: str, spec_key: str, _frame: pd.DataFrame, _spec: CampaignFilter) -> pd.DataFrame:
    return cube.cube(apply_campaign_filter(_frame, _spec))


@st.cache_resource(max_entries=8, show_spinner="Summarising the campaign data…")
def _full_cube(token: str, keys: tuple[str, ...], _frame: pd.DataFrame) -> pd.DataFrame:
    return _persisted(cube_store.cube_product(keys), _frame, lambda: cube.cube(_frame, keys), keys)


@st.cache_resource(max_entries=4, show_spinner=False)
def _raw_totals(token: str, _frame: pd.DataFrame) -> dict[str, float]:
    return cube_store.raw_totals(_frame)


def _persisted(
    product: str, frame: pd.DataFrame, build: Callable[[], pd.DataFrame], keys: tuple[str, ...] = ()
) -> pd.DataFrame:
    """`build()`, or its copy kept next to the data folder's campaign file by an earlier process
    (pipeline.campaigns.cube_store; checked against `frame`'s totals before it is used). Uploads and a
    backend's sums have no file: built in memory."""
    token = campaign_token(frame)
    if not token.startswith(DEMO_TOKEN_PREFIX):
        return build()
    dtypes = cube_store.key_dtypes(frame, keys)  # a cube's keys are the frame's categoricals; others round-trip
    totals = _raw_totals(token, frame)
    return cube_store.load_or_build(config.data_dir(), product, build, totals, dtypes, keys).frame


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _cut_cube(token: str, spec_key: str, _full: pd.DataFrame, _spec: CampaignFilter) -> pd.DataFrame:
    return cube.filtered_cube(_full, _spec)


def _undated_cube(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """The rows matching every filter except the dates, rolled up to platform x campaign x device x day, over the
    whole history. Cached per data set and filter, shared read-only. When the filter only restricts cube keys
    (platform, device, campaign), it is cut from the data set's full cube, built once (or read from disk)."""
    undated = replace(spec, start=None, end=None)
    token = campaign_token(frame)
    if cube.cube_serves(undated, frame.columns):
        return _cut_cube(token, repr(undated), _full_cube(token, cube.CUBE_KEYS, frame), undated)
    return _campaign_cube(token, repr(undated), frame, undated)


def _split_by_grain(spec: CampaignFilter) -> tuple[CampaignFilter, CampaignFilter]:
    """(what the raw rows must be filtered by: the columns below the cube's grain, extras and the dates widened by
    the anomaly window; what the cube is then cut by: its key columns)."""
    keys = {
        field: getattr(spec, field) for field, column in CAMPAIGN_FILTER_COLUMNS.items() if column in cube.CUBE_KEYS
    }
    start = None if spec.start is None else pd.Timestamp(spec.start) - pd.Timedelta(days=overview.ANOMALY_WINDOW_DAYS)
    raw = replace(spec, start=start, **dict.fromkeys(keys))
    return raw, CampaignFilter(**keys)


def campaign_cube(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """The rows matching every filter except the dates, rolled up to platform x campaign x device x day, covering
    at least ANOMALY_WINDOW_DAYS before `spec.start` to `spec.end` (the page cuts its period from it, the anomaly
    baselines look that far back). A filter on cube keys only (platform, device, campaign) is cut from the full
    cube over the whole history, so date changes are free. A filter below the cube's grain (content or campaign
    type) needs the raw rows: only those of that window are rolled up (about 28+30 of 700 days), once per type
    selection and dates, and platforms, devices and campaigns are then cut from that, not from the raw rows."""
    if cube.cube_serves(replace(spec, start=None, end=None), frame.columns):
        return _undated_cube(frame, spec)
    raw, keys = _split_by_grain(spec)
    return cube.filtered_cube(_campaign_cube(campaign_token(frame), repr(raw), frame, raw), keys)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _platform_days(token: str, spec_key: str, _frame: pd.DataFrame, _spec: CampaignFilter) -> pd.DataFrame:
    if cube.cube_serves(_spec, _frame.columns, cube.SUMMARY_KEYS):
        summary = cube.filtered_cube(_full_cube(token, cube.SUMMARY_KEYS, _frame), _spec)
    else:  # a campaign pick: the summary has no campaign column
        summary = _undated_cube(_frame, _spec)
    return cube.rollup(summary, [key for key in ("platform", "date") if key in summary.columns])


def platform_day_sums(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """Σ per platform and day of the rows matching every filter except the dates: the KPI tiles' and
    the trend's input. Cut from a small per-data-set summary unless campaigns are picked, so the tiles
    update within a fraction of a second even at 10M rows. Cached per filter, shared read-only."""
    undated = replace(spec, start=None, end=None)
    return _platform_days(campaign_token(frame), repr(undated), frame, undated)


@st.cache_resource(max_entries=4, show_spinner=False)
def _filter_choices(token: str, _frame: pd.DataFrame) -> pd.DataFrame:
    return _persisted(FILTER_CHOICES_PRODUCT, _frame, lambda: filter_options_frame(_frame))


def campaign_filter_choices(frame: pd.DataFrame) -> pd.DataFrame:
    """A small stand-in for `frame` with the same filter choices and date range (for
    ui.filters.campaign_filters), built once per data set: reading the choices off 10M rows
    on every rerun would cost about 0.1 s."""
    return _filter_choices(campaign_token(frame), frame)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _basis_flags(token: str, basis_key: str, _frame: pd.DataFrame, _basis: CampaignFilter) -> pd.DataFrame:
    return overview.anomaly_flags(_undated_cube(_frame, _basis))


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _windowed_flags(
    token: str, key: str, _frame: pd.DataFrame, _basis: CampaignFilter, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    # A day's flags look back ANOMALY_WINDOW_DAYS calendar days and no further, so the cube from that far before
    # `start` gives the same flags for [start, end] (tests/pipeline/campaigns/test_anomaly_window.py) from a
    # fraction of the rows: at 10M rows a device or type change no longer scores every day of two years.
    history = CampaignFilter(start=start - pd.Timedelta(days=overview.ANOMALY_WINDOW_DAYS), end=end)
    recent = apply_campaign_filter(campaign_cube(_frame, replace(_basis, start=start, end=end)), history)
    return overview.anomaly_flags(recent, start, end)


def anomaly_flags(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """pipeline.campaigns.overview.anomaly_flags of the rows matching `spec`, reported for its dates. Computed once
    per device and type selection (overview.anomaly_basis) and date range, from the days the range's baselines
    need, and cut per platform and campaign."""
    basis = overview.anomaly_basis(spec)
    token = campaign_token(frame)
    if spec.start is None or spec.end is None:
        flags = _basis_flags(token, repr(basis), frame, basis)
    else:
        start, end = pd.Timestamp(spec.start), pd.Timestamp(spec.end)
        flags = _windowed_flags(token, repr((basis, start, end)), frame, basis, start, end)
    return apply_campaign_filter(flags, spec).reset_index(drop=True)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner="Finding segments…")
def _segments(token: str, spec_key: str, _frame: pd.DataFrame, _spec: CampaignFilter) -> segments.SegmentResult:
    from pipeline.modeling import segments

    return segments.segment_campaigns(apply_campaign_filter(_frame, _spec))


def campaign_segments(frame: pd.DataFrame, spec: CampaignFilter) -> segments.SegmentResult:
    """pipeline.modeling.segments.segment_campaigns of the filtered rows, cached per data set and filter and
    shared read-only. Raises ValueError when too few units can be placed."""
    return _segments(campaign_token(frame), repr(spec), frame, spec)
