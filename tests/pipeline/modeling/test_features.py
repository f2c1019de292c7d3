"""Model inputs: no target-derived column among the features, and the weekly ROI rows."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.modeling import features


def test_feature_lists_contain_no_target_derived_column() -> None:
    assert features.leaking_columns(features.ROI_FEATURES) == []
    assert features.leaking_columns(features.FORECAST_FEATURES) == []
    for forbidden in ("revenue", "conversions", "clicks", "impressions", "roi", "roas", "ctr", "cvr", "cpa", "cpc"):
        assert forbidden in features.TARGET_DERIVED
    assert "spend" not in features.TARGET_DERIVED


def test_leak_guard_flags_outcome_columns() -> None:
    assert features.leaking_columns(["spend", "revenue", "month", "ctr", "engagement"]) == [
        "revenue",
        "ctr",
        "engagement",
    ]


def test_roi_rows_drop_zero_spend_and_use_ratios_of_sums() -> None:
    days = pd.date_range("2025-01-06", periods=7, freq="D")  # one Monday-to-Sunday week
    frame = pd.DataFrame(
        {
            "date": days,
            "platform": "Meta",
            "campaign": "A",
            "ad_set": "Broad",
            "campaign_type": "Traffic",
            "content_type": "Video",
            "device": "Mobile",
            "spend": [10.0, 30.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            "revenue": [40.0, 20.0, 999.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    rows = features.roi_frame(frame)
    assert len(rows) == 1
    assert rows.loc[0, "spend"] == 40.0
    assert rows.loc[0, "roi"] == pytest.approx((60.0 - 40.0) / 40.0)  # the zero-spend day's revenue is dropped
    assert rows.loc[0, "month"] == "01"
    only_paused = frame.assign(spend=0.0)
    assert features.roi_frame(only_paused).empty


def test_forecast_rows_carry_the_ad_set_the_unit_and_the_day() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-06", "2025-01-06"]),
            "platform": ["Meta", "TikTok"],
            "campaign": ["A", "B"],
            "ad_set": ["Broad", None],
            "campaign_type": ["Traffic", "Awareness"],
            "content_type": ["Video", "Image"],
            "device": ["Mobile", "Desktop"],
            "spend": [10.0, 20.0],
            "revenue": [30.0, 0.0],
        }
    )
    rows = features.forecast_frame(frame)
    assert "ad_set" in features.FORECAST_FEATURES  # known before launch, and it moves conversion rates
    assert list(rows["ad_set"]) == ["Broad", features.MISSING_CATEGORY]
    assert list(rows["unit"]) == ["A · Broad", f"B · {features.MISSING_CATEGORY}"]  # held out whole
    assert list(rows["date"]) == list(frame["date"])  # a day's lines are summed to calibrate plan totals
    assert "unit" not in features.FORECAST_FEATURES and "date" not in features.FORECAST_FEATURES
