"""Cached breakdowns the overview's cubes cannot serve: by a file's extra dimensions (age, gender, source...), which
no cube keeps. They are computed from the filtered rows; files that bring extra columns are uploads, small enough."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline.campaigns import cube
from pipeline.filters import CampaignFilter, apply_campaign_filter
from ui.cached.data import campaign_token


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _dimension_table(token: str, spec_key: str, dim: str, _frame: pd.DataFrame, _spec: CampaignFilter) -> pd.DataFrame:
    return cube.kpi_table(apply_campaign_filter(_frame, _spec), [dim])


def dimension_table(frame: pd.DataFrame, spec: CampaignFilter, dim: str) -> pd.DataFrame:
    """Sums and ratio-of-sums KPIs per value of `dim` over the rows matching `spec` (its dates included), cached
    per data set, filter and dimension and shared read-only."""
    return _dimension_table(campaign_token(frame), repr(spec), dim, frame, spec)
