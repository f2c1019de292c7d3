"""The incrementality verdict in words: break-even, chance bands, small values never rounded away."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipeline.influencers import incrementality as inc
from pipeline.influencers import verdict
from pipeline.influencers.statistics import GroupComparison


def base_comparison(**changes: float) -> GroupComparison:
    base = inc.compare_groups(np.array([3.0, 1.0, 0.0, 4.0]), np.array([1.0, 0.0, 2.0]), 10.0)
    return dataclasses.replace(base, **changes)


def test_verdict_words() -> None:
    good = base_comparison(iroas=2.3, iroas_ci_low=1.8, iroas_ci_high=2.9, p_value=0.001)
    assert verdict.verdict(good) == (
        "Each $1 of payout brought $2.30 of extra revenue (95% interval $1.80–$2.90); p = 0.001: if the influencers "
        "had no effect, a gap at least this large would turn up in 0.1% of tests like this one. "
        "The whole interval is above $1 per $1 of payout: above break-even on revenue."
    )
    assert verdict.verdict_tone(good) == "good"
    weak = base_comparison(iroas=0.5, iroas_ci_low=-0.4, iroas_ci_high=1.4, p_value=0.6)
    assert "60% of tests" in verdict.verdict(weak) and "includes break-even on revenue" in verdict.verdict(weak)
    assert verdict.verdict_tone(weak) == "neutral"
    losing = base_comparison(iroas=0.0079, iroas_ci_low=0.004, iroas_ci_high=0.012, p_value=0.03)
    text = verdict.verdict(losing)
    assert "$0.0079" in text and "$0.01 " not in text and "below break-even on revenue" in text and "3.0%" in text
    assert verdict.verdict_tone(losing) == "bad"
    negative = base_comparison(iroas=-0.2, iroas_ci_low=-0.5, iroas_ci_high=0.1, p_value=0.15)
    assert "$0.20 less revenue" in verdict.verdict(negative) and "15% of tests" in verdict.verdict(negative)


def test_chance_phrase_says_what_a_p_value_means() -> None:
    # It used to say "very unlikely to be chance": a p-value is not the chance that the result is chance.
    for p_value in (0.0001, 0.004, 0.03, 0.15, 0.6):
        phrase = verdict.chance_phrase(p_value)
        assert "if the influencers had no effect" in phrase and "unlikely to be chance" not in phrase
    assert verdict.chance_phrase(0.0001).startswith("p < 0.001") and "fewer than 1 in 1,000" in verdict.chance_phrase(
        0.0001
    )
    assert verdict.chance_phrase(float("nan")) == "there are too few users for a p-value"


def test_break_even_on_gross_profit_with_a_margin() -> None:
    # iROAS 2.0 (1.8–2.3): above break-even on revenue, below it on gross profit at a 40% margin (needs 2.5).
    result = base_comparison(iroas=2.0, iroas_ci_low=1.8, iroas_ci_high=2.3, p_value=0.001)
    assert verdict.break_even_iroas() == 1.0 and verdict.break_even_iroas(1.0) == 1.0
    assert verdict.break_even_iroas(0.4) == pytest.approx(2.5)
    assert verdict.verdict_tone(result) == "good" and verdict.verdict_tone(result, 0.4) == "bad"
    text = verdict.verdict(result, 0.4)
    assert text.endswith(
        "The whole interval is below $2.50 per $1 of payout: below break-even on gross profit at a 40% margin."
    )
    assert verdict.break_even_phrase(None) == verdict.break_even_phrase(1.0) == "break-even on revenue"
