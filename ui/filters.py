"""Sidebar filters. State lives in st.session_state under its own keys and is mirrored
into st.query_params as plain strings, so a copied link reproduces the view."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from pipeline.filters import CampaignFilter, InfluencerFilter

LIST_SEPARATOR = "~"


def _options(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return []
    return sorted(str(v) for v in pd.unique(frame[column].dropna()))


def _from_url(key: str, options: Sequence[str], default: list[str]) -> list[str]:
    raw = st.query_params.get(key)
    if raw is None:
        return default
    wanted = [v for v in raw.split(LIST_SEPARATOR) if v]
    return [v for v in wanted if v in options]


def _multiselect(label: str, key: str, options: list[str], all_by_default: bool = True) -> tuple[str, ...] | None:
    """A multiselect whose state survives page switches and is mirrored into the URL."""
    if key not in st.session_state:
        st.session_state[key] = _from_url(key, options, list(options) if all_by_default else [])
    else:
        st.session_state[key] = [v for v in st.session_state[key] if v in options]
    placeholder = "All" if not all_by_default else "Choose options"
    chosen = st.sidebar.multiselect(label, options, key=key, placeholder=placeholder)
    st.query_params[key] = LIST_SEPARATOR.join(chosen)
    if not all_by_default and not chosen:
        return None
    return tuple(chosen)


def _date_range(key: str, lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    if key not in st.session_state:
        start, end = lo.date(), hi.date()
        raw = st.query_params.get(key)
        if raw and LIST_SEPARATOR in raw:
            try:
                a, b = (pd.Timestamp(x).date() for x in raw.split(LIST_SEPARATOR, 1))
                start, end = max(a, lo.date()), min(b, hi.date())
            except ValueError:
                pass
        st.session_state[key] = (start, end)
    value = st.sidebar.date_input("Date range", key=key, min_value=lo.date(), max_value=hi.date())
    if isinstance(value, tuple | list) and len(value) == 2:
        start, end = value
    else:  # the user has picked only the first day so far
        start = end = value[0] if isinstance(value, tuple | list) and value else lo.date()
    st.query_params[key] = f"{start}{LIST_SEPARATOR}{end}"
    return pd.Timestamp(start), pd.Timestamp(end)


def campaign_filters(frame: pd.DataFrame) -> CampaignFilter:
    """Date, platform, device, campaign, campaign type and content type widgets."""
    st.sidebar.header("Filters")
    if frame.empty:
        return CampaignFilter()
    start, end = _date_range("cf_dates", frame["date"].min(), frame["date"].max())
    return CampaignFilter(
        start=start,
        end=end,
        platforms=_multiselect("Platform", "cf_platform", _options(frame, "platform")),
        devices=_multiselect("Device", "cf_device", _options(frame, "device")),
        campaigns=_multiselect("Campaign", "cf_campaign", _options(frame, "campaign"), all_by_default=False),
        campaign_types=_multiselect("Campaign type", "cf_campaign_type", _options(frame, "campaign_type")),
        content_types=_multiselect("Content type", "cf_content_type", _options(frame, "content_type")),
    )


def influencer_filters(tables: dict[str, pd.DataFrame]) -> InfluencerFilter:
    """Platform, category, product, influencer type, gender and date widgets."""
    st.sidebar.header("Filters")
    influencers, tracking = tables["influencers"], tables["tracking"]
    if tracking.empty:
        return InfluencerFilter()
    start, end = _date_range("if_dates", tracking["date"].min(), tracking["date"].max())
    return InfluencerFilter(
        platforms=_multiselect("Platform", "if_platform", _options(influencers, "platform")),
        categories=_multiselect("Category", "if_category", _options(influencers, "category")),
        products=_multiselect("Product", "if_product", _options(tracking, "product")),
        influencer_types=_multiselect("Influencer type", "if_type", _options(influencers, "influencer_type")),
        genders=_multiselect("Gender", "if_gender", _options(influencers, "gender")),
        start=start,
        end=end,
    )
