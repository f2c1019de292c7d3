"""Influencer profile lists (rosters): who to consider for the next campaign, before any money was spent.

A roster is one row per creator with audience figures, like a public "top Instagram influencers" export:
rank, channel_info (the handle), followers "475.8m", avg_likes "8.7m", 60d_eng_rate "1.39%", country.
It has no payouts, orders or revenue, so it feeds a shortlist, never the ROAS views (ROAS_NEEDS says what does).

Parsing rules (every cell is text first):
    count:   "475.8m" -> 475,800,000 · "1.2k" -> 1,200 · "3.4b" -> 3.4e9 · "1,234" -> 1,234 (k/m/b in any case)
    percent: "1.39%" -> 0.0139 (a fraction) · a bare "1.39" is read the same way, as percentage points
    missing: "", "n/a", "na", "nan", "NaN%", "none", "null", "-", "—" -> NaN; anything else unreadable -> NaN,
             and counted per column
    likes per post = avg_likes when given, else total_likes / posts (NaN when posts is 0 or missing)
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.kpis import safe_divide

MISSING_TEXT = frozenset({"", "n/a", "na", "nan", "none", "null", "-", "—", "–"})
SUFFIXES = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}
_NUMBER = re.compile(r"^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([kmb]?)$")

# canonical column -> header spellings (lower case, spaces and dashes as underscores)
HEADERS: dict[str, tuple[str, ...]] = {
    "rank": ("rank", "ranking", "position"),
    "handle": ("channel_info", "handle", "username", "user_name", "account", "channel", "influencer", "name"),
    "influence_score": ("influence_score", "score"),
    "posts": ("posts", "post_count", "media_count"),
    "followers": ("followers", "follower_count", "followers_count", "audience"),
    "avg_likes": ("avg_likes", "average_likes", "likes_per_post", "avg_likes_per_post"),
    "engagement_rate": ("60d_eng_rate", "engagement_rate", "eng_rate", "engagement", "er"),
    "new_post_avg_likes": ("new_post_avg_like", "new_post_avg_likes"),
    "total_likes": ("total_likes", "likes_total"),
    "country": ("country", "location", "country_or_region"),
}
COUNT_COLUMNS = ("rank", "influence_score", "posts", "followers", "avg_likes", "new_post_avg_likes", "total_likes")
PERCENT_COLUMNS = ("engagement_rate",)
SHORTLIST_COLUMNS = ("rank", "handle", "followers", "engagement_rate", "likes_per_post", "country", "posts")
SORT_CHOICES = ("rank", "followers", "engagement_rate", "likes_per_post")
UNKNOWN_COUNTRY = "Unknown"
ROAS_NEEDS = (
    "A roster has audience figures only. The ROAS and incrementality views still need the four influencer tables: "
    "influencers (id, name, platform, category, gender, influencer_type, follower_count), posts (influencer_id, "
    "date, reach, likes, comments), tracking (user_id, influencer_id, date, orders, revenue, group 1 exposed / "
    "0 control) and payouts (influencer_id, total_payout)."
)


class RosterError(ValueError):
    """A file that is not a usable roster; str(exc) is one plain sentence."""


@dataclass(frozen=True)
class Roster:
    """A parsed roster: one row per creator, and what could not be read, per column."""

    frame: pd.DataFrame
    unreadable: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0


def _key(header: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(header).strip().lstrip("\ufeff").lower())


def parse_count(text: object) -> float:
    """A count as a number: "475.8m" -> 475_800_000.0, "1.2k" -> 1200.0, "3.4b" -> 3.4e9, "1,234" -> 1234.0;
    NaN for missing or unreadable text and for negative values (a count cannot be below zero)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text) if math.isfinite(text) and text >= 0 else math.nan
    cleaned = str(text).strip().lower().replace(",", "").replace(" ", "")
    match = _NUMBER.match(cleaned)
    if match is None:
        return math.nan
    return float(match.group(1)) * SUFFIXES[match.group(2)]


