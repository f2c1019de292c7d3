"""Filter specifications and applying them. Plain data, so they can live in a URL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import config
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES


@dataclass(frozen=True)
class CampaignFilter:
    """None means "no restriction"; an empty tuple selects nothing."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None  # inclusive day
    platforms: tuple[str, ...] | None = None
    devices: tuple[str, ...] | None = None
    campaigns: tuple[str, ...] | None = None
    campaign_types: tuple[str, ...] | None = None
    content_types: tuple[str, ...] | None = None
    # Selections in a file's extra dimensions (extra_dimensions): (column, chosen values) pairs sorted by column,
    # only for the restricted ones, so the spec stays hashable and its repr() stays a stable cache key.
    extras: tuple[tuple[str, tuple[str, ...]], ...] = ()


CAMPAIGN_FILTER_COLUMNS = {
    "platforms": "platform",
    "devices": "device",
    "campaigns": "campaign",
    "campaign_types": "campaign_type",
    "content_types": "content_type",
}


# An extra column is a dimension to filter and break down by when it has this many distinct values: one value
# filters nothing, and past 200 a multiselect is a list nobody reads (ids, free text).
MIN_EXTRA_VALUES = 2
MAX_EXTRA_VALUES = 200
# Whole-number columns are codes (the Facebook export's interest ids) unless their name says they count or sum
# something (approved_conversion, video_views), which makes them measures, not dimensions.
MEASURE_NAME_WORDS = (
    "conversion",
    "click",
    "impression",
    "spend",
    "spent",
    "cost",
    "revenue",
    "value",
    "amount",
    "count",
    "total",
    "reach",
    "view",
    "like",
    "comment",
    "share",
    "order",
    "purchase",
    "result",
    "lead",
    "install",
    "engagement",
    "sale",
    "budget",
    "rate",
    "roas",
)
# Never extra dimensions: the canonical columns and the roll-ups' row count.
RESERVED_COLUMNS = frozenset({*CAMPAIGN_DIMENSIONS, *CAMPAIGN_MEASURES, "rows"})


def _is_code_column(name: str, values: pd.Series) -> bool:
    """True for a column of whole numbers (int, or floats that are all whole) whose name is not a measure's."""
    if any(word in name.lower() for word in MEASURE_NAME_WORDS):
        return False
    if pd.api.types.is_integer_dtype(values.dtype):
        return True
    if pd.api.types.is_float_dtype(values.dtype):
        present = values.dropna().to_numpy(dtype="float64")
        return bool(present.size) and bool(np.all(np.isfinite(present) & (present == np.round(present))))
    return False


def _is_label_column(values: pd.Series) -> bool:
    dtype = values.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
    )


def extra_dimensions(frame: pd.DataFrame) -> list[str]:
    """The columns beyond the canonical ones that a user can filter and break down by, in the frame's order.

    Rule: a non-canonical column of text, categories or booleans, or of whole-number codes whose name does not
    name a measure (MEASURE_NAME_WORDS), with MIN_EXTRA_VALUES to MAX_EXTRA_VALUES distinct values (missing
    values not counted). The Facebook export's age, gender and interest qualify; ad_id (1,143 values) and
    approved_conversion (a count) do not; a stacked upload's `source` does once it holds two files."""
    out = []
    for name in frame.columns:
        if not isinstance(name, str) or name in RESERVED_COLUMNS:
            continue
        values = frame[name]
        if not (_is_label_column(values) or _is_code_column(name, values)):
            continue
        if MIN_EXTRA_VALUES <= len(distinct_values(values)) <= MAX_EXTRA_VALUES:
            out.append(name)
    return out


