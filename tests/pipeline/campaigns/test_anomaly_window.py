"""The overview scores anomalies only from the days a date range's baselines need (ui/cached/campaigns.py): the flags
of [start, end] from the cube cut ANOMALY_WINDOW_DAYS before `start` equal those from the whole history."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.campaigns import cube, overview
from pipeline.filters import CampaignFilter, apply_campaign_filter


@pytest.mark.parametrize("days_before_end", [0, 20, 90], ids=["last-day", "last-3-weeks", "last-quarter"])
@pytest.mark.parametrize("length", [1, 28], ids=["one-day", "four-weeks"])
def test_flags_from_the_window_equal_flags_from_the_whole_history(
    demo: pd.DataFrame, days_before_end: int, length: int
) -> None:
    full = cube.cube(demo)
    end = full["date"].max() - pd.Timedelta(days=days_before_end)
    start = end - pd.Timedelta(days=length - 1)
    whole = overview.anomaly_flags(full, start, end)
    history = CampaignFilter(start=start - pd.Timedelta(days=overview.ANOMALY_WINDOW_DAYS), end=end)
    windowed = overview.anomaly_flags(apply_campaign_filter(full, history), start, end)
    assert len(whole) > 0 or length == 1  # four weeks of the demo always hold some flags
    pd.testing.assert_frame_equal(windowed, whole, check_exact=False, rtol=1e-9)


def test_a_shorter_history_would_change_the_flags(demo: pd.DataFrame) -> None:
    """The window is what the baselines need, not more than enough: one day less changes the result."""
    full = cube.cube(demo)
    end = full["date"].max()
    start = end - pd.Timedelta(days=27)
    whole = overview.anomaly_flags(full, start, end)
    short = CampaignFilter(start=start - pd.Timedelta(days=overview.ANOMALY_WINDOW_DAYS - 1), end=end)
    clipped = overview.anomaly_flags(apply_campaign_filter(full, short), start, end)
    assert not whole.equals(clipped)
