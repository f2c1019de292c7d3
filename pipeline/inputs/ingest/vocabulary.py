"""The words ingestion knows: header synonyms in seven languages, platform and device spellings, table kinds,
drop reasons, estimation defaults and the hostile-input limits. Plain data; imports nothing from ingest/."""

from __future__ import annotations

import re

KINDS = ("campaigns", "influencers", "posts", "tracking", "payouts", "sales")
IGNORED = "(ignored)"  # mapping target for columns that are not kept (ratios, "Reporting ends")
ALL_DEVICES = "All"  # a file without a device column covers every device
MONEY = ("spend", "revenue")
TOTAL_KEYS = ("spend", "impressions", "clicks", "conversions", "revenue")
KPI_RATIOS = ("ctr", "cvr", "cpc", "cpa", "cpm", "roas", "roi")
# The column naming each row's file when several exports are stacked (pipeline.inputs.combine); a file's own
# "Source" column (a UTM source, say) is kept under another name so the two never mix.
SOURCE_COLUMN = "source"

# Stated defaults for estimation; the user sees and can change them.
DEFAULT_ASSUMPTIONS: dict[str, float] = {
    "average_order_value": 50.0,  # revenue = conversions × AOV when the file has no revenue
    "cpm": 10.0,  # spend = impressions × CPM / 1000 when the file has no spend
    "report_date": 20250101.0,  # YYYYMMDD, the date given to every row of an undated file
}
# A sales file's rows that share a date are summed into one day; the rows folded into another are counted
# under this reason, so rows_read = rows_kept + Σdropped holds for sales too (their money is kept, in the sum).
SAME_DAY_REASON = "same day (summed)"
# Reasons in priority order: a row that fails several checks is counted under the first.
DROP_REASONS = (
    "empty row",
    "comment line",
    "summary row",
    "missing date",
    "unparseable date",
    "missing id",
    "group not 0 or 1",
    "unparseable number",
    "missing number",
    "number too large",
    "negative money",
    "negative number",
    "clicks > impressions",
    "unknown influencer type",
    "unknown payout basis",
    "duplicate id",
    SAME_DAY_REASON,
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
# The business's own daily sales (a shop's daily report, a GA4 export, any date + revenue table).
# Revenue names in priority order: a shop report's "Total sales" wins over its "Net sales" and "Gross sales".
SALES_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("date", "day", "order date", "sales date", "transaction date", "report date", "datum", "fecha", "jour"),
    "revenue": (
        "total sales",
        "total revenue",
        "revenue",
        "sales",
        "purchase revenue",
        "ecommerce revenue",
        "net sales",
        "net revenue",
        "gross sales",
        "gross revenue",
        "turnover",
        "umsatz",
        "chiffre d affaires",
        "ventas",
        "ingresos",
    ),
    "orders": (
        "orders",
        "purchases",
        "transactions",
        "ecommerce purchases",
        "total orders",
        "total purchases",
        "number of orders",
        "order count",
        "bestellungen",
        "commandes",
        "pedidos",
    ),
}
# Campaign-only words: a header holding one of them ("Amount spent", "Link clicks", "Campaign name") makes the
# file a campaign table even when it also has a date and a revenue column, so sales detection never steals one.
CAMPAIGN_ONLY_WORDS = frozenset(
    {"spend", "spent", "cost", "costs", "impr", "impression", "impressions", "imps", "click", "clicks", "reach"}
    | {"campaign", "adset", "adgroup", "ad", "conversions", "conversion", "conv", "results", "engagement"}
    | {"cpc", "cpm", "ctr", "roas", "kosten", "klicks", "clics", "gasto", "coste", "costo", "spesa", "kampagne"}
)

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
# Cells that say "no value": an explicit missing token is missing (NaN) in a number column, while an
# empty cell is zero there (Meta leaves zero cells empty on purpose). Both are blank for dates and names.
MISSING_TOKENS = ("-", "--", "—", "n/a", "na", "none", "null", "nan")
BLANK_TOKENS = ("", *MISSING_TOKENS)
# Currency symbols, codes and digit-group spaces a number cell may carry; cells.py strips them before parsing,
# reading.py before voting on the decimal separator.
STRIP_IN_NUMBERS = re.compile(r"[\s\u00a0\u202f'’$€£¥₹]|(?i:usd|eur|gbp|cad|aud|chf|jpy|inr|sek|nok|dkk|pln|brl|mxn)")


def _known_headers() -> frozenset[str]:
    names = {n for names in CAMPAIGN_SYNONYMS.values() for n in names} | IGNORED_HEADERS
    names |= {n for table in INFLUENCER_SYNONYMS.values() for names in table.values() for n in names}
    names |= {n for names in SALES_SYNONYMS.values() for n in names}
    return frozenset(names)


KNOWN_HEADERS = _known_headers()