def extra_selection(choices: dict[str, tuple[str, ...] | None]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """CampaignFilter.extras from {column: chosen values or None (no restriction)}: sorted, unrestricted left out."""
    return tuple((column, tuple(values)) for column, values in sorted(choices.items()) if values is not None)


def _isin_text(values: pd.Series, wanted: Sequence[str]) -> pd.Series:
    """values whose text (as distinct_values writes it: str(value)) is one of `wanted`; missing values never are.
    One str() per distinct value, not per row."""
    codes, uniques = pd.factorize(values)
    chosen = set(wanted)
    keep = np.array([str(u) in chosen for u in uniques] + [False], dtype=bool)
    return pd.Series(keep[codes], index=values.index)  # code -1 (missing) reads the trailing False


def _isin(frame: pd.DataFrame, column: str, values: Sequence[str] | None) -> pd.Series:
    if values is None or column not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame[column].isin(list(values))


def distinct_values(values: pd.Series) -> list[str]:
    """The sorted distinct values of a column as strings (numbers in number order), missing values left out. For a
    categorical column only the categories in use, found by counting codes: O(n) with no string conversion of the
    rows (about 15 ms per 1M rows, where astype(str) takes about a second)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        used = np.bincount(codes[codes >= 0], minlength=len(values.cat.categories)) > 0
        return sorted(str(v) for v in values.cat.categories[used])
    present = pd.unique(values.dropna())
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return [str(v) for v in np.sort(present)]  # codes in number order: 2, 7, 10, not "10", "2", "7"
    return sorted(str(v) for v in present)


def date_mask(dates: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.Series:
    """start <= date < end + 1 day (end is an inclusive day)."""
    mask = pd.Series(True, index=dates.index)
    if start is not None:
        mask &= dates >= pd.Timestamp(start)
    if end is not None:
        mask &= dates < pd.Timestamp(end) + pd.Timedelta(days=1)
    return mask


def apply_campaign_filter(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """Rows of a campaign table that match every part of `spec`."""
    mask = date_mask(frame["date"], spec.start, spec.end)
    for field, column in CAMPAIGN_FILTER_COLUMNS.items():
        mask &= _isin(frame, column, getattr(spec, field))
    for column, values in spec.extras:
        if column in frame.columns:  # like the other filters: a column the table lacks restricts nothing
            mask &= _isin_text(frame[column], values)
    return frame[mask]


def filter_options_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A small frame with the same filter choices as a campaign frame: every distinct value of each filter column
    and the first and last date, so ui/filters.campaign_filters can build the sidebar from a few rows instead of
    scanning the data's. The file's extra dimensions (extra_dimensions) come along: text ones as categories,
    number codes as numbers, so they keep their number order and their text. Not data: its measures are absent
    and its rows are not real combinations."""
    extras = extra_dimensions(frame)
    columns = ["date", *CAMPAIGN_FILTER_COLUMNS.values(), *extras]
    present = [c for c in columns if c in frame.columns]
    values = {c: distinct_values(frame[c]) for c in present if c != "date"}
    first, last = frame["date"].min(), frame["date"].max()
    length = max([2, *(len(v) for v in values.values())])
    out = {"date": pd.to_datetime([first] + [last] * (length - 1)).astype("datetime64[ns]")}
    for column, distinct in values.items():
        if column in extras and pd.api.types.is_numeric_dtype(frame[column].dtype):
            codes = np.sort(pd.unique(frame[column].dropna()))
            out[column] = pd.Series(np.resize(codes, length), dtype=frame[column].dtype)
            continue
        # each value at least once; a column with no values shows the missing label only
        cycled = [distinct[i % len(distinct)] for i in range(length)] if distinct else [config.MISSING_LABEL] * length
        out[column] = pd.Categorical(cycled, categories=distinct or [config.MISSING_LABEL])
    return pd.DataFrame(out)


@dataclass(frozen=True)
class InfluencerFilter:
    """None means "no restriction"; an empty tuple selects nothing."""

    platforms: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    products: tuple[str, ...] | None = None
    influencer_types: tuple[str, ...] | None = None
    genders: tuple[str, ...] | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


def matching_influencer_ids(influencers: pd.DataFrame, spec: InfluencerFilter) -> pd.Series:
    """Ids of influencers whose platform, category, type and gender match."""
    mask = (
        _isin(influencers, "platform", spec.platforms)
        & _isin(influencers, "category", spec.categories)
        & _isin(influencers, "influencer_type", spec.influencer_types)
        & _isin(influencers, "gender", spec.genders)
    )
    return influencers.loc[mask, "id"]


def apply_influencer_filter(tables: dict[str, pd.DataFrame], spec: InfluencerFilter) -> dict[str, pd.DataFrame]:
    """The four influencer tables restricted to matching influencers, products and dates.

    Payouts are per influencer, so the product and date filters narrow tracking and
    posts but keep each matching influencer's whole payout.
    """
    ids = matching_influencer_ids(tables["influencers"], spec)
    tracking = tables["tracking"]
    tracking = tracking[
        tracking["influencer_id"].isin(ids)
        & _isin(tracking, "product", spec.products)
        & date_mask(tracking["date"], spec.start, spec.end)
    ]
    posts = tables["posts"]
    posts = posts[posts["influencer_id"].isin(ids) & date_mask(posts["date"], spec.start, spec.end)]
    return {
        "influencers": tables["influencers"][tables["influencers"]["id"].isin(ids)],
        "posts": posts,
        "tracking": tracking,
        "payouts": tables["payouts"][tables["payouts"]["influencer_id"].isin(ids)],
    }
