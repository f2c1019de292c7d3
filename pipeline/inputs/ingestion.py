"""Loading real ad-platform exports and influencer tables into the canonical schemas.

`ingest()` takes a path or the raw bytes of an upload and returns an `IngestResult`: the
canonical frame plus an account of what was read, mapped, estimated and dropped, and why.

Decisions worth knowing:
- Rows are dropped only for a stated reason. Each row is counted once, under the first reason
  that applies, in `DROP_REASONS` order.
- conversions > clicks is kept, not dropped: Meta, TikTok and Google Ads count view-through and
  cross-device conversions, so more conversions than clicks is real (218 of the 1,143 rows of the
  public Facebook data set have it). clicks > impressions is impossible and is dropped.
- Blank measure cells mean zero (Meta leaves zero cells empty); blank dimension cells become "(none)".
- Summary rows are Google Ads "Total: ..." rows and Meta's total row, recognised as a row whose
  every dimension (campaign, ad set, device, ...) is blank; they are dropped as "summary row".
- Without a platform column the platform comes from the export's header fingerprint (Meta,
  TikTok, Google Ads; the Kaggle Facebook file is Meta), else the file name, else "(none)".
  Without a device column the device is "All".
- A missing revenue column is estimated as conversions × average_order_value, a missing spend as
  impressions × cpm / 1000, a missing date as report_date (written YYYYMMDD). The values used are
  returned in `assumptions` and the estimated columns in `estimated`.
- Ratio columns in exports (ROAS, CTR, CPC, cost per result, rates, shares) are ignored: KPIs
  are recomputed as ratios of sums.
- Hostile-input limits (found by tests/hostile): more than MAX_COLUMNS columns is refused; a number
  above MAX_NUMBER drops its row as "number too large" (two 1e308 cells made totals inf); an id that
  is not a whole number or overflows int64 is an "unparseable number"; dates outside pandas'
  nanosecond range (0001-01-01, 9999-12-31) are unparseable. Common German, French, Spanish, Italian,
  Portuguese and Dutch headers are recognised, accents ignored.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline import config
from pipeline.inputs.demo import tidy_campaigns
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES, INFLUENCER_TYPES, PAYOUT_BASES, SCHEMAS

KINDS = ("campaigns", "influencers", "posts", "tracking", "payouts")
IGNORED = "(ignored)"  # mapping target for columns that are not kept (ratios, "Reporting ends")
NONE_LABEL = config.MISSING_LABEL
ALL_DEVICES = "All"  # a file without a device column covers every device
MONEY = ("spend", "revenue")
TOTAL_KEYS = ("spend", "impressions", "clicks", "conversions", "revenue")
KPI_RATIOS = ("ctr", "cvr", "cpc", "cpa", "cpm", "roas", "roi")

# Stated defaults for estimation; the user sees and can change them.
DEFAULT_ASSUMPTIONS: dict[str, float] = {
    "average_order_value": 50.0,  # revenue = conversions × AOV when the file has no revenue
    "cpm": 10.0,  # spend = impressions × CPM / 1000 when the file has no spend
    "report_date": 20250101.0,  # YYYYMMDD, the date given to every row of an undated file
}
# Reasons in priority order: a row that fails several checks is counted under the first.
DROP_REASONS = (
    "empty row",
    "summary row",
    "missing date",
    "unparseable date",
    "missing id",
    "group not 0 or 1",
    "unparseable number",
    "number too large",
    "negative money",
    "negative number",
    "clicks > impressions",
    "unknown influencer type",
    "unknown payout basis",
    "duplicate id",
)

HEAD_BYTES = 65_536  # enough to find the header and sample a few hundred rows
HEADER_SEARCH_LINES = 40  # Google Ads puts 2 lines above the header; allow generous room
SAMPLE_ROWS = 200
# Real exports have tens of columns; thousands mean this is not a report, and mapping each header
# costs a fuzzy match, so a hostile header line must not buy seconds of CPU.
MAX_COLUMNS = 1_000
# No ad account or creator table reaches a quadrillion of anything; a bigger cell is a typo or an
# overflow, and two of them (1e308 + 1e308) would make every total inf.
MAX_NUMBER = 1e15
INT64_LIMIT = 2.0**63  # ids and counts beyond this cannot be stored as int64 without wrapping

# Normalised header -> canonical campaign column, in priority order (first present wins).
CAMPAIGN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "day",
        "by day",
        "reporting starts",
        "reporting start",
        "date start",
        "start date",
        "stat time day",
        "report date",
    ),
    "platform": ("platform", "channel", "network", "publisher platform", "ad platform"),
    "campaign": ("campaign", "campaign name", "xyz campaign id", "campaign id"),
    "ad_set": (
        "ad set",
        "ad set name",
        "adset",
        "adset name",
        "ad group",
        "ad group name",
        "adgroup",
        "adgroup name",
        "fb campaign id",
    ),
    "device": ("device", "impression device", "device type", "devices"),
    "campaign_type": ("campaign type", "objective", "campaign objective"),
    "content_type": ("content type", "ad format", "format", "creative type", "media type"),
    "spend": ("spend", "amount spent", "cost", "spent", "total spend", "ad spend", "media cost"),
    "impressions": ("impressions", "impr", "impression", "imps", "total impressions"),
    "reach": ("reach", "total reach"),
    "clicks": ("clicks", "link clicks", "clicks destination", "total clicks", "clicks all", "outbound clicks"),
    "conversions": (
        "conversions",
        "purchases",
        "total conversion",
        "total conversions",
        "website purchases",
        "orders",
        "results",
        "conv",
    ),
    "revenue": (
        "revenue",
        "purchases conversion value",
        "purchase conversion value",
        "website purchases conversion value",
        "conversion value",
        "conv value",
        "total complete payment value",
        "purchase value",
        "total revenue",
        "sales",
    ),
    "engagement": ("engagement", "engagements", "post engagement", "post engagements", "total engagement"),
}
# Localised exports (German, French, Spanish, Italian, Portuguese, Dutch), as normalize_header writes
# them (accents stripped). Without these a German file's "Kosten" was kept as an extra column while
# spend was silently estimated from impressions. English names keep priority: these come last.
FOREIGN_CAMPAIGN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("datum", "fecha", "jour", "dia", "giorno"),
    "platform": ("plattform", "plateforme", "plataforma", "piattaforma"),
    "campaign": ("kampagne", "kampagnenname", "campagne", "nom de la campagne", "campana", "campanha", "campagna"),
    "device": ("gerat", "appareil", "dispositivo", "apparaat"),
    "spend": ("kosten", "ausgaben", "cout", "couts", "depenses", "montant depense", "gasto", "coste", "costo", "spesa"),
    "impressions": ("impressionen", "impresiones", "impressoes", "impressioni", "vertoningen"),
    "clicks": ("klicks", "clics", "cliques", "clic", "clicchi", "klikken"),
    "conversions": ("konversionen", "conversiones", "conversoes", "conversioni", "achats", "compras", "acquisti"),
    "revenue": ("umsatz", "einnahmen", "conversionswert", "chiffre d affaires", "revenus", "ingresos", "receita"),
}
CAMPAIGN_SYNONYMS = {
    canonical: (*names, *FOREIGN_CAMPAIGN_SYNONYMS.get(canonical, ())) for canonical, names in CAMPAIGN_SYNONYMS.items()
}
IGNORED_HEADERS = frozenset(
    {"reporting ends", "reporting end", "date stop", "end date", "cost conv", "conv value cost", "value conv"}
)
# Tokens that mark a derived ratio column: we recompute ratios from sums instead.
DERIVED_TOKENS = frozenset(
    {"roas", "ctr", "cpc", "cpm", "cpa", "cpe", "cpv", "cpi", "rate", "frequency", "per", "avg", "average", "share"}
    | {"pro", "par", "por", "taux", "tasa", "tasso", "rapporto"}  # "Kosten pro Klick", "coût par clic", "taux de clics"
)
# Header fingerprints of each platform's export, for files without a platform column.
PLATFORM_SIGNATURES: dict[str, frozenset[str]] = {
    "Meta": frozenset(
        {
            "reporting starts",
            "reporting ends",
            "amount spent",
            "ad set name",
            "link clicks",
            "results",
            "purchases conversion value",
            "purchase roas return on ad spend",
            "impression device",
            "xyz campaign id",
            "fb campaign id",
        }
    ),
    "TikTok": frozenset(
        {"by day", "ad group name", "clicks destination", "total complete payment value", "stat time day"}
    ),
    "Google Ads": frozenset({"impr", "conv value", "avg cpc", "cost conv", "conv rate", "interactions", "conv"}),
}
FILE_NAME_PLATFORMS = {"meta": "Meta", "facebook": "Meta", "tiktok": "TikTok", "google": "Google Ads"}
PLATFORM_VALUES = {
    "meta": "Meta",
    "facebook": "Meta",
    "fb": "Meta",
    "meta ads": "Meta",
    "facebook ads": "Meta",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "tik tok": "TikTok",
    "tiktok ads": "TikTok",
    "google": "Google Ads",
    "google ads": "Google Ads",
    "adwords": "Google Ads",
    "google adwords": "Google Ads",
}
DEVICE_VALUES = {
    "mobile": "Mobile",
    "mobile phones": "Mobile",
    "mobile phone": "Mobile",
    "smartphone": "Mobile",
    "iphone": "Mobile",
    "android smartphone": "Mobile",
    "phone": "Mobile",
    "desktop": "Desktop",
    "computers": "Desktop",
    "computer": "Desktop",
    "tablet": "Tablet",
    "tablets": "Tablet",
    "ipad": "Tablet",
    "android tablet": "Tablet",
}

INFLUENCER_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "influencers": {
        "id": ("id", "influencer id"),
        "name": ("name", "influencer name", "creator name"),
        "platform": ("platform",),
        "category": ("category", "niche"),
        "gender": ("gender",),
        "influencer_type": ("influencer type", "type", "tier"),
        "follower_count": ("follower count", "followers"),
    },
    "posts": {
        "influencer_id": ("influencer id", "influencer", "creator id"),
        "platform": ("platform",),
        "date": ("date", "post date", "posted at"),
        "url": ("url", "post url", "link"),
        "caption": ("caption", "text"),
        "reach": ("reach",),
        "likes": ("likes",),
        "comments": ("comments",),
    },
    "tracking": {
        "source": ("source", "channel"),
        "campaign": ("campaign",),
        "influencer_id": ("influencer id", "influencer", "creator id"),
        "user_id": ("user id", "user", "customer id"),
        "product": ("product",),
        "date": ("date", "order date"),
        "orders": ("orders",),
        "revenue": ("revenue", "sales"),
        "group": ("group", "exposed", "treatment"),
    },
    "payouts": {
        "influencer_id": ("influencer id", "influencer", "creator id"),
        "basis": ("basis", "payout basis"),
        "rate": ("rate",),
        "orders": ("orders",),
        "total_payout": ("total payout", "payout"),
    },
}
INFLUENCER_IDS = {
    "influencers": ("id",),
    "posts": ("influencer_id",),
    "tracking": ("influencer_id", "user_id"),
    "payouts": ("influencer_id",),
}
INFLUENCER_INTS = ("id", "influencer_id", "user_id", "group", "follower_count")
ID_COLUMNS = frozenset({"id", "influencer_id", "user_id"})
UNIQUE_IDS = {"influencers": "id", "payouts": "influencer_id"}
GROUP_VALUES = {"1": 1, "0": 0, "exposed": 1, "treatment": 1, "test": 1, "control": 0, "holdout": 0}

SCALE_SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9}  # "475.8m" followers in influencer exports
BLANK_TOKENS = ("", "-", "--", "—", "n/a", "na", "none", "null", "nan")
_STRIP_IN_NUMBERS = re.compile(r"[\s\u00a0\u202f'’$€£¥₹]|(?i:usd|eur|gbp|cad|aud|chf|jpy|inr|sek|nok|dkk|pln|brl|mxn)")
_FAST_STRIP_DOT = re.compile(r"[,\s$€£¥₹]")
_FAST_STRIP_COMMA = re.compile(r"[.\s$€£¥₹]")
_CURRENCY_SUFFIX = re.compile(r"\s*[\[(]\s*(?:[A-Z]{3}|[$€£¥₹])\s*[\])]")
_TOTAL_CELL = re.compile(r"^\s*(?:grand\s+)?totals?\s*(?::|$)", re.IGNORECASE)
_FIELDS_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_ERROR = re.compile(r"EOF inside string starting at row (\d+)")


class IngestError(ValueError):
    """A file that cannot be used; str(exc) is one plain sentence naming the problem."""


@dataclass
class IngestResult:
    kind: str  # "campaigns" | "influencers" | "posts" | "tracking" | "payouts"
    frame: pd.DataFrame
    rows_read: int
    rows_kept: int
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> count
    mapping: dict[str, str] = field(default_factory=dict)  # source header -> canonical name (or IGNORED)
    estimated: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)  # campaigns only
    uncertain: list[str] = field(default_factory=list)  # source headers mapped by a fuzzy guess
    assumptions: dict[str, float] = field(default_factory=dict)  # values used for estimation


@dataclass
class _RawTable:
    frame: pd.DataFrame  # cells as parsed, source headers
    decimal_comma: bool


class _Drops:
    """Row drops by reason; each row is counted once, under the first reason added."""

    def __init__(self, rows: int) -> None:
        self.dropped = np.zeros(rows, dtype=bool)
        self.counts: dict[str, int] = {}

    def add(self, reason: str, mask: pd.Series | np.ndarray) -> None:
        new = np.asarray(mask, dtype=bool) & ~self.dropped
        count = int(new.sum())
        if count:
            self.counts[reason] = self.counts.get(reason, 0) + count
            self.dropped |= new


# --------------------------------------------------------------------------- headers and mapping


def normalize_header(header: object) -> str:
    """Lower case, no currency suffix like "(USD)", punctuation as single spaces: "Impr." -> "impr"."""
    text = _CURRENCY_SUFFIX.sub(" ", str(header).replace("\ufeff", ""))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")  # "Coût" -> "Cout"
    return re.sub(r"[^0-9a-z%]+", " ", text.lower()).strip()


def _is_derived(header: str, norm: str) -> bool:
    """Ratio columns such as ROAS, CTR, "Cost per result", "Cost / conv." or a "%" share."""
    return "%" in norm or "/" in header or bool(DERIVED_TOKENS & set(norm.split())) or norm in IGNORED_HEADERS


def _snake(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(header).lower()).strip("_") or "column"


def detect_kind(headers: list[str]) -> str:
    """The table kind a header row belongs to; anything that is not an influencer table is campaigns."""
    norms = {normalize_header(h) for h in headers}
    if {"user id", "group"} <= norms:
        return "tracking"
    if "total payout" in norms or {"influencer id", "basis", "rate"} <= norms:
        return "payouts"
    if "influencer id" in norms and norms & {"likes", "comments"}:
        return "posts"
    if norms & {"follower count", "followers"} and norms & {"id", "name"}:
        return "influencers"
    return "campaigns"


def _synonyms_for(kind: str) -> dict[str, tuple[str, ...]]:
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
        if re.fullmatch(r"Unnamed: \d+", str(header)) or (kind == "campaigns" and _is_derived(str(header), norm)):
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
        if header not in mapping:
            name, suffix = _snake(header), 2
            while name in used or name in synonyms:
                name, suffix = f"{_snake(header)}_{suffix}", suffix + 1
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


# --------------------------------------------------------------------------- cells


def _blank(text: pd.Series) -> pd.Series:
    return text.isna() | text.str.strip().str.lower().isin(BLANK_TOKENS)


def _per_value(series: pd.Series, test: Callable[[pd.Index], Any], missing: bool) -> np.ndarray:
    """A boolean test applied once per distinct value (cheap on big, repetitive columns)."""
    codes, uniques = pd.factorize(series)
    flags = np.asarray(test(pd.Index(uniques).astype("str")), dtype=bool) if len(uniques) else np.zeros(0, bool)
    return np.append(flags, missing)[codes]  # code -1 (missing) picks the trailing flag


def parse_numbers(series: pd.Series, decimal_comma: bool = False) -> tuple[pd.Series, pd.Series]:
    """Export cells to floats: thousands separators, decimal commas, currency, "%" (as a fraction),
    "(12.50)" as negative, "3.3k" / "475.8m" / "29.0b" scaled.

    Returns (values with blanks as 0 and junk as NaN, mask of non-blank cells that are not numbers).
    """
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64")
        bad = pd.Series(np.isinf(values.to_numpy()), index=series.index)
        return values.fillna(0.0).mask(bad, np.nan), bad
    text = series.astype("str")
    # Fast pass for the common shapes ("1,234.50", "$12"); only the leftovers take the full pass.
    fast = text.str.replace(_FAST_STRIP_COMMA if decimal_comma else _FAST_STRIP_DOT, "", regex=True)
    if decimal_comma:
        fast = fast.str.replace(",", ".", regex=False)
    values = pd.to_numeric(fast, errors="coerce").astype("float64")
    bad = pd.Series(False, index=series.index)
    rest = ~np.isfinite(values) & text.notna()  # "inf" parses but is no measure
    if rest.any():
        values[rest], bad[rest] = _parse_number_cells(text[rest], decimal_comma)
    return values.fillna(0.0).mask(bad, np.nan), bad


def _parse_number_cells(text: pd.Series, decimal_comma: bool) -> tuple[pd.Series, pd.Series]:
    """The full pass: blanks, "(negatives)", percent, k/m/b suffixes and currency codes."""
    blank = _blank(text)
    cleaned = text.str.replace("−", "-", regex=False).str.replace(_STRIP_IN_NUMBERS, "", regex=True)
    negative = cleaned.str.startswith("(") & cleaned.str.endswith(")")
    cleaned = cleaned.str.strip("()")
    percent = cleaned.str.endswith("%")
    cleaned = cleaned.str.rstrip("%")
    scale = cleaned.str.extract(r"([kKmMbB])$")[0].str.lower().map(SCALE_SUFFIXES).astype("float64").fillna(1.0)
    cleaned = cleaned.str.replace(r"(?<=\d)[kKmMbB]$", "", regex=True)
    if decimal_comma:
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce").astype("float64") * scale
    values = values.where(~percent.fillna(False), values / 100.0).where(~negative.fillna(False), -values)
    bad = ~blank & ~np.isfinite(values)
    return values.mask(blank, 0.0).mask(bad, np.nan), bad


def _guess_dayfirst(texts: pd.Index) -> bool:
    """True when some date like 31/01/2025 or 31.01.2025 shows the day first."""
    parts = texts.str.extract(r"^\s*(\d{1,2})[./-](\d{1,2})[./-]\d{2,4}").dropna().astype(int)
    if parts.empty:
        return False
    if (parts[0] > 12).any():
        return True
    if (parts[1] > 12).any():
        return False
    return bool(texts.str.contains(r"^\s*\d{1,2}\.\d{1,2}\.", regex=True).any())


def parse_dates(series: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """datetime64[ns] values, a mask of blank cells and a mask of unparseable cells.

    Parses each distinct value once (a year of days is 365 values, whatever the row count):
    ISO first, then any other layout with day-first decided from the values themselves.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dt.tz_localize(None) if series.dt.tz is not None else series
        out_of_range = values.notna() & ((values < pd.Timestamp.min) | (values > pd.Timestamp.max))
        values = values.mask(out_of_range).astype("datetime64[ns]")  # e.g. 9999-12-31 in a Parquet file
        return values, values.isna() & ~out_of_range, out_of_range
    codes, uniques = pd.factorize(series)
    texts = pd.Index(uniques).astype("str").str.strip()
    parsed = pd.Series(pd.NaT, index=range(len(texts)), dtype="datetime64[ns]")
    if len(texts):
        parsed = _to_datetime(texts, format="ISO8601")
        retry = parsed.isna().to_numpy() & ~texts.str.lower().isin(BLANK_TOKENS)
        if retry.any():
            again = _to_datetime(texts[retry], format="mixed", dayfirst=_guess_dayfirst(texts[retry]))
            parsed[retry] = again.to_numpy()
    # A trailing NaT / True that code -1 (a missing cell) picks: a column with no values at all has no uniques.
    unique_blank = np.append(np.asarray(texts.str.lower().isin(BLANK_TOKENS), dtype=bool), True)
    values = np.append(parsed.to_numpy(), np.datetime64("NaT", "ns"))[codes]
    blank = unique_blank[codes]
    result = pd.Series(values, index=series.index, dtype="datetime64[ns]")
    return result, pd.Series(blank, index=series.index), pd.Series(~blank & result.isna(), index=series.index)


