"""The per-line planner's interval bounds get number formats (dollars, counts to one decimal), not raw floats."""

from __future__ import annotations

import pandas as pd

from ui.line_forecast import interval_formats


def test_interval_bounds_get_dollar_and_count_formats() -> None:
    frame = pd.DataFrame(columns=["spend", "impressions", "impressions_lo", "clicks_hi", "revenue_lo", "revenue_hi"])
    assert interval_formats(frame) == {
        "impressions_lo": "%,.1f",
        "clicks_hi": "%,.1f",
        "revenue_lo": "$%,.0f",
        "revenue_hi": "$%,.0f",
    }
