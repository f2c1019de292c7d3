"""Campaign cubes: fast roll-up, the cube and its cuts by a filter, computable metrics, partial periods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import kpis
from pipeline.campaigns import cube
from pipeline.filters import CampaignFilter, apply_campaign_filter

# --------------------------------------------------------------------------- rollup


@pytest.mark.parametrize(
    "by",
    [["platform"], ["campaign"], ["platform", "device"], ["campaign", "date"], list(cube.CUBE_KEYS), ["date"]],
)
def test_rollup_matches_the_kpi_engine(demo: pd.DataFrame, by: list[str]) -> None:
    expected = kpis.sum_measures(demo, by)
    got = cube.rollup(demo, by)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_categorical=False, rtol=1e-12)


def test_rollup_of_a_rollup_still_counts_source_rows(demo: pd.DataFrame) -> None:
    day_cube = cube.cube(demo)
    by_platform = cube.rollup(day_cube, ["platform"])
    direct = kpis.sum_measures(demo, ["platform"])
    assert by_platform["rows"].tolist() == direct["rows"].tolist()
    assert cube.rollup(day_cube)["rows"].iloc[0] == len(demo)
    np.testing.assert_allclose(by_platform["spend"], direct["spend"], rtol=1e-12)


def test_rollup_handles_strings_missing_keys_and_times() -> None:
    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 10:00", "2025-01-02 09:00"]),
            "name": ["b", None, "b"],
            "spend": [1.0, 2.0, 4.0],
        }
    )
    got = cube.rollup(frame, ["name", "when"])
    expected = kpis.sum_measures(frame, ["name", "when"])
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_rollup_limits_measures_and_handles_empty_frames(demo: pd.DataFrame) -> None:
    only = cube.rollup(demo, ["platform"], measures=("spend",))
    assert only.columns.tolist() == ["platform", "spend", "rows"]
    empty = cube.rollup(demo.iloc[0:0], ["platform"])
    assert empty.empty and "spend" in empty.columns


def test_cube_keeps_platform_campaign_device_day(demo: pd.DataFrame) -> None:
    day_cube = cube.cube(demo)
    assert day_cube.columns[:4].tolist() == ["platform", "campaign", "device", "date"]
    assert day_cube["spend"].sum() == pytest.approx(demo["spend"].sum())
    assert len(day_cube) == len(demo.drop_duplicates(["platform", "campaign", "device", "date"]))


def test_computable_drops_metrics_without_inputs() -> None:
    columns = ["spend", "impressions", "revenue"]
    assert cube.computable(["spend", "clicks", "ctr", "cpm", "roas", "roi", "cpa"], columns) == [
        "spend",
        "cpm",
        "roas",
        "roi",
    ]


# --------------------------------------------------------------------------- cube cuts


def first_of(frame: pd.DataFrame, column: str, n: int = 1) -> tuple[str, ...]:
    return tuple(str(v) for v in frame[column].drop_duplicates().head(n))


def cut_specs(frame: pd.DataFrame) -> list[CampaignFilter]:
    """Selections the overview can ask for: platforms, devices, campaigns, dates and empty ones."""
    return [
        CampaignFilter(),
        CampaignFilter(platforms=first_of(frame, "platform")),
        CampaignFilter(platforms=first_of(frame, "platform", 2), devices=first_of(frame, "device")),
        CampaignFilter(campaigns=first_of(frame, "campaign", 3)),
        CampaignFilter(start=pd.Timestamp("2025-03-01"), end=pd.Timestamp("2025-04-15"), devices=()),
        CampaignFilter(platforms=()),
    ]


def test_cutting_the_full_cube_equals_cubing_the_filtered_rows(demo: pd.DataFrame) -> None:
    full = cube.cube(demo)
    for spec in cut_specs(demo):
        assert cube.cube_serves(spec, demo.columns)
        expected = cube.cube(apply_campaign_filter(demo, spec))
        got = cube.filtered_cube(full, spec)
        pd.testing.assert_frame_equal(got, expected, check_categorical=False, rtol=1e-12)


def test_daily_sums_cut_from_the_summary_equal_those_of_the_filtered_rows(demo: pd.DataFrame) -> None:
    summary = cube.cube(demo, cube.SUMMARY_KEYS)
    assert summary["rows"].sum() == len(demo)
    specs = [s for s in cut_specs(demo) if s.campaigns is None]
    specs.append(CampaignFilter(content_types=first_of(demo, "content_type", 2), campaign_types=()))
    specs.append(CampaignFilter(platforms=first_of(demo, "platform"), campaign_types=first_of(demo, "campaign_type")))
    for spec in specs:
        assert cube.cube_serves(spec, demo.columns, cube.SUMMARY_KEYS)
        by = ["platform", "date"]
        expected = cube.rollup(apply_campaign_filter(demo, spec), by)
        got = cube.rollup(cube.filtered_cube(summary, spec), by)
        pd.testing.assert_frame_equal(got, expected, check_categorical=False, rtol=1e-12)
    assert not cube.cube_serves(CampaignFilter(campaigns=()), demo.columns, cube.SUMMARY_KEYS)


def test_the_full_cube_cannot_serve_a_filter_below_its_grain(demo: pd.DataFrame) -> None:
    assert not cube.cube_serves(CampaignFilter(content_types=("Video",)), demo.columns)
    assert not cube.cube_serves(CampaignFilter(campaign_types=()), demo.columns)
    # A restriction on a column the data lacks is a no-op, so the cube still serves it.
    assert cube.cube_serves(CampaignFilter(devices=("Mobile",)), ["date", "platform", "campaign"])


def test_partial_periods_mark_buckets_cut_by_the_range() -> None:
    start, end = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-03-15")  # a Wednesday .. a Saturday
    weeks = pd.Series(pd.to_datetime(["2024-12-30", "2025-01-06", "2025-03-03", "2025-03-10"]))
    assert cube.partial_periods(weeks, "week", start, end).tolist() == [True, False, False, True]
    months = pd.Series(pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]))
    assert cube.partial_periods(months, "month", start, end).tolist() == [False, False, True]
    days = pd.Series(pd.to_datetime(["2025-01-01", "2025-03-15"]))
    assert not cube.partial_periods(days, "day", start, end).any()
    with pytest.raises(ValueError, match="freq must be one of"):
        cube.partial_periods(days, "hour", start, end)


def test_the_cube_cannot_serve_a_selection_in_an_extra_dimension() -> None:
    columns = ["date", "platform", "campaign", "device", "spend", "age"]
    assert not cube.cube_serves(CampaignFilter(extras=(("age", ("30-34",)),)), columns)
    assert not cube.cube_serves(CampaignFilter(extras=(("age", ("30-34",)),)), columns, cube.SUMMARY_KEYS)
    # No selection, or a selection in a column the data lacks (a no-op), is still served.
    assert cube.cube_serves(CampaignFilter(), columns)
    assert cube.cube_serves(CampaignFilter(extras=(("gender", ("F",)),)), columns)