def _to_datetime(texts: pd.Index, **options: Any) -> pd.Series:
    """pd.to_datetime on distinct texts, as naive datetime64[ns]; junk becomes NaT."""
    try:
        parsed = pd.to_datetime(texts, errors="coerce", utc=True, **options).tz_localize(None)
    except (ValueError, TypeError, OverflowError):
        return pd.Series(pd.NaT, index=range(len(texts)), dtype="datetime64[ns]")
    # pandas may parse 9999-12-31 or 0001-01-01 at a coarser unit; outside the ns range they are junk.
    in_range = (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)
    return pd.Series(parsed.where(in_range).astype("datetime64[ns]"), index=range(len(texts)))


def _normalize_values(series: pd.Series, vocabulary: dict[str, str]) -> pd.Series:
    """Known spellings to the closed vocabulary (per distinct value); blanks stay missing."""
    codes, uniques = pd.factorize(series)
    keys = pd.Index(uniques).astype("str").str.strip()
    mapped = [vocabulary.get(re.sub(r"[^0-9a-z]+", " ", k.lower()).strip(), k) for k in keys]
    if list(keys) == list(uniques) and mapped == list(keys):
        return series  # already canonical: skip rebuilding a big column
    values = np.array([*mapped, None], dtype=object)[codes]  # code -1 picks the trailing None
    return pd.Series(values, index=series.index, dtype="str")


