"""Numbers for people: currency, thousands separators, percentages, "—" for undefined."""

from __future__ import annotations

import math

MISSING = "—"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def money(value: float | None, decimals: int = 0, symbol: str = "$") -> str:
    """$12,345 (or $1.23 with decimals=2); "—" when undefined."""
    if _missing(value):
        return MISSING
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{decimals}f}"


def count(value: float | None) -> str:
    """12,345; "—" when undefined."""
    return MISSING if _missing(value) else f"{value:,.0f}"


def percent(value: float | None, decimals: int = 2) -> str:
    """A fraction as a percentage: 0.0123 -> 1.23%; "—" when undefined."""
    return MISSING if _missing(value) else f"{100 * value:.{decimals}f}%"


def multiple(value: float | None, decimals: int = 2) -> str:
    """A ratio such as ROAS: 2.345 -> 2.35x; "—" when undefined."""
    return MISSING if _missing(value) else f"{value:,.{decimals}f}x"


def signed_percent(value: float | None, decimals: int = 1) -> str:
    """A fractional change with its sign: 0.052 -> "+5.2%"; "—" when undefined."""
    return MISSING if _missing(value) else f"{100 * value:+.{decimals}f}%"


# How each metric reads: money (with decimals), count, percent (of a fraction) or multiple.
METRIC_STYLES: dict[str, tuple[str, int]] = {
    "spend": ("money", 0),
    "revenue": ("money", 0),
    "payout": ("money", 0),
    "profit": ("money", 0),
    "net_loss": ("money", 0),
    "cpc": ("money", 2),
    "cpa": ("money", 2),
    "cpm": ("money", 2),
    "cpe": ("money", 3),
    "aov": ("money", 2),
    "impressions": ("count", 0),
    "reach": ("count", 0),
    "clicks": ("count", 0),
    "conversions": ("count", 0),
    "engagement": ("count", 0),
    "orders": ("count", 0),
    "posts": ("count", 0),
    "likes": ("count", 0),
    "comments": ("count", 0),
    "influencers": ("count", 0),
    "follower_count": ("count", 0),
    "rows": ("count", 0),
    "ctr": ("percent", 2),
    "cvr": ("percent", 2),
    "engagement_rate": ("percent", 2),
    "roi": ("percent", 1),
    "roas": ("multiple", 2),
}
METRIC_LABELS: dict[str, str] = {
    "spend": "Spend",
    "revenue": "Revenue",
    "payout": "Payout",
    "profit": "Profit",
    "net_loss": "Net loss",
    "cpc": "CPC",
    "cpa": "CPA",
    "cpm": "CPM",
    "cpe": "CPE",
    "aov": "Avg order value",
    "impressions": "Impressions",
    "reach": "Reach",
    "clicks": "Clicks",
    "conversions": "Conversions",
    "engagement": "Engagement",
    "orders": "Orders",
    "posts": "Posts",
    "likes": "Likes",
    "comments": "Comments",
    "influencers": "Influencers",
    "follower_count": "Followers",
    "rows": "Rows",
    "ctr": "CTR",
    "cvr": "CVR",
    "engagement_rate": "Engagement rate (per reach)",
    "roi": "ROI",
    "roas": "ROAS",
}


def label(metric: str) -> str:
    """The human name of a metric or column: "cpa" -> "CPA", "ad_set" -> "Ad set"."""
    return METRIC_LABELS.get(metric, metric.replace("_", " ").capitalize())


def metric_value(metric: str, value: float | None) -> str:
    """A metric's value formatted the way it reads: "$1,234", "2.35%", "4.10x", "—"."""
    style, decimals = METRIC_STYLES.get(metric, ("count", 0))
    if style == "money":
        return money(value, decimals)
    if style == "percent":
        return percent(value, decimals)
    if style == "multiple":
        return multiple(value, decimals)
    return count(value)


def axis_title(metric: str) -> str:
    """An axis title with its unit: "CPA ($)", "CTR (%)", "ROAS (x)", "Clicks"."""
    style, _ = METRIC_STYLES.get(metric, ("count", 0))
    unit = {"money": " ($)", "percent": " (%)", "multiple": " (x)"}.get(style, "")
    return f"{label(metric)}{unit}"


# st.column_config number formats per style (sprintf-js; "percent" multiplies by 100).
_COLUMN_FORMATS = {
    ("money", 0): "dollar",
    ("money", 2): "dollar",
    ("money", 3): "$%.3f",
    ("count", 0): "%,d",
    ("percent", 1): "percent",
    ("percent", 2): "percent",
    ("multiple", 2): "%.2fx",
}


def column_format(metric: str) -> str | None:
    """The st.column_config.NumberColumn format for a metric column, None for unknown columns."""
    style = METRIC_STYLES.get(metric)
    return _COLUMN_FORMATS.get(style) if style else None
