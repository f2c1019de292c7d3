"""Sidebar filters. State lives in st.session_state under its own keys and is mirrored
into st.query_params as plain strings, so a copied link reproduces the view.

Streamlit deletes a widget's session_state key when the page that owns the widget is not
rendered, so every value is also kept under "_keep_<key>" and the widget key is re-seeded
from that copy on each page. Precedence when seeding: kept copy, then URL, then default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from pipeline import kpis
from pipeline.filters import CampaignFilter, InfluencerFilter, distinct_values, extra_dimensions, extra_selection
from pipeline.inputs.ingest.vocabulary import ALL_DEVICES
from ui import format as fmt

LIST_SEPARATOR = "~"
KEEP_PREFIX = "_keep_"
CAMPAIGN_KEYS = ("cf_dates", "cf_platform", "cf_device", "cf_campaign", "cf_campaign_type", "cf_content_type")
# A file's extra dimensions (pipeline.filters.extra_dimensions: age, gender, source...) get one multiselect each,
# under this prefix and the column's name ("cf_x_age"), in the state and in the link like the fixed filters.
EXTRA_KEY_PREFIX = "cf_x_"
# Up to this many values an extra filter starts with every value picked; past it, a wall of chips would bury the
# sidebar, so it starts empty and an empty box means all (as the Campaign filter does).
MAX_EXTRA_CHIPS = 12
NO_DEVICE_NOTE = "Device: this file has no device column, so every row counts as “All”."
NO_DATES_NOTE = "Dates: this file has none, so the numbers cover the whole table."
INFLUENCER_KEYS = ("if_dates", "if_platform", "if_category", "if_product", "if_type", "if_gender")
# The link's kept dataset (ui.cached.data.follow_dataset_link): an id in the team's workspace, never a path; it is
# only ever looked up as a query parameter, and a longer value cannot be an id.
DATASET_PARAM = "dataset"
MAX_DATASET_ID_CHARS = 64


def _options(frame: pd.DataFrame, column: str) -> list[str]:
    return distinct_values(frame[column]) if column in frame.columns else []


def _mirror(key: str, encoded: str | None) -> None:
    """Write `encoded` to the URL, or drop the parameter when the value is the default."""
    if encoded is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != encoded:
        st.query_params[key] = encoded


def dataset_from_link() -> str | None:
    """The kept dataset's id the link names (cut to MAX_DATASET_ID_CHARS), or None when it names none."""
    raw = (st.query_params.get(DATASET_PARAM) or "").strip()
    return raw[:MAX_DATASET_ID_CHARS] or None


def mirror_dataset(dataset_id: str | None) -> None:
    """Put the kept dataset in use into the link (or take it out), so a shared link opens on the same data."""
    _mirror(DATASET_PARAM, dataset_id)


def _seed(key: str, from_url: object) -> object:
    """The value a widget should start this run with: live state, kept copy, then the URL's."""
    if key in st.session_state:
        return st.session_state[key]
    kept = st.session_state.get(KEEP_PREFIX + key)
    return kept if kept is not None else from_url


def _list_from_url(key: str, default: list[str]) -> list[str]:
    raw = st.query_params.get(key)
    if raw is None:
        return default
    return [value for value in raw.split(LIST_SEPARATOR) if value]


def _multiselect(label: str, key: str, options: list[str], all_by_default: bool = True) -> tuple[str, ...] | None:
    """A persistent, URL-mirrored multiselect. None means "no restriction" (all, or none picked
    where an empty box means all); an empty tuple selects nothing."""
    if not options:
        return None
    default = list(options) if all_by_default else []
    wanted = _seed(key, _list_from_url(key, default))
    valid = set(options)
    st.session_state[key] = [v for v in wanted if v in valid] if isinstance(wanted, list) else default
    placeholder = "All (none picked)" if not all_by_default else "None: pick at least one"
    chosen = list(st.sidebar.multiselect(label, options, key=key, placeholder=placeholder))
    st.session_state[KEEP_PREFIX + key] = chosen
    _mirror(key, None if sorted(chosen) == sorted(default) else LIST_SEPARATOR.join(chosen))
    if len(chosen) == len(options) or (not all_by_default and not chosen):
        return None
    return tuple(chosen)