def _matches_total(series: pd.Series) -> np.ndarray:
    """Cells like "Total: Account" or "Grand total"."""
    return _per_value(series, lambda texts: texts.str.match(_TOTAL_CELL), missing=False)


# --------------------------------------------------------------------------- reading bytes


def _read_source(source: str | Path | bytes, name: str) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        return bytes(source), name
    path = Path(source)
    if not path.is_file():
        raise IngestError(f"File not found: {path}.")
    return path.read_bytes(), name or path.name


def _reject_binary(raw: bytes, name: str) -> None:
    """Clear messages for the non-CSV files people actually upload."""
    if not raw.strip():
        raise IngestError("This file is empty.")
    lowered = name.lower()
    if raw.startswith(b"PK\x03\x04"):
        if b"[Content_Types].xml" in raw[:4096] or b"xl/" in raw[:4096] or lowered.endswith((".xlsx", ".xlsm")):
            raise IngestError("This file is an Excel workbook; save it as CSV and upload the CSV.")
        raise IngestError("This file is a ZIP archive; unzip it and upload the CSV inside.")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError("This file is an old Excel (.xls) workbook; save it as CSV and upload the CSV.")
    if raw.startswith(b"\x1f\x8b"):
        raise IngestError("This file is gzip-compressed; decompress it and upload the CSV inside.")
    if raw.startswith(b"%PDF"):
        raise IngestError("This file is a PDF document, not a CSV export.")


