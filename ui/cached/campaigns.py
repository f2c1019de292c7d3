"""Cached cuts of a campaign frame: cubes, per-platform day sums, filter choices, anomaly flags and segments."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from pipeline.campaigns import cube, overview
from pipeline.filters import CampaignFilter, apply_campaign_filter, filter_options_frame
from ui.cached.data import campaign_token

if TYPE_CHECKING:  # scikit-learn loads only when a page needs segments
    from pipeline.modeling import segments


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _campaign_cube(token: str, spec_key: str, _frame: pd.DataFrame, _spec: CampaignFilter) -> pd.DataFrame:
    return cube.cube(apply_campaign_filter(_frame, _spec))


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
    token = campaign_token(frame)
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
    return _platform_days(campaign_token(frame), repr(undated), frame, undated)


@st.cache_resource(max_entries=4, show_spinner=False)
def _filter_choices(token: str, _frame: pd.DataFrame) -> pd.DataFrame:
    return filter_options_frame(_frame)


def campaign_filter_choices(frame: pd.DataFrame) -> pd.DataFrame:
    """A small stand-in for `frame` with the same filter choices and date range (for
    ui.filters.campaign_filters), built once per data set: reading the choices off 10M rows
    on every rerun would cost about 0.1 s."""
    return _filter_choices(campaign_token(frame), frame)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _basis_flags(token: str, basis_key: str, _frame: pd.DataFrame, _basis: CampaignFilter) -> pd.DataFrame:
    return overview.anomaly_flags(campaign_cube(_frame, _basis))


def anomaly_flags(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """pipeline.campaigns.overview.anomaly_flags of the rows matching `spec`, reported for its dates. Computed once
    per device and type selection (overview.anomaly_basis) and cut per platform, campaign and date."""
    basis = overview.anomaly_basis(spec)
    flags = _basis_flags(campaign_token(frame), repr(basis), frame, basis)
    return apply_campaign_filter(flags, spec).reset_index(drop=True)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner="Finding segments…")
def _segments(token: str, spec_key: str, _frame: pd.DataFrame, _spec: CampaignFilter) -> segments.SegmentResult:
    from pipeline.modeling import segments

    return segments.segment_campaigns(apply_campaign_filter(_frame, _spec))


def campaign_segments(frame: pd.DataFrame, spec: CampaignFilter) -> segments.SegmentResult:
    """pipeline.modeling.segments.segment_campaigns of the filtered rows, cached per data set and filter and
    shared read-only. Raises ValueError when too few units can be placed."""
    return _segments(campaign_token(frame), repr(spec), frame, spec)
