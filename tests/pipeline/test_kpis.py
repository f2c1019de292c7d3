"""The KPI engine: explicit expected values, zero denominators, ratio of sums, trends, period comparison."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline import kpis


def campaign_rows(**columns: list) -> pd.DataFrame:
    return pd.DataFrame(columns)


# --------------------------------------------------------------------------- safe_divide


def test_safe_divide_scalars_and_zero_denominator() -> None:
    assert kpis.safe_divide(6.0, 3.0) == 2.0
    assert math.isnan(kpis.safe_divide(1.0, 0.0))
    assert math.isnan(kpis.safe_divide(0.0, 0.0))
    assert math.isnan(kpis.safe_divide(1.0, float("nan")))


def test_safe_divide_series_keeps_index_and_never_gives_inf() -> None:
    num = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd"))
    den = pd.Series([2.0, 0.0, np.nan, np.inf], index=list("abcd"))
    out = kpis.safe_divide(num, den)
    assert list(out.index) == list("abcd")
    assert out["a"] == 0.5
    assert out[["b", "c"]].isna().all()
    assert out["d"] == 0.0  # 4/inf is a real 0, not an undefined ratio
    assert not np.isinf(out).any()


def test_safe_divide_arrays_give_an_array() -> None:
    out = kpis.safe_divide(np.array([1.0, 2.0]), np.array([4.0, 0.0]))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [0.25, np.nan])


# --------------------------------------------------------------------------- sums and ratios


def test_sum_measures_totals_and_groups() -> None:
    frame = campaign_rows(
        platform=["Meta", "Meta", "TikTok"],
        spend=[10.0, 20.0, 5.0],
        clicks=[1.0, 2.0, 3.0],
        label=["x", "y", "z"],  # not a measure: ignored
    )
    total = kpis.sum_measures(frame)
    assert total.to_dict("records") == [{"spend": 35.0, "clicks": 6.0, "rows": 3}]
    grouped = kpis.sum_measures(frame, ["platform"])
    expected = pd.DataFrame(
        {"platform": ["Meta", "TikTok"], "spend": [30.0, 5.0], "clicks": [3.0, 3.0], "rows": [2, 1]}
    )
    pd.testing.assert_frame_equal(grouped, expected, check_dtype=False)


def test_add_ratios_explicit_values() -> None:
    sums = pd.DataFrame(
        {
            "spend": [200.0],
            "impressions": [10_000.0],
            "clicks": [400.0],
            "conversions": [20.0],
            "revenue": [800.0],
            "engagement": [500.0],
        }
    )
    row = kpis.add_ratios(sums).iloc[0]
    assert row["ctr"] == pytest.approx(0.04)
    assert row["cvr"] == pytest.approx(0.05)
    assert row["cpc"] == pytest.approx(0.5)
    assert row["cpa"] == pytest.approx(10.0)
    assert row["cpm"] == pytest.approx(20.0)
    assert row["roas"] == pytest.approx(4.0)
    assert row["roi"] == pytest.approx(3.0)
    assert row["engagement_rate"] == pytest.approx(0.05)
    assert row["cpe"] == pytest.approx(0.4)
    assert sums.columns.tolist() == ["spend", "impressions", "clicks", "conversions", "revenue", "engagement"]


def test_add_ratios_zero_denominators_are_nan_not_inf_or_zero() -> None:
    sums = pd.DataFrame(
        {"spend": [0.0], "impressions": [0.0], "clicks": [0.0], "conversions": [0.0], "revenue": [50.0]}
    )
    row = kpis.add_ratios(sums).iloc[0]
    for ratio in ("ctr", "cvr", "cpc", "cpa", "cpm", "roas", "roi"):
        assert math.isnan(row[ratio]), ratio


def test_add_ratios_skips_ratios_whose_inputs_are_missing() -> None:
    out = kpis.add_ratios(pd.DataFrame({"spend": [10.0], "impressions": [1000.0]}))
    assert set(out.columns) == {"spend", "impressions", "cpm"}
    assert out["cpm"].iloc[0] == pytest.approx(10.0)


def test_kpi_totals_is_a_ratio_of_sums_not_a_mean_of_ratios() -> None:
    frame = campaign_rows(
        impressions=[10.0, 1000.0], clicks=[1.0, 1.0], spend=[1.0, 99.0], revenue=[10.0, 90.0], conversions=[1.0, 1.0]
    )
    totals = kpis.kpi_totals(frame)
    mean_of_ratios = (1 / 10 + 1 / 1000) / 2
    assert totals["ctr"] == pytest.approx(2 / 1010)
    assert totals["ctr"] != pytest.approx(mean_of_ratios)
    assert totals["roas"] == pytest.approx(100 / 100)  # mean of row ROAS would be (10 + 0.909) / 2
    assert totals["rows"] == 2.0


def test_kpi_totals_of_an_empty_frame() -> None:
    totals = kpis.kpi_totals(campaign_rows(spend=[], clicks=[], impressions=[]))
    assert totals["spend"] == 0.0
    assert math.isnan(totals["ctr"]) and math.isnan(totals["cpc"])


def test_kpi_table_groups_with_categorical_dims_only_observed() -> None:
    frame = campaign_rows(
        platform=pd.Categorical(["Meta", "Meta"], categories=["Meta", "TikTok"]),
        spend=[3.0, 1.0],
        conversions=[2.0, 0.0],
    )
    table = kpis.kpi_table(frame, ["platform"])
    assert table["platform"].tolist() == ["Meta"]
    assert table["cpa"].iloc[0] == pytest.approx(2.0)


# --------------------------------------------------------------------------- trend


@pytest.fixture
def daily() -> pd.DataFrame:
    """One row per day from Sat 2025-01-04 to Sun 2025-02-02; spend = 1 per day, clicks = day of month."""
    dates = pd.date_range("2025-01-04", "2025-02-02", freq="D")
    return pd.DataFrame({"date": dates, "spend": 1.0, "clicks": dates.day.astype(float), "impressions": 100.0})


def test_trend_by_day(daily: pd.DataFrame) -> None:
    out = kpis.trend(daily, "day")
    assert len(out) == 30
    assert out["period"].iloc[0] == pd.Timestamp("2025-01-04")
    assert out["ctr"].iloc[0] == pytest.approx(4 / 100)


def test_trend_by_week_starts_on_monday(daily: pd.DataFrame) -> None:
    out = kpis.trend(daily, "week")
    assert out["period"].tolist()[:3] == [pd.Timestamp(d) for d in ("2024-12-30", "2025-01-06", "2025-01-13")]
    assert all(day.dayofweek == 0 for day in out["period"])
    # Sat 4 + Sun 5 Jan fall in the week starting Mon 30 Dec; the next week is Mon 6 .. Sun 12.
    assert out["spend"].tolist()[:2] == [2.0, 7.0]
    assert out["clicks"].iloc[1] == sum(range(6, 13))
    assert out["cpc"].iloc[1] == pytest.approx(7.0 / sum(range(6, 13)))


def test_trend_by_month(daily: pd.DataFrame) -> None:
    out = kpis.trend(daily, "month")
    assert out["period"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]
    assert out["spend"].tolist() == [28.0, 2.0]
    assert out["clicks"].tolist() == [float(sum(range(4, 32))), 3.0]


def test_trend_by_dimension() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-02"]),
            "platform": ["Meta", "TikTok", "Meta"],
            "spend": [1.0, 2.0, 4.0],
        }
    )
    out = kpis.trend(frame, "day", by=["platform"])
    assert out[["platform", "spend"]].values.tolist() == [["Meta", 1.0], ["TikTok", 2.0], ["Meta", 4.0]]


def test_trend_rejects_an_unknown_bucket(daily: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="freq must be one of"):
        kpis.trend(daily, "quarter")


# --------------------------------------------------------------------------- periods


def test_period_length_and_previous_period_of_equal_length() -> None:
    period = kpis.Period(pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-31"))
    assert period.days == 31
    previous = period.previous()
    assert previous == kpis.Period(pd.Timestamp("2025-01-29"), pd.Timestamp("2025-02-28"))
    assert previous.days == 31


def test_in_period_includes_the_whole_last_day() -> None:
    frame = pd.DataFrame({"date": pd.to_datetime(["2025-01-09 23:00", "2025-01-10 18:30", "2025-01-11 00:00"])})
    inside = kpis.in_period(frame, kpis.Period(pd.Timestamp("2025-01-10"), pd.Timestamp("2025-01-10")))
    assert inside["date"].tolist() == [pd.Timestamp("2025-01-10 18:30")]


@pytest.fixture
def twenty_days() -> pd.DataFrame:
    """Days 1-10 of Jan: spend 10/day, 2 conversions; days 11-20: spend 12/day, 4 conversions; 100 clicks a day."""
    dates = pd.date_range("2025-01-01", "2025-01-20", freq="D")
    late = dates.day > 10
    return pd.DataFrame(
        {
            "date": dates,
            "spend": np.where(late, 12.0, 10.0),
            "conversions": np.where(late, 4.0, 2.0),
            "clicks": 100.0,
            "impressions": 1000.0,
        }
    )


def test_compare_periods_against_the_previous_period(twenty_days: pd.DataFrame) -> None:
    period = kpis.Period(pd.Timestamp("2025-01-11"), pd.Timestamp("2025-01-20"))
    table = kpis.compare_periods(twenty_days, period).set_index("metric")
    spend = table.loc["spend"]
    assert (spend["current"], spend["previous"], spend["change"]) == (120.0, 100.0, 20.0)
    assert spend["pct_change"] == pytest.approx(0.2)
    cpa = table.loc["cpa"]
    assert cpa["current"] == pytest.approx(3.0) and cpa["previous"] == pytest.approx(5.0)
    assert cpa["pct_change"] == pytest.approx(-0.4)
    assert cpa["better"] is True  # a cost that went down is good
    assert table.loc["conversions", "better"] is True  # a volume that went up is good
    assert table.loc["cpc", "better"] is False  # CPC went up from 1.0 to 1.2
    assert math.isnan(table.loc["ctr", "better"])  # unchanged: neither better nor worse
    assert "rows" not in table.index


def test_compare_periods_without_previous_data_gives_nan_changes(twenty_days: pd.DataFrame) -> None:
    period = kpis.Period(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-20"))
    table = kpis.compare_periods(twenty_days, period).set_index("metric")
    assert table.loc["spend", "current"] == 220.0
    assert math.isnan(table.loc["spend", "previous"])  # before the data starts: unknown, not 0
    assert math.isnan(table.loc["spend", "pct_change"])
    assert math.isnan(table.loc["cpa", "previous"])
    assert math.isnan(table.loc["cpa", "change"]) and math.isnan(table.loc["cpa", "better"])


def test_recent_period_is_the_last_days_of_the_data() -> None:
    first, last = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31")
    assert kpis.recent_period(first, last) == kpis.Period(pd.Timestamp("2025-12-04"), last)
    assert kpis.recent_period(first, last).days == kpis.RECENT_DAYS == 28
    short = kpis.recent_period(pd.Timestamp("2025-12-20"), last)  # less data than the window: all of it
    assert short == kpis.Period(pd.Timestamp("2025-12-20"), last)


def test_previous_coverage_counts_the_previous_days_inside_the_data() -> None:
    span = kpis.Period(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"))
    # The audit's case: 15 Jan - 14 Feb compares with 15 Dec - 14 Jan, of which the data holds 1-14 Jan.
    partly = kpis.previous_coverage(kpis.Period(pd.Timestamp("2025-01-15"), pd.Timestamp("2025-02-14")), span)
    assert partly.previous == kpis.Period(pd.Timestamp("2024-12-15"), pd.Timestamp("2025-01-14"))
    assert (partly.covered_days, partly.complete) == (14, False)
    fully = kpis.previous_coverage(kpis.Period(pd.Timestamp("2025-02-01"), pd.Timestamp("2025-02-28")), span)
    assert (fully.covered_days, fully.complete) == (28, True)
    whole = kpis.previous_coverage(span, span)
    assert (whole.covered_days, whole.complete) == (0, False)
    edge = kpis.previous_coverage(kpis.Period(pd.Timestamp("2025-01-29"), pd.Timestamp("2025-02-25")), span)
    assert (edge.covered_days, edge.complete) == (28, True)  # 1-28 Jan: starts on the data's first day


def test_compare_periods_shows_no_change_against_a_partly_covered_previous_period(twenty_days: pd.DataFrame) -> None:
    # 6-20 Jan against 22 Dec - 5 Jan: the data starts on 1 Jan, so 5 of 15 previous days are known.
    period = kpis.Period(pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-20"))
    table = kpis.compare_periods(twenty_days, period).set_index("metric")
    assert table.loc["spend", "current"] == 5 * 10.0 + 10 * 12.0
    for column in ("previous", "change", "pct_change", "better"):
        assert table[column].isna().all(), column  # not +240% on a third of a period
    # The same previous period inside a longer span is compared as usual.
    span = kpis.Period(pd.Timestamp("2024-12-01"), pd.Timestamp("2025-01-20"))
    covered = kpis.compare_periods(twenty_days, period, span).set_index("metric")
    assert covered.loc["spend", "previous"] == 50.0
    assert covered.loc["spend", "pct_change"] == pytest.approx(170.0 / 50.0 - 1)


def test_days_without_spend_inside_the_data_count_as_covered(twenty_days: pd.DataFrame) -> None:
    paused = twenty_days.assign(spend=np.where(twenty_days["date"].dt.day <= 5, 0.0, twenty_days["spend"]))
    period = kpis.Period(pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-10"))
    table = kpis.compare_periods(paused, period).set_index("metric")
    assert table.loc["spend", "previous"] == 0.0  # 1-5 Jan are in the data, paused: a real zero
    assert table.loc["conversions", "pct_change"] == pytest.approx(0.0)
    assert kpis.data_span(paused) == kpis.Period(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-20"))