def _utf16_without_bom(head: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when half the bytes of a text file are NUL, else None."""
    sample = head[:2000]
    if len(sample) < 4:
        return None
    even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _to_utf8(raw: bytes) -> bytes:
    """The text as UTF-8 without a byte-order mark (UTF-16 is transcoded; UTF-8 passes through)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16").encode("utf-8")
    utf16 = _utf16_without_bom(raw)
    if utf16:
        return raw.decode(utf16, errors="replace").encode("utf-8")
    if b"\x00" in raw[:8192]:
        raise IngestError("This file is binary, not a CSV text export.")
    head = raw[:HEAD_BYTES]
    if len(raw) > HEAD_BYTES and b"\n" in head:
        head = head[: head.rfind(b"\n")]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace").encode("utf-8")
    return raw


def _reject_markup(head: str) -> None:
    start = head.lstrip().lower()
    if start.startswith(("<!doctype html", "<html")) or "<html" in start[:1000]:
        raise IngestError("This file is an HTML web page, not a CSV export; download the report as CSV.")
    if start.startswith("<?xml"):
        raise IngestError("This file is XML, not CSV; export the report as CSV.")
    if start.startswith(("{", "[")):
        raise IngestError("This file is JSON, not CSV; export the report as CSV.")


def _split_cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def _known_headers() -> frozenset[str]:
    names = {n for names in CAMPAIGN_SYNONYMS.values() for n in names} | IGNORED_HEADERS
    names |= {n for table in INFLUENCER_SYNONYMS.values() for names in table.values() for n in names}
    return frozenset(names)


KNOWN_HEADERS = _known_headers()


def find_header(lines: list[str]) -> tuple[int, str]:
    """(line index, delimiter) of the header row: the line naming the most known columns.

    Title lines above the header (Google Ads) name none. Without any known name, the first
    line split by whichever delimiter gives the most columns.
    """
    best = (0, 0, ",")  # (score, -index, delimiter)
    for delimiter in (",", ";", "\t"):
        for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
            cells = _split_cells(line, delimiter)
            score = sum(1 for cell in cells if normalize_header(cell) in KNOWN_HEADERS)
            if (score, -index) > best[:2]:
                best = (score, -index, delimiter)
    if best[0] > 0:
        return -best[1], best[2]
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    counts = {d: len(_split_cells(lines[first], d)) if lines else 0 for d in (",", ";", "\t")}
    return first, max(counts, key=lambda d: counts[d])


def _detect_decimal_comma(values: list[str], delimiter: str) -> bool:
    """Vote from sample number cells: "12,5" or "1.234,56" say comma; "12.50" or "1,234.5" say dot.

    Cells like "1,234" or "1.234" are ambiguous and do not vote; a tie goes to the comma for
    semicolon files (European exports), else to the dot.
    """
    comma = dot = 0
    for raw_value in values:
        value = _STRIP_IN_NUMBERS.sub("", raw_value).strip("()%kKmMbB")
        if not re.fullmatch(r"-?[\d.,]*\d", value or "x"):
            continue
        if "," in value and "." in value:
            comma, dot = (comma + 1, dot) if value.rfind(",") > value.rfind(".") else (comma, dot + 1)
        elif "," in value:
            comma += len(value.rsplit(",", 1)[1]) != 3 or value.count(",") == 0
        elif "." in value:
            tail = len(value.rsplit(".", 1)[1])
            dot += tail != 3 and value.count(".") == 1
            comma += value.count(".") > 1
    if comma != dot:
        return comma > dot
    return delimiter == ";"


def _parse_error(exc: Exception, header_line: int) -> IngestError:
    message = str(exc)
    fields = _FIELDS_ERROR.search(message)
    if fields:
        expected, line, saw = (int(g) for g in fields.groups())
        return IngestError(
            f"Line {line + header_line} has {saw} fields but the header has {expected}, "
            "so the delimiter or quoting is broken."
        )
    eof = _EOF_ERROR.search(message)
    if eof:
        return IngestError("The file has broken quoting: a quoted value is never closed.")
    return IngestError("The file could not be read as CSV: " + message.splitlines()[0].rstrip(".") + ".")


def _read_csv(
    body: bytes, delimiter: str, decimal_comma: bool, text_columns: list[str], header_line: int
) -> pd.DataFrame:
    options: dict[str, Any] = {
        "sep": delimiter,
        "decimal": "," if decimal_comma else ".",
        "dtype": dict.fromkeys(text_columns, "str"),
        "keep_default_na": False,  # a campaign called "NA" is a name, not a missing value
        "na_values": [""],
        "index_col": False,  # trailing delimiters must not turn the first column into the index
        "low_memory": False,
        "engine": "c",
    }
    try:
        try:
            return pd.read_csv(io.BytesIO(body), encoding="utf-8", **options)
        except UnicodeDecodeError:  # a non-UTF-8 byte beyond the sampled head
            return pd.read_csv(io.BytesIO(body), encoding="cp1252", **options)
    except pd.errors.EmptyDataError as exc:
        raise IngestError("This file is empty.") from exc
    except (pd.errors.ParserError, csv.Error) as exc:
        raise _parse_error(exc, header_line) from exc


def _reject_extra_fields(cells: list[str], sample: list[list[str]], header_index: int) -> None:
    """Rows with more fields than the header lose data; only an empty trailing field is harmless."""
    for position, row in enumerate(sample):
        if len(row) > len(cells) and not (len(row) == len(cells) + 1 and not row[-1].strip()):
            raise IngestError(
                f"Line {header_index + position + 2} has {len(row)} fields but the header has {len(cells)}, "
                "so the delimiter or quoting is broken."
            )


def _reject_too_many_columns(count: int) -> None:
    if count > MAX_COLUMNS:
        raise IngestError(
            f"This file has {count:,} columns, more than the {MAX_COLUMNS:,} any ad export has, so it is not a report."
        )


def read_table(raw: bytes, name: str = "", kind: str | None = None) -> _RawTable:
    """The cells of a CSV-like export (or Parquet file) below its header row."""
    if raw.startswith(b"PAR1"):
        try:
            frame = pd.read_parquet(io.BytesIO(raw))
        except (OSError, ValueError) as exc:
            raise IngestError("This Parquet file could not be read.") from exc
        _reject_too_many_columns(len(frame.columns))
        categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
        return _RawTable(frame.astype(dict.fromkeys(categorical, "str")), decimal_comma=False)
    _reject_binary(raw, name)
    text = _to_utf8(raw)
    head = text[:HEAD_BYTES]
    if len(text) > HEAD_BYTES and b"\n" in head:
        head = head[: head.rfind(b"\n") + 1]
    byte_lines = head.split(b"\n")
    lines = [line.decode("utf-8", errors="replace").rstrip("\r") for line in byte_lines]
    _reject_markup("\n".join(lines[:20]))
    header_index, delimiter = find_header(lines)
    cells = _split_cells(lines[header_index], delimiter)
    _reject_too_many_columns(len(cells))
    mapping, _ = map_headers(cells, kind or detect_kind(cells))
    sample = [_split_cells(line, delimiter) for line in lines[header_index + 1 : header_index + 1 + SAMPLE_ROWS]]
    measure_positions = [i for i, h in enumerate(cells) if mapping[h] in CAMPAIGN_MEASURES]
    values = [row[i] for row in sample for i in measure_positions if i < len(row)]
    decimal_comma = _detect_decimal_comma(values, delimiter)
    text_columns = [h for h in cells if mapping[h] in CAMPAIGN_DIMENSIONS and h.strip()]
    _reject_extra_fields(cells, sample, header_index)
    offset = sum(len(line) + 1 for line in byte_lines[:header_index])
    frame = _read_csv(text[offset:], delimiter, decimal_comma, text_columns, header_index)
    return _RawTable(frame, decimal_comma)


# --------------------------------------------------------------------------- campaigns


def _assumptions(overrides: dict[str, float] | None) -> dict[str, float]:
    values = dict(DEFAULT_ASSUMPTIONS)
    for key, value in (overrides or {}).items():
        if key not in DEFAULT_ASSUMPTIONS:
            raise IngestError(f"Unknown assumption {key!r}; use one of {', '.join(DEFAULT_ASSUMPTIONS)}.")
        if not np.isfinite(value) or value < 0:
            raise IngestError(f"The assumption {key} must be a non-negative number, got {value!r}.")
        values[key] = float(value)
    return values


def _report_date(value: float) -> pd.Timestamp:
    try:
        return pd.to_datetime(str(int(value)), format="%Y%m%d")
    except (ValueError, OverflowError) as exc:
        raise IngestError("The report_date assumption must be a date written as YYYYMMDD, e.g. 20250101.") from exc


def _summary_rows(frame: pd.DataFrame, text_columns: list[str]) -> np.ndarray:
    """Google Ads "Total: ..." rows, and Meta's total row (every dimension blank)."""
    summary = np.zeros(len(frame), dtype=bool)
    for column in text_columns:
        summary |= _matches_total(frame[column])
    dims = [c for c in CAMPAIGN_DIMENSIONS if c != "date" and c in frame.columns]
    if "campaign" in frame.columns:
        all_blank = np.ones(len(frame), dtype=bool)
        for column in dims:
            all_blank &= _per_value(frame[column], lambda t: t.str.strip() == "", missing=True)
        summary |= all_blank
    return summary


def _campaign_measures(frame: pd.DataFrame, decimal_comma: bool, drops: _Drops) -> None:
    """Parse measures in place and drop junk, negative and impossible rows (in DROP_REASONS order)."""
    bad = np.zeros(len(frame), dtype=bool)
    for measure in CAMPAIGN_MEASURES:
        if measure in frame.columns:
            frame[measure], junk = parse_numbers(frame[measure], decimal_comma)
            bad |= junk.to_numpy()
    drops.add("unparseable number", bad)
    present = [m for m in CAMPAIGN_MEASURES if m in frame.columns]
    drops.add("number too large", (frame[present].abs() > MAX_NUMBER).any(axis=1))
    money = [m for m in MONEY if m in frame.columns]
    counts = [m for m in CAMPAIGN_MEASURES if m in frame.columns and m not in MONEY]
    drops.add("negative money", (frame[money] < 0).any(axis=1) if money else np.zeros(len(frame), bool))
    drops.add("negative number", (frame[counts] < 0).any(axis=1) if counts else np.zeros(len(frame), bool))
    if {"clicks", "impressions"} <= set(frame.columns):
        drops.add("clicks > impressions", frame["clicks"] > frame["impressions"])


def _estimate_measures(frame: pd.DataFrame, values: dict[str, float]) -> tuple[list[str], dict[str, float]]:
    """Fill a missing revenue or spend column from stated assumptions."""
    estimated, used = [], {}
    if "revenue" not in frame.columns and "conversions" in frame.columns:
        frame["revenue"] = frame["conversions"] * values["average_order_value"]
        estimated.append("revenue")
        used["average_order_value"] = values["average_order_value"]
    if "spend" not in frame.columns and "impressions" in frame.columns:
        frame["spend"] = frame["impressions"] * values["cpm"] / 1000.0
        estimated.append("spend")
        used["cpm"] = values["cpm"]
    return estimated, used


def _campaign_dimensions(frame: pd.DataFrame, platform: str | None) -> None:
    """Canonical platform and device spellings; constant fills where the file has no such column."""
    fallback = platform or NONE_LABEL
    if "platform" in frame.columns:
        frame["platform"] = _normalize_values(frame["platform"], PLATFORM_VALUES).fillna(fallback)
    else:
        frame["platform"] = fallback
    if "device" in frame.columns:
        frame["device"] = _normalize_values(frame["device"], DEVICE_VALUES)
    else:
        frame["device"] = ALL_DEVICES
    for column in ("campaign", "ad_set"):
        if column not in frame.columns:
            frame[column] = NONE_LABEL


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """The boundary check; cleaning already removed bad rows, so a failure here is reported, not hidden."""
    columns = {name: column for name, column in schema.columns.items() if name in frame.columns}
    checks = schema.checks if {"clicks", "impressions"} <= set(frame.columns) or schema.name != "campaigns" else []
    subset = pa.DataFrameSchema(columns, checks=checks, strict=False, name=schema.name)
    try:
        return subset.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        case = exc.failure_cases.iloc[0]
        raise IngestError(
            f"The cleaned {schema.name} table failed the check {case['check']} on column {case['column']}."
        ) from exc


def _order_columns(frame: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    canonical = [c for c in (*CAMPAIGN_DIMENSIONS, *CAMPAIGN_MEASURES) if c in frame.columns]
    extras = [c for c in dict.fromkeys(mapping.values()) if c in frame.columns and c not in canonical]
    return frame[canonical + extras]


def _numeric_extras(frame: pd.DataFrame, extras: list[str], decimal_comma: bool) -> None:
    """Extra columns made only of numbers ("1,234", "45%") become numeric; others stay text."""
    for column in extras:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        sample = series.dropna().head(SAMPLE_ROWS)
        if sample.empty or not _digits_or_blanks(sample) or parse_numbers(sample, decimal_comma)[1].any():
            continue
        values, junk = parse_numbers(series, decimal_comma)
        if not junk.any():
            frame[column] = values.mask(_blank(series.astype("str")))


def _digits_or_blanks(sample: pd.Series) -> bool:
    """A cheap pre-check in plain Python: a column with a cell holding no digit (a name) is text, and
    skips the vectorised number parse, whose fixed cost dominates on a wide file."""
    return all(any(c.isdigit() for c in str(v)) or str(v).strip().lower() in BLANK_TOKENS for v in sample)


def _ingest_campaigns(
    table: _RawTable, mapping: dict[str, str], name: str, assumptions: dict[str, float] | None
) -> dict[str, Any]:
    values = _assumptions(assumptions)
    raw = table.frame
    kept = {h: c for h, c in mapping.items() if c != IGNORED}
    if not set(kept.values()) & set(CAMPAIGN_MEASURES):
        shown = ", ".join(str(h) for h in list(raw.columns)[:8])
        raise IngestError(
            "No recognisable measure columns (spend, impressions, clicks, conversions, revenue, reach or "
            f"engagement) were found; the header has: {shown}."
        )
    frame = raw[list(kept)].set_axis(list(kept.values()), axis=1)
    drops = _Drops(len(frame))
    drops.add("empty row", raw.isna().all(axis=1))
    text_columns = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    drops.add("summary row", _summary_rows(frame, text_columns))
    estimated: list[str] = []
    used: dict[str, float] = {}
    if "date" in frame.columns:
        frame["date"], blank, bad = parse_dates(frame["date"])
        drops.add("missing date", blank)
        drops.add("unparseable date", bad)
    else:
        frame["date"] = _report_date(values["report_date"])
        estimated.append("date")
        used["report_date"] = values["report_date"]
    _campaign_measures(frame, table.decimal_comma, drops)
    if drops.dropped.any():
        frame = frame.loc[~drops.dropped].reset_index(drop=True)
    more, more_used = _estimate_measures(frame, values)
    estimated += more
    used |= more_used
    _campaign_dimensions(frame, infer_platform(list(raw.columns), name))
    extras = [c for c in frame.columns if c not in CAMPAIGN_DIMENSIONS and c not in CAMPAIGN_MEASURES]
    _numeric_extras(frame, extras, table.decimal_comma)
    frame = _order_columns(frame, mapping)
    if len(frame):
        frame = tidy_campaigns(_validate(frame, SCHEMAS["campaigns"]))
    platforms = sorted(str(p) for p in frame["platform"].unique()) if len(frame) else []
    return {"frame": frame, "drops": drops, "estimated": estimated, "assumptions": used, "platforms": platforms}


# --------------------------------------------------------------------------- influencer tables


def _ingest_influencer_kind(kind: str, table: _RawTable, mapping: dict[str, str]) -> dict[str, Any]:
    schema = SCHEMAS[kind]
    required = [name for name, column in schema.columns.items() if not column.nullable]
    kept = {h: c for h, c in mapping.items() if c != IGNORED}
    missing = [c for c in required if c not in kept.values()]
    if missing:
        raise IngestError(f"This looks like a {kind} table but it has no {', '.join(missing)} column.")
    raw = table.frame
    frame = raw[list(kept)].set_axis(list(kept.values()), axis=1)
    drops = _Drops(len(frame))
    drops.add("empty row", raw.isna().all(axis=1))
    if "date" in frame.columns:
        frame["date"], blank, bad = parse_dates(frame["date"])
        drops.add("missing date", blank)
        drops.add("unparseable date", bad)
    for column in INFLUENCER_IDS[kind]:
        drops.add("missing id", frame[column].isna())
    if "group" in frame.columns:
        frame["group"] = _group_values(frame["group"])
        drops.add("group not 0 or 1", frame["group"].isna())
    numeric = [
        n
        for n, c in schema.columns.items()
        if str(c.dtype).startswith(("int", "float")) and n in frame and n != "group"
    ]
    bad = np.zeros(len(frame), dtype=bool)
    for column in numeric:
        frame[column], junk = parse_numbers(frame[column], table.decimal_comma)
        bad |= junk.to_numpy()
    drops.add("unparseable number", bad | _bad_integers(frame))
    amounts = [n for n in numeric if n not in ID_COLUMNS]  # long numeric ids are legitimate
    drops.add("number too large", (frame[amounts].abs() > MAX_NUMBER).any(axis=1))
    drops.add("negative number", (frame[numeric] < 0).any(axis=1))
    _influencer_vocabularies(kind, frame, drops)
    frame = frame.loc[~drops.dropped].reset_index(drop=True)
    for column in INFLUENCER_INTS:
        if column in frame.columns:
            frame[column] = frame[column].round().astype("int64")
    frame = frame[[*[c for c in schema.columns if c in frame], *[c for c in frame if c not in schema.columns]]]
    if len(frame):
        frame = _validate(frame, schema)
    return {"frame": frame, "drops": drops, "estimated": [], "assumptions": {}, "platforms": []}


def _bad_integers(frame: pd.DataFrame) -> np.ndarray:
    """Ids that are not whole numbers (1.5 would silently become 1), and integer cells that overflow int64."""
    bad = np.zeros(len(frame), dtype=bool)
    for column in INFLUENCER_INTS:
        if column in frame.columns and pd.api.types.is_numeric_dtype(frame[column]):
            values = frame[column].to_numpy(dtype="float64")
            with np.errstate(invalid="ignore"):
                bad |= np.abs(values) >= INT64_LIMIT
                if column in ID_COLUMNS:  # "475.8m" followers is a rounded count, not an id
                    bad |= np.isfinite(values) & (values % 1 != 0)
    return bad


def _group_values(series: pd.Series) -> pd.Series:
    """0/1, also from words like exposed/control; anything else is NaN and dropped."""
    text = series.astype("str").str.strip().str.lower().str.replace(r"\.0$", "", regex=True)
    return text.map(GROUP_VALUES).astype("float64").where(series.notna())


def _influencer_vocabularies(kind: str, frame: pd.DataFrame, drops: _Drops) -> None:
    if kind == "influencers":
        frame["influencer_type"] = frame["influencer_type"].astype("str").str.strip().str.title()
        drops.add("unknown influencer type", ~frame["influencer_type"].isin(INFLUENCER_TYPES))
    if kind == "payouts":
        frame["basis"] = frame["basis"].astype("str").str.strip().str.lower()
        drops.add("unknown payout basis", ~frame["basis"].isin(PAYOUT_BASES))
    if kind in UNIQUE_IDS:
        column = UNIQUE_IDS[kind]
        drops.add("duplicate id", frame[column].where(~drops.dropped).duplicated() & frame[column].notna())


# --------------------------------------------------------------------------- public API


def ingest(
    source: str | Path | bytes,
    *,
    name: str = "",
    mapping_overrides: dict[str, str] | None = None,
    assumptions: dict[str, float] | None = None,
    kind: str | None = None,
) -> IngestResult:
    """Load an export (path or uploaded bytes) into its canonical table, accounting for every row.

    `name` is the upload's file name (used for format hints and platform inference);
    `mapping_overrides` maps source headers to canonical names (or "" / IGNORED to drop);
    `assumptions` changes the estimation values in DEFAULT_ASSUMPTIONS; `kind` forces the table kind.
    Raises IngestError with one sentence when the file cannot be used at all.
    """
    if kind is not None and kind not in KINDS:
        raise IngestError(f"Unknown table kind {kind!r}; use one of {', '.join(KINDS)}.")
    raw, name = _read_source(source, name)
    table = read_table(raw, name, kind)
    headers = [str(h) for h in table.frame.columns]
    table.frame.columns = headers
    if table.frame.empty:
        raise IngestError("This file has a header row but no data rows.")
    kind = kind or detect_kind(headers)
    mapping, uncertain = map_headers(headers, kind, mapping_overrides)
    if kind == "campaigns":
        parts = _ingest_campaigns(table, mapping, name, assumptions)
    else:
        parts = _ingest_influencer_kind(kind, table, mapping)
    frame, drops = parts["frame"], parts["drops"]
    if frame.empty:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in drops.counts.items())
        raise IngestError(f"No usable rows: all {len(table.frame)} rows were dropped ({reasons}).")
    return IngestResult(
        kind=kind,
        frame=frame,
        rows_read=len(table.frame),
        rows_kept=len(frame),
        dropped=dict(drops.counts),
        mapping=mapping,
        estimated=parts["estimated"],
        platforms=parts["platforms"],
        uncertain=uncertain,
        assumptions=parts["assumptions"],
    )


def campaign_totals(frame: pd.DataFrame) -> dict[str, float]:
    """Σ spend, impressions, clicks, conversions and revenue (NaN for a column the frame lacks)."""
    return {key: float(frame[key].sum()) if key in frame.columns else float("nan") for key in TOTAL_KEYS}
