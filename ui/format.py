"""Numbers for people: currency, thousands separators, percentages, "—" for undefined.

Every number the pages show is written here. What undefined means, "—", money and the decimals of small
values come from pipeline.text, which the CLI's sentences use too, so each rule is written once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from pipeline.text import MINUS, MISSING, display_decimals, money, undefined


def count(value: float | None) -> str:
    """12,345; "—" when undefined."""
    return MISSING if undefined(value) else f"{value:,.0f}"


def percent(value: float | None, decimals: int = 2) -> str:
    """A fraction as a percentage: 0.0123 -> 1.23%; "—" when undefined."""
    return MISSING if undefined(value) else f"{100 * value:.{decimals}f}%"


def multiple(value: float | None, decimals: int = 2) -> str:
    """A ratio such as ROAS: 2.345 -> 2.35x; "—" when undefined."""
    return MISSING if undefined(value) else f"{value:,.{decimals}f}x"


def signed_percent(value: float | None, decimals: int = 1) -> str:
    """A fractional change with its sign: 0.052 -> "+5.2%"; "—" when undefined."""
    return MISSING if undefined(value) else f"{100 * value:+.{decimals}f}%"


def precise_multiple(value: float | None) -> str:
    """2.35x, or 0.0079x for small values (never rounded to "0.01x"); "—" when undefined."""
    return multiple(value, display_decimals(value))


def p_value(value: float | None) -> str:
    """0.034, "< 0.001" for tiny values (more digits mean nothing), "—" when undefined."""
    if undefined(value):
        return MISSING
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


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
    "share": ("percent", 1),
    "roas": ("multiple", 2),
    "attributed_roas": ("multiple", 2),
    "iroas": ("multiple", 2),
    "judged_value": ("multiple", 2),
    "attributed_revenue": ("money", 0),
    "incremental_revenue": ("money", 2),  # can be negative: tables write it "-$172.35" (column_format)
    "incremental_share": ("percent", 0),
    "followers": ("count", 0),
    "likes_per_post": ("count", 0),
    "rank": ("count", 0),
    "shortlist_rank": ("count", 0),
    "creators": ("count", 0),
    "audience_engagement": ("percent", 2),
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
    "engagement_rate": "Engagement / reach",
    "roi": "ROI",
    "share": "Share of budget",
    "roas": "ROAS",
    "attributed_roas": "Attributed ROAS",
    "iroas": "iROAS",
    "judged_value": "Judged value",
    "judged_on": "Judged on",
    "evidence": "How sure",
    "attributed_revenue": "Attributed revenue",
    "incremental_revenue": "Incremental revenue",
    "incremental_share": "Incremental share",
    "followers": "Followers",
    "likes_per_post": "Likes per post",
    "rank": "Rank in file",
    "shortlist_rank": "#",
    "handle": "Handle",
    "creators": "Creators",
    "audience_engagement": "Engagement rate",
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


def column_format(metric: str) -> tuple[str, float] | None:
    """(st.column_config.NumberColumn format, multiplier for display) for a metric column, None if unknown.

    Rates are fractions in the data; tables show them as percentages, so they are multiplied by 100
    for display only (downloads keep the fractions).
    """
    style = METRIC_STYLES.get(metric)
    if style is None:
        return None
    kind, decimals = style
    if kind == "money" and decimals == 2:  # Streamlit's "dollar" puts the sign first: "-$172.35", not "$-172.35"
        return "dollar", 1.0
    if kind == "money":
        return f"$%,.{decimals}f", 1.0
    if kind == "percent":
        return f"%.{decimals}f%%", 100.0
    if kind == "multiple":
        return f"%.{decimals}fx", 1.0
    return "%,d", 1.0


# From here on a tile shows a compact value ("$12.3K"); the exact one is in the tile's tooltip.
# Six tiles share a row, and about six characters fit in one.
COMPACT_FROM = 10_000
_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))


def compact(value: float | None, prefix: str = "") -> str:
    """Three significant digits with K, M or B from 10,000 on: 12,345 -> 12.3K, 465,307 -> 465K,
    1,410,308 -> 1.41M; smaller values in full (9,876); negatives with a true minus before the prefix
    (−$12.3K); "—" when undefined."""
    if undefined(value):
        return MISSING
    sign, size = (MINUS if value <= -0.5 else ""), abs(value)  # −0.3 rounds to "$0", which has no sign
    if size < COMPACT_FROM:
        return f"{sign}{prefix}{size:,.0f}"
    scale, unit = next((s, u) for s, u in _UNITS if size >= s)
    mantissa = float(f"{size / scale:.3g}")
    if mantissa >= 1000 and unit != "B":  # 999,950 rounds to 1000K: say 1M
        scale, unit = next((s, u) for s, u in reversed(_UNITS) if s > scale)
        mantissa = float(f"{size / scale:.3g}")
    return f"{sign}{prefix}{mantissa:g}{unit}"


def tile_value(metric: str, value: float | None) -> str:
    """A metric as a KPI tile shows it: like metric_value, but big money and counts are compact."""
    style, _ = METRIC_STYLES.get(metric, ("count", 0))
    if style in ("money", "count") and not undefined(value) and abs(value) >= COMPACT_FROM:
        return compact(value, "$" if style == "money" else "")
    return metric_value(metric, value)


def multiple_intervals(lows: Iterable[float], highs: Iterable[float]) -> list[str]:
    """multiple_interval for each (low, high) pair, e.g. a table's interval column."""
    return [multiple_interval(low, high) for low, high in zip(lows, highs, strict=True)]


