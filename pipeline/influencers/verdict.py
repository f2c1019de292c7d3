"""The incrementality verdict in words (the CLI prints it too, so it lives in pipeline/).

Reads the comparisons of pipeline.influencers.incrementality (imported for annotations only); in pipeline only
the CLI imports this.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pipeline.influencers.guardrails import FAIL
from pipeline.text import display_decimals, money

if TYPE_CHECKING:  # annotations only: keeps this module light to import
    from pipeline.influencers.guardrails import Guardrail
    from pipeline.influencers.statistics import GroupComparison


def dollars(value: float) -> str:
    """$2.30, −$0.0079 (enough decimals for small values, a true minus); "—" when undefined."""
    return money(value, display_decimals(value))


# ---------------------------------------------------------------- break-even and chance


def break_even_iroas(margin: float | None = None) -> float:
    """The iROAS at which the payout pays for itself: 1 on revenue (no margin set), 1/margin on gross profit
    (a 40% margin needs $2.50 of extra revenue per $1 of payout). `margin` is a fraction in (0, 1]."""
    if margin is None or not 0 < margin < 1:
        return 1.0
    return 1.0 / margin


def break_even_phrase(margin: float | None = None) -> str:
    """ "break-even on revenue", or "break-even on gross profit at a 40% margin"."""
    if margin is None or not 0 < margin < 1:
        return "break-even on revenue"
    return f"break-even on gross profit at a {margin:.0%} margin"


def _share_of_tests(p_value: float) -> str:
    if p_value < 0.001:
        return "fewer than 1 in 1,000"
    return f"{100 * p_value:.1f}%" if p_value < 0.1 else f"{100 * p_value:.0f}%"


def chance_phrase(p_value: float) -> str:
    """What the p-value means, in words: how often a gap at least this large would appear with no effect at all.
    (It is not the chance that the result is due to chance.)"""
    if not math.isfinite(p_value):
        return "there are too few users for a p-value"
    shown = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
    return (
        f"{shown}: if the influencers had no effect, a gap at least this large would turn up in "
        f"{_share_of_tests(p_value)} of tests like this one"
    )


# ---------------------------------------------------------------- the verdict


def verdict_tone(comparison: GroupComparison, margin: float | None = None) -> str:
    """ "good" when the whole iROAS interval is above break-even (break_even_iroas(margin)), "bad" when it is
    entirely below, else "neutral" (including when it is undefined)."""
    line = break_even_iroas(margin)
    if math.isfinite(comparison.iroas_ci_low) and comparison.iroas_ci_low > line:
        return "good"
    if math.isfinite(comparison.iroas_ci_high) and comparison.iroas_ci_high < line:
        return "bad"
    return "neutral"


def verdict(comparison: GroupComparison, margin: float | None = None) -> str:
    """A plain-language reading of iROAS, its interval, the p-value and break-even (on revenue with no
    margin, iROAS = 1; on gross profit at `margin`, iROAS = 1/margin)."""
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
    line, phrase = break_even_iroas(margin), break_even_phrase(margin)
    per_payout = f"{'$1' if line == 1 else dollars(line)} per $1 of payout"
    if math.isfinite(high) and high < line:
        sentence += f" The whole interval is below {per_payout}: below {phrase}."
    elif math.isfinite(low) and low > line:
        sentence += f" The whole interval is above {per_payout}: above {phrase}."
    elif math.isfinite(low):
        sentence += f" The interval includes {phrase} ({per_payout})."
    return sentence


def blocking_message(guardrails: tuple[Guardrail, ...]) -> str | None:
    """The warning that replaces the verdict when a guardrail failed (each failed check named, with its fix);
    None when none failed."""
    failed = [g for g in guardrails if g.status == FAIL]
    if not failed:
        return None
    checks = "\n".join(f"- {g.name}: {g.message}" for g in failed)
    return f"No verdict: this data cannot show what the influencers caused.\n\n{checks}"