def _dates_from_url(key: str, default: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    raw = st.query_params.get(key)
    if not raw or LIST_SEPARATOR not in raw:
        return default
    try:
        start, end = (pd.Timestamp(part).date() for part in raw.split(LIST_SEPARATOR, 1))
    except ValueError:  # a hand-edited link: fall back to the default range
        return default
    return start, end


def _clamp_range(value: object, lo: dt.date, hi: dt.date, default: tuple[dt.date, dt.date]) -> tuple[dt.date, ...]:
    """Keep a stored range inside the data's dates; the default range if it no longer overlaps."""
    if not isinstance(value, tuple | list) or not value:
        return default
    days = [day for day in value if isinstance(day, dt.date)][:2]
    if not days or days[0] > days[-1] or days[0] > hi or days[-1] < lo:
        return default
    return tuple(min(max(day, lo), hi) for day in days)


def _set_range(key: str, start: dt.date, end: dt.date) -> None:
    """Button callback: put the date widget on a preset range (runs before the rerun draws the widget)."""
    st.session_state[key] = (start, end)


def _range_presets(key: str, whole: tuple[dt.date, dt.date], recent: tuple[dt.date, dt.date]) -> None:
    """Two buttons under the date input: the default recent window and the whole range, one click each."""
    left, right = st.sidebar.columns(2)
    days = (recent[1] - recent[0]).days + 1
    left.button(f"Last {days} days", key=f"{key}_recent", on_click=_set_range, args=(key, *recent), width="stretch")
    right.button("Whole range", key=f"{key}_whole", on_click=_set_range, args=(key, *whole), width="stretch")


def _date_range(
    key: str, lo: pd.Timestamp, hi: pd.Timestamp, recent_days: int | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A persistent, URL-mirrored date range. It opens on the last `recent_days` days of the data (the whole
    range when None); a link with explicit dates opens those dates."""
    first, last = lo.date(), hi.date()
    recent = kpis.recent_period(lo, hi, recent_days) if recent_days else kpis.Period(lo, hi)
    default = (recent.start.date(), recent.end.date())
    st.session_state[key] = _clamp_range(_seed(key, _dates_from_url(key, default)), first, last, default)
    value = st.sidebar.date_input("Date range", key=key, min_value=first, max_value=last, format="YYYY-MM-DD")
    if recent_days:
        _range_presets(key, (first, last), default)
    days = list(value) if isinstance(value, tuple | list) else [value]
    start = days[0] if days else default[0]
    end = days[1] if len(days) > 1 else start  # the user has picked only the first day so far
    st.session_state[KEEP_PREFIX + key] = (start, end)
    _mirror(key, None if (start, end) == default else f"{start}{LIST_SEPARATOR}{end}")
    return pd.Timestamp(start), pd.Timestamp(end)


def _reset_button(keys: Sequence[str]) -> None:
    st.sidebar.button("Reset filters", key=f"reset_{keys[0]}", on_click=clear_filter_state, args=(keys,))


def _extra_keys_in_use() -> list[str]:
    """Every extra-dimension filter key this session or its link holds (they depend on the data, so no fixed list)."""
    names = [str(k).removeprefix(KEEP_PREFIX) for k in st.session_state.to_dict()] + list(st.query_params.keys())
    return sorted({name for name in names if name.startswith(EXTRA_KEY_PREFIX)})


def clear_filter_state(keys: Sequence[str] = CAMPAIGN_KEYS + INFLUENCER_KEYS) -> None:
    """Forget the chosen filters (widget state, kept copies and URL), e.g. after switching data. Clearing the
    campaign filters clears the extra-dimension ones too."""
    if set(keys) & set(CAMPAIGN_KEYS):
        keys = [*keys, *_extra_keys_in_use()]
    for key in keys:
        st.session_state.pop(key, None)
        st.session_state.pop(KEEP_PREFIX + key, None)
        if key in st.query_params:
            del st.query_params[key]


def has_devices(frame: pd.DataFrame) -> bool:
    """True when the campaign frame (or its filter choices) has a real device column, not just "All" everywhere."""
    return "device" in frame.columns and _options(frame, "device") != [ALL_DEVICES]


def _device_filter(frame: pd.DataFrame) -> tuple[str, ...] | None:
    """The Device multiselect, or, for a file without a device column (every row "All"), a note saying so
    instead of a filter with one choice."""
    options = _options(frame, "device")
    if options == [ALL_DEVICES]:
        st.sidebar.caption(NO_DEVICE_NOTE)
        return None
    return _multiselect("Device", "cf_device", options)


def _extra_filters(frame: pd.DataFrame) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """One persistent, link-mirrored multiselect per extra dimension of the file: every value picked by default
    when there are a few (gender, age bands), an empty box meaning all when there are many (interest codes)."""
    chosen = {}
    for column in extra_dimensions(frame):
        options = _options(frame, column)
        few = len(options) <= MAX_EXTRA_CHIPS
        chosen[column] = _multiselect(fmt.label(column), EXTRA_KEY_PREFIX + column, options, all_by_default=few)
    return extra_selection(chosen)


def campaign_filters(frame: pd.DataFrame, recent_days: int | None = None, dated: bool = True) -> CampaignFilter:
    """Date, platform, device, campaign, campaign type and content type widgets, then one per extra dimension the
    file brings (age, gender, source...). The dates open on the last `recent_days` days of the data, with the
    whole range one click away (the whole range when None). `dated=False` (a file without dates: its rows carry
    a placeholder day) shows no date range and leaves the dates unrestricted."""
    st.sidebar.header("Filters")
    if frame.empty:
        return CampaignFilter()
    if dated:
        start, end = _date_range("cf_dates", frame["date"].min(), frame["date"].max(), recent_days)
    else:
        st.sidebar.caption(NO_DATES_NOTE)
        start = end = None
    spec = CampaignFilter(
        start=start,
        end=end,
        platforms=_multiselect("Platform", "cf_platform", _options(frame, "platform")),
        devices=_device_filter(frame),
        campaigns=_multiselect("Campaign", "cf_campaign", _options(frame, "campaign"), all_by_default=False),
        campaign_types=_multiselect("Campaign type", "cf_campaign_type", _options(frame, "campaign_type")),
        content_types=_multiselect("Content type", "cf_content_type", _options(frame, "content_type")),
        extras=_extra_filters(frame),
    )
    _reset_button([*CAMPAIGN_KEYS, *(EXTRA_KEY_PREFIX + c for c in extra_dimensions(frame))])
    return spec


def influencer_filters(tables: dict[str, pd.DataFrame]) -> InfluencerFilter:
    """Platform, category, product, influencer type, gender and date widgets."""
    st.sidebar.header("Filters")
    influencers, tracking = tables["influencers"], tables["tracking"]
    if tracking.empty:
        return InfluencerFilter()
    start, end = _date_range("if_dates", tracking["date"].min(), tracking["date"].max())
    spec = InfluencerFilter(
        platforms=_multiselect("Platform", "if_platform", _options(influencers, "platform")),
        categories=_multiselect("Category", "if_category", _options(influencers, "category")),
        products=_multiselect("Product", "if_product", _options(tracking, "product")),
        influencer_types=_multiselect("Influencer type", "if_type", _options(influencers, "influencer_type")),
        genders=_multiselect("Gender", "if_gender", _options(influencers, "gender")),
        start=start,
        end=end,
    )
    _reset_button(INFLUENCER_KEYS)
    return spec


# ---------------------------------------------------------------- section choices in the link
# A page's single choices (granularity, breakdown, metric) live under their widget keys like the filters, so a
# copied link reopens the same view. Seed before drawing the widget (which then takes no default), mirror after.


def link_choice(key: str, options: Sequence[str], default: str) -> None:
    """Seed a single-choice widget's state: its live value, else the link's (when it is one of `options`), else
    `default`. Call before drawing the widget, and draw it without a default or index."""
    if key not in st.session_state:
        raw = st.query_params.get(key)
        st.session_state[key] = raw if raw in options else default


def mirror_choice(key: str, value: object, default: object) -> None:
    """Write a drawn single-choice widget's value into the link; the default (or no choice) drops it."""
    _mirror(key, None if value is None or value == default else str(value))


def link_flag(key: str) -> None:
    """Seed a toggle's state from the link ("1" is on), before drawing the toggle without a value."""
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get(key) == "1"


def mirror_flag(key: str, value: bool) -> None:
    """Write a toggle into the link: "1" when on, nothing when off (the default)."""
    _mirror(key, "1" if value else None)


# A whole-number choice from a hand-edited link is clamped to this: the JavaScript side holds integers exactly only
# up to 2**53, and no threshold on this dashboard needs more.
MAX_LINKED_NUMBER = 10**12


def link_number(key: str, default: int, minimum: int = 0) -> None:
    """Seed a whole-number input's state from the link (when it is a whole number from `minimum` on; clamped to
    MAX_LINKED_NUMBER), else `default`. Call before drawing the input, and draw it without a value."""
    if key not in st.session_state:
        try:
            value = int(st.query_params.get(key, ""))
        except ValueError:
            value = default
        st.session_state[key] = min(value, MAX_LINKED_NUMBER) if value >= minimum else default


def mirror_number(key: str, value: float, default: int) -> None:
    """Write a drawn whole-number input into the link; the default drops it."""
    _mirror(key, None if value == default else str(int(value)))
