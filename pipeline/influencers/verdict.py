"""The incrementality verdict in words (the CLI prints it too, so it lives in pipeline/).

Reads the comparisons of pipeline.influencers.incrementality (imported for annotations only); in pipeline only
the CLI imports this.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pipeline.text import display_decimals, money

if TYPE_CHECKING:  # annotations only: keeps this module light to import
    from pipeline.influencers.incrementality import GroupComparison


def dollars(value: float) -> str:
    """$2.30, -$0.0079 (enough decimals for small values); "—" when undefined."""
    return money(value, display_decimals(value))


# ---------------------------------------------------------------- the verdict


def chance_phrase(p_value: float) -> str:
    """How likely the difference is to be noise, in words, by p-value band."""
    if not math.isfinite(p_value):
        return "there are too few users to judge whether it is chance"
    if p_value < 0.01:
        return "very unlikely to be chance"
    if p_value < 0.05:
        return "unlikely to be chance"
    if p_value < 0.20:
        return "could be chance"
    return "could easily be chance"


def verdict_tone(comparison: GroupComparison) -> str:
    """ "good" when the whole iROAS interval is above break-even, "bad" when it is entirely below,
    else "neutral" (including when it is undefined)."""
    if math.isfinite(comparison.iroas_ci_low) and comparison.iroas_ci_low > 1:
        return "good"
    if math.isfinite(comparison.iroas_ci_high) and comparison.iroas_ci_high < 1:
        return "bad"
    return "neutral"


def verdict(comparison: GroupComparison) -> str:
    """A plain-language reading of iROAS, its interval, the p-value and break-even (iROAS = 1)."""
    if comparison.problem:
        return comparison.problem
    if not math.isfinite(comparison.iroas):
        return (
            f"Exposed users brought {dollars(comparison.incremental_revenue)} of extra revenue, but there is no "
            f"payout to compare it with, so iROAS is undefined; {chance_phrase(comparison.p_value)}."
        )
    low, high = comparison.iroas_ci_low, comparison.iroas_ci_high
    level = f"{comparison.confidence:.0%}"
    if comparison.iroas >= 0:
        head = f"Each $1 of payout brought {dollars(comparison.iroas)} of extra revenue"
    else:
        head = f"Each $1 of payout went with {dollars(-comparison.iroas)} less revenue than the control group"
    interval = (
        f" ({level} interval {dollars(low)}–{dollars(high)})" if math.isfinite(low) else " (no interval: too few users)"
    )
    sentence = f"{head}{interval}; {chance_phrase(comparison.p_value)}."
    if math.isfinite(high) and high < 1:
        sentence += " The whole interval is below $1 per $1 of payout: below break-even."
    elif math.isfinite(low) and low > 1:
        sentence += " The whole interval is above $1 per $1 of payout: above break-even."
    elif math.isfinite(low):
        sentence += " The interval includes break-even ($1 per $1 of payout)."
    return sentence