def multiple_interval(low: float | None, high: float | None) -> str:
    """An interval of multiples: "0.59x – 0.77x"; "—" when either end is undefined."""
    return MISSING if undefined(low) or undefined(high) else f"{precise_multiple(low)} – {precise_multiple(high)}"


def money_tick(value: float, step: float) -> str:
    """An axis tick on a money axis whose ticks are `step` apart: "$0", "$50K", "$1.25M", "−$2K", "$0.25".

    The unit (K, M, B) follows the tick's own size and the decimals the step's, so neighbouring ticks never
    round to the same text; trailing zeros are dropped."""
    size = abs(value)
    scale, unit = next(((s, u) for s, u in _UNITS if size >= s), (1.0, ""))
    decimals = _step_decimals(step / scale)
    if scale == 1.0 and decimals:  # under $1,000 with cents: always two decimals, "$0.20" not "$0.2"
        digits = f"{size:,.{max(decimals, 2)}f}"
    else:
        digits = f"{size / scale:,.{decimals}f}"
        digits = digits.rstrip("0").rstrip(".") if "." in digits else digits
    sign = MINUS if value < 0 and digits.strip("0.,") else ""
    return f"{sign}${digits}{unit}"


def _step_decimals(step: float, most: int = 6) -> int:
    """The fewest decimals that write `step` exactly (0.25 -> 2, 5 -> 0), at most `most`."""
    return next((d for d in range(most) if math.isclose(round(step, d), step, rel_tol=1e-9)), most)


def signed_share(value: float | None) -> str:
    """A relative difference as a whole signed percentage with a true minus: "+12%", "−5%", "0%"; "—" when
    undefined."""
    if undefined(value):
        return MISSING
    rounded = round(100 * value)
    return f"{'+' if rounded > 0 else MINUS if rounded < 0 else ''}{abs(rounded)}%"


# ---------------------------------------------------------------- estimated measures
# `estimated` below is pipeline.inputs.provenance.estimated_metrics(...): {metric: "revenue = conversions × $50.00,
# the assumed average order value"}; an empty mapping (measured data, the demo) changes nothing.
ESTIMATED_SUFFIX = " (estimated)"


def estimated_label(metric: str, estimated: Mapping[str, str]) -> str:
    """A metric's name, with " (estimated)" when it rests on an assumption: "Revenue (estimated)"."""
    return label(metric) + (ESTIMATED_SUFFIX if metric in estimated else "")


# A KPI tile fits about 13 characters of label beside its help icon: "Revenue (estimated)" was cut to "Revenue (esti…".
ESTIMATED_TILE_PREFIX = "Est. "


def estimated_tile_label(metric: str, estimated: Mapping[str, str]) -> str:
    """A KPI tile's label: "Est. revenue", "Est. ROAS" for an estimated metric (short enough for a tile), else the
    metric's name."""
    name = label(metric)
    if metric not in estimated:
        return name
    lowered = name[0].lower() + name[1:] if name[1:2].islower() else name  # "Revenue" -> "revenue", "ROAS" stays
    return ESTIMATED_TILE_PREFIX + lowered


def estimated_help(metric: str, estimated: Mapping[str, str]) -> str:
    """The sentence naming the assumption behind an estimated metric, "" for a measured one."""
    if metric not in estimated:
        return ""
    return f"Estimated, not measured: {estimated[metric]}."


def estimated_note(metrics: Iterable[str], estimated: Mapping[str, str]) -> str:
    """A chart-title suffix naming the assumptions behind the estimated ones among `metrics`, "" when none is:
    " (estimated: revenue = conversions × $50.00, the assumed average order value)"."""
    reasons = list(dict.fromkeys(estimated[m] for m in metrics if m in estimated))
    return f" (estimated: {'; '.join(reasons)})" if reasons else ""
