"""Lining spend and sales up by day, the calendar controls, and the plain sentences for unusable data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.modeling import mmm_data
from pipeline.modeling.mmm_data import MmmInputError


def campaigns(days: int, start: str = "2025-01-01", platforms: tuple[str, ...] = ("Meta", "TikTok")) -> pd.DataFrame:
    dates = pd.date_range(start, periods=days, freq="D")
    rows = [
        {"date": d, "platform": p, "spend": 100.0 + i % 7, "revenue": 300.0}
        for i, d in enumerate(dates)
        for p in platforms
    ]
    return pd.DataFrame(rows)


def sales(days: int, start: str = "2025-01-01") -> pd.DataFrame:
    dates = pd.date_range(start, periods=days, freq="D")
    return pd.DataFrame({"date": dates, "revenue": np.linspace(1000, 2000, days), "orders": 10.0})


def test_black_friday_is_the_day_after_the_fourth_thursday() -> None:
    fridays = mmm_data.black_fridays(np.array([2024, 2025, 2026]))
    assert [f.strftime("%Y-%m-%d") for f in fridays] == ["2024-11-29", "2025-11-28", "2026-11-27"]
    dates = pd.date_range("2025-11-01", "2025-12-31", freq="D")
    peak = mmm_data.holiday_peak(dates)
    assert dates[int(np.argmax(peak))] == pd.Timestamp("2025-11-28") and peak.max() == pytest.approx(1.0)


def test_controls_have_a_trend_six_weekdays_and_the_holiday() -> None:
    dates = pd.date_range("2025-01-06", periods=14, freq="D")  # a Monday
    controls = mmm_data.calendar_controls(dates)
    assert list(controls.columns) == ["trend", *[f"weekday_{n}" for n in mmm_data.WEEKDAY_NAMES], "holiday_peak"]
    assert controls.iloc[0, 1:7].sum() == 0  # Monday is the reference day
    assert controls.iloc[:, 1:7].sum().tolist() == [2.0] * 6


def test_dataset_lines_spend_up_with_sales_and_adds_influencers() -> None:
    influencers = pd.Series([500.0, 250.0], index=pd.to_datetime(["2025-01-10", "2025-02-01"]), name="Influencers")
    dataset = mmm_data.build_dataset(campaigns(70), sales(80), influencers)
    assert len(dataset.dates) == 70 and dataset.channels == ["Meta", "TikTok", "Influencers"]
    assert dataset.spend["Influencers"].sum() == 750.0 and (dataset.spend >= 0).all().all()
    assert dataset.revenue.index.equals(dataset.dates)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: mmm_data.build_dataset(campaigns(70), None), "needs a sales table"),
        (lambda: mmm_data.build_dataset(campaigns(40), sales(40)), "at least 8 weeks"),
        (lambda: mmm_data.build_dataset(campaigns(70), sales(70, start="2026-01-01")), "do not overlap"),
        (
            lambda: mmm_data.build_dataset(
                campaigns(70).assign(spend=lambda f: f["spend"].where(f["platform"] == "Meta", 0.0)), sales(70)
            ),
            "TikTok has no spend",
        ),
        (
            lambda: mmm_data.build_dataset(campaigns(70), sales(70).drop(index=[10, 11])),
            "no revenue on 2 of the 70 days",
        ),
    ],
)
def test_unusable_data_gets_one_plain_sentence(build, expected: str) -> None:
    with pytest.raises(MmmInputError, match=expected) as caught:
        build()
    assert "\n" not in str(caught.value)
