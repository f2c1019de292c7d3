"""The incrementality verdict in words: break-even, chance bands, small values never rounded away."""

from __future__ import annotations

import dataclasses

import numpy as np

from pipeline.influencers import incrementality as inc
from pipeline.influencers import verdict


def base_comparison(**changes: float) -> inc.GroupComparison:
    base = inc.compare_groups(np.array([3.0, 1.0, 0.0, 4.0]), np.array([1.0, 0.0, 2.0]), 10.0)
    return dataclasses.replace(base, **changes)


def test_verdict_words() -> None:
    good = base_comparison(iroas=2.3, iroas_ci_low=1.8, iroas_ci_high=2.9, p_value=0.001)
    assert verdict.verdict(good) == (
        "Each $1 of payout brought $2.30 of extra revenue (95% interval $1.80–$2.90); very unlikely to be chance. "
        "The whole interval is above $1 per $1 of payout: above break-even."
    )
    assert verdict.verdict_tone(good) == "good"
    weak = base_comparison(iroas=0.5, iroas_ci_low=-0.4, iroas_ci_high=1.4, p_value=0.6)
    assert "could easily be chance" in verdict.verdict(weak) and "includes break-even" in verdict.verdict(weak)
    assert verdict.verdict_tone(weak) == "neutral"
    losing = base_comparison(iroas=0.0079, iroas_ci_low=0.004, iroas_ci_high=0.012, p_value=0.03)
    text = verdict.verdict(losing)
    assert "$0.0079" in text and "$0.01 " not in text and "below break-even" in text and "unlikely to be chance" in text
    assert verdict.verdict_tone(losing) == "bad"
    negative = base_comparison(iroas=-0.2, iroas_ci_low=-0.5, iroas_ci_high=0.1, p_value=0.15)
    assert "$0.20 less revenue" in verdict.verdict(negative) and "could be chance" in verdict.verdict(negative)