def parse_percent(text: object) -> float:
    """A percentage as a fraction: "1.39%" -> 0.0139, "1.39" -> 0.0139 (percentage points); NaN when missing,
    unreadable or negative."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text) / 100 if math.isfinite(text) and text >= 0 else math.nan
    cleaned = str(text).strip().replace(" ", "").removesuffix("%")
    try:
        value = float(cleaned)
    except ValueError:
        return math.nan
    return value / 100 if math.isfinite(value) and value >= 0 else math.nan


def _missing(text: object) -> bool:
    """Empty or a missing-value word, with or without a percent sign ("NaN%" in a real export)."""
    return str(text).strip().lower().removesuffix("%").strip() in MISSING_TEXT


def match_headers(headers: Sequence[object]) -> dict[str, str]:
    """source header -> canonical roster column, for the headers a roster uses (first spelling wins)."""
    mapping: dict[str, str] = {}
    for header in headers:
        key = _key(header)
        canonical = next((name for name, spellings in HEADERS.items() if key in spellings), None)
        if canonical is not None and canonical not in mapping.values():
            mapping[str(header)] = canonical
    return mapping


def looks_like_roster(headers: Sequence[object]) -> bool:
    """A handle and a follower column, and no column a campaign or tracking table has (spend, revenue, user id)."""
    found = set(match_headers(headers).values())
    keys = {_key(h) for h in headers}
    sales = {"spend", "cost", "revenue", "user_id", "group", "total_payout", "impressions", "clicks"}
    return {"handle", "followers"} <= found and not keys & sales


def is_roster_file(raw: bytes) -> bool:
    """Whether a CSV's header row is an influencer roster's (the campaign uploader points such a file elsewhere)."""
    try:
        header = pd.read_csv(io.BytesIO(raw), nrows=0, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return False
    return looks_like_roster(list(header.columns))


def _parse_column(column: pd.Series, parse: object) -> tuple[pd.Series, int]:
    """Parsed values and how many non-missing cells could not be read."""
    values = column.map(parse).astype("float64")
    unreadable = int((values.isna() & ~column.map(_missing)).sum())
    return values, unreadable


def read_roster(raw: bytes) -> Roster:
    """Parse a roster CSV (UTF-8, a byte-order mark allowed). Raises RosterError when it has no handle or
    follower column, or no rows."""
    try:
        table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RosterError(f"This file could not be read as a CSV roster ({str(exc).splitlines()[0]}).") from exc
    return parse_roster(table)


def parse_roster(table: pd.DataFrame) -> Roster:
    """A roster from a table of text cells (read_roster's input): canonical columns, parsed numbers, likes per
    post, and a rank (the file's, else by followers). Rows without a handle are dropped and counted."""
    if not looks_like_roster(list(table.columns)):
        raise RosterError(
            "This is not an influencer roster: it needs a handle (e.g. channel_info, username) and a followers "
            "column, and no spend, revenue or tracking columns."
        )
    renamed = table.rename(columns=match_headers(list(table.columns)))
    kept = renamed[[c for c in HEADERS if c in renamed.columns]]
    has_handle = ~kept["handle"].map(_missing)
    unreadable = {"handle": int((~has_handle).sum())} if (~has_handle).any() else {}
    kept = kept[has_handle].reset_index(drop=True)
    if kept.empty:
        raise RosterError("This roster has no rows with a handle.")
    out = pd.DataFrame({"handle": kept["handle"].astype(str).str.strip()})
    for name in (*COUNT_COLUMNS, *PERCENT_COLUMNS):
        if name in kept.columns:
            parse = parse_percent if name in PERCENT_COLUMNS else parse_count
            out[name], bad = _parse_column(kept[name], parse)
            if bad:
                unreadable[name] = bad
    country = kept["country"] if "country" in kept.columns else pd.Series("", index=kept.index)
    out["country"] = country.where(~country.map(_missing), UNKNOWN_COUNTRY).astype(str).str.strip()
    out["likes_per_post"] = _likes_per_post(out)
    if "rank" not in out.columns or out["rank"].isna().all():
        out["rank"] = out["followers"].rank(ascending=False, method="first", na_option="bottom")
    return Roster(frame=out, unreadable=unreadable, rows_read=len(table))


def _likes_per_post(frame: pd.DataFrame) -> pd.Series:
    """avg_likes where given, else total_likes / posts (NaN when posts is 0 or missing)."""
    derived = pd.Series(np.nan, index=frame.index, dtype="float64")
    if {"total_likes", "posts"} <= set(frame.columns):
        derived = pd.Series(safe_divide(frame["total_likes"], frame["posts"]), index=frame.index, dtype="float64")
    if "avg_likes" in frame.columns:
        return frame["avg_likes"].fillna(derived)
    return derived


def countries(roster: pd.DataFrame) -> list[str]:
    """The roster's countries by number of creators, most first ("Unknown" last)."""
    counts = roster["country"].value_counts()
    order = sorted(counts.index, key=lambda c: (c == UNKNOWN_COUNTRY, -counts[c], c))
    return list(order)


def shortlist(
    roster: pd.DataFrame,
    min_followers: float = 0.0,
    min_engagement: float = 0.0,
    chosen_countries: Sequence[str] | None = None,
    sort_by: str = "rank",
    limit: int | None = None,
) -> pd.DataFrame:
    """Creators with at least `min_followers` followers and `min_engagement` engagement rate (a fraction), in
    `chosen_countries` (None: all), ranked by `sort_by` (rank ascending; the others highest first; missing
    values last), with `shortlist_rank` from 1. A filter on a missing value excludes the creator."""
    if sort_by not in SORT_CHOICES:
        raise ValueError(f"sort_by must be one of {SORT_CHOICES}, got {sort_by!r}")
    keep = pd.Series(True, index=roster.index)
    if min_followers > 0:
        keep &= roster["followers"] >= min_followers
    if min_engagement > 0 and "engagement_rate" in roster.columns:
        keep &= roster["engagement_rate"] >= min_engagement
    if chosen_countries is not None:
        keep &= roster["country"].isin(list(chosen_countries))
    picked = roster[keep]
    if sort_by in picked.columns:
        picked = picked.sort_values(sort_by, ascending=sort_by == "rank", kind="stable", na_position="last")
    columns = [c for c in SHORTLIST_COLUMNS if c in picked.columns]
    out = picked[columns].reset_index(drop=True)
    out.insert(0, "shortlist_rank", np.arange(1, len(out) + 1))
    return out if limit is None else out.head(limit)


def roster_totals(frame: pd.DataFrame) -> dict[str, float]:
    """Creators, Σfollowers, and the audience-weighted engagement rate Σ(engagement rate · followers) / Σfollowers
    over creators with both figures (NaN when there are none)."""
    followers = frame["followers"]
    both = followers.notna() & frame.get("engagement_rate", pd.Series(np.nan, index=frame.index)).notna()
    weighted = (frame.loc[both, "engagement_rate"] * followers[both]).sum() if both.any() else np.nan
    return {
        "creators": float(len(frame)),
        "followers": float(followers.sum()),
        "engagement_rate": float(safe_divide(weighted, followers[both].sum())) if both.any() else math.nan,
    }
