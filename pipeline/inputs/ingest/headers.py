"""Header rows: normalising headers, telling the table kind, mapping headers to canonical names
(exact synonyms, then fuzzy guesses) and inferring the platform from an export's header fingerprint."""

from __future__ import annotations

import difflib
import re
import unicodedata

from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.vocabulary import (
    CAMPAIGN_ONLY_WORDS,
    CAMPAIGN_SYNONYMS,
    DERIVED_TOKENS,
    FILE_NAME_PLATFORMS,
    IGNORED,
    IGNORED_HEADERS,
    INFLUENCER_SYNONYMS,
    PLATFORM_SIGNATURES,
    SALES_SYNONYMS,
    SOURCE_COLUMN,
)
from pipeline.schemas import CAMPAIGN_MEASURES

# Exact campaign header names that a sales table never has: every campaign column but date, revenue and
# conversions (whose names "orders" and "purchases" a shop or GA4 uses too).
_CAMPAIGN_ONLY_HEADERS = frozenset(
    name
    for canonical, names in CAMPAIGN_SYNONYMS.items()
    if canonical not in ("date", "revenue", "conversions")
    for name in names
)
_CURRENCY_SUFFIX = re.compile(r"\s*[\[(]\s*(?:[A-Z]{3}|[$€£¥₹])\s*[\])]")


def normalize_header(header: object) -> str:
    """Lower case, no currency suffix like "(USD)", punctuation as single spaces: "Impr." -> "impr"."""
    text = _CURRENCY_SUFFIX.sub(" ", str(header).replace("\ufeff", ""))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")  # "Coût" -> "Cout"
    return re.sub(r"[^0-9a-z%]+", " ", text.lower()).strip()


def _is_derived(header: str, norm: str) -> bool:
    """Ratio columns such as ROAS, CTR, "Cost per result", "Cost / conv." or a "%" share."""
    return "%" in norm or "/" in header or bool(DERIVED_TOKENS & set(norm.split())) or norm in IGNORED_HEADERS


def snake_name(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(header).lower()).strip("_") or "column"


def detect_kind(headers: list[str]) -> str:
    """The table kind a header row belongs to: an influencer table, daily sales, else campaigns."""
    norms = {normalize_header(h) for h in headers}
    if {"user id", "group"} <= norms:
        return "tracking"
    if "total payout" in norms or {"influencer id", "basis", "rate"} <= norms:
        return "payouts"
    if "influencer id" in norms and norms & {"likes", "comments"}:
        return "posts"
    if norms & {"follower count", "followers"} and norms & {"id", "name"}:
        return "influencers"
    if _looks_like_sales(norms):
        return "sales"
    return "campaigns"


def _looks_like_sales(norms: set[str]) -> bool:
    """A date and a revenue column, and nothing only an ad platform reports (spend, clicks, a campaign...)."""
    if not (norms & set(SALES_SYNONYMS["date"]) and norms & set(SALES_SYNONYMS["revenue"])):
        return False
    words = {word for norm in norms for word in norm.split()}
    return not (norms & _CAMPAIGN_ONLY_HEADERS or words & CAMPAIGN_ONLY_WORDS)


def _synonyms_for(kind: str) -> dict[str, tuple[str, ...]]:
    if kind == "sales":
        return SALES_SYNONYMS
    return CAMPAIGN_SYNONYMS if kind == "campaigns" else INFLUENCER_SYNONYMS[kind]


def _contains_name(norm: str, name: str, canonical: str) -> bool:
    """A multi-word known name inside the header ("website purchases conversion value"), or a
    one-word measure name as its last word ("unique link clicks")."""
    if " " in name:
        return re.search(rf"\b{re.escape(name)}\b", norm) is not None
    return canonical in CAMPAIGN_MEASURES and norm.split()[-1:] == [name]


def _near_spelling(norm: str, name: str) -> bool:
    """Same number of words and each word a near spelling ("Impresions", "Amount spend")."""
    words, known = norm.split(), name.split()
    if len(words) != len(known) or norm == name:
        return False
    return all(_similar_word(a, b) for a, b in zip(words, known, strict=True))


def _similar_word(a: str, b: str) -> bool:
    """difflib ratio >= 0.8; the length bound first, because a wide file asks this thousands of times."""
    if 2 * min(len(a), len(b)) < 0.8 * (len(a) + len(b)):
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def _fuzzy_target(norm: str, synonyms: dict[str, tuple[str, ...]], taken: set[str]) -> str | None:
    """A guess for an unmatched header: it contains a known name, or is a near spelling of one."""
    open_names = [(c, n) for c, names in synonyms.items() if c not in taken for n in names]
    contained = [(len(n), c) for c, n in open_names if _contains_name(norm, n, c)]
    if contained:
        return max(contained)[1]
    return next((c for c, n in open_names if _near_spelling(norm, n)), None)


def map_headers(
    headers: list[str], kind: str, overrides: dict[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Source header -> canonical name, IGNORED, or a snake_case name for a kept extra column.

    Order: user overrides, ignored ratio columns, exact synonyms (highest priority wins a
    contested name), fuzzy guesses (returned as `uncertain`), then extras.
    """
    overrides = dict(overrides or {})
    unknown = [h for h in overrides if h not in headers]
    if unknown:
        raise IngestError(f"The column mapping names a column that is not in this file: {unknown[0]!r}.")
    synonyms = _synonyms_for(kind)
    mapping = {h: (IGNORED if t in ("", IGNORED) else t) for h, t in overrides.items()}
    taken = {t for t in mapping.values() if t != IGNORED}
    norms = {h: normalize_header(h) for h in headers if h not in mapping}
    for header, norm in norms.items():
        # Ratios (ROAS, "Average order value") are not additive: campaigns and sales recompute from sums.
        derived = kind in ("campaigns", "sales") and _is_derived(str(header), norm)
        if re.fullmatch(r"Unnamed: \d+", str(header)) or derived:
            mapping[header] = IGNORED
    exact = sorted(
        (names.index(norm), position, header, canonical)
        for position, (header, norm) in enumerate(norms.items())
        if header not in mapping
        for canonical, names in synonyms.items()
        if norm in names
    )
    losers = set()
    for _, _, header, canonical in exact:
        if header in mapping:
            continue
        if canonical in taken:
            losers.add(header)
            continue
        mapping[header] = canonical
        taken.add(canonical)
    uncertain = []
    for header, norm in norms.items():
        if header in mapping or header in losers:
            continue
        guess = _fuzzy_target(norm, synonyms, taken)
        if guess is not None:
            mapping[header] = guess
            taken.add(guess)
            uncertain.append(header)
    used = set(taken)
    for header in headers:
        if header not in mapping and kind == "sales":
            mapping[header] = IGNORED  # a day's sales are its date, revenue and orders; the rest is not kept
        elif header not in mapping:
            name, suffix = snake_name(header), 2
            while name in used or name in synonyms or (kind == "campaigns" and name == SOURCE_COLUMN):
                name, suffix = f"{snake_name(header)}_{suffix}", suffix + 1
            mapping[header] = name
            used.add(name)
    return {h: mapping[h] for h in headers}, uncertain


def infer_platform(headers: list[str], name: str = "") -> str | None:
    """Meta, TikTok or Google Ads from the export's header fingerprint, else from the file name."""
    norms = {normalize_header(h) for h in headers}
    scores = {platform: len(norms & signature) for platform, signature in PLATFORM_SIGNATURES.items()}
    best = max(scores, key=lambda p: scores[p])
    if scores[best] > 0:
        return best
    lowered = name.lower()
    return next((platform for key, platform in FILE_NAME_PLATFORMS.items() if key in lowered), None)
