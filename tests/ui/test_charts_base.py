"""Shared chart pieces: round money ticks, date-only period axes, the difference heatmap's neutral band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ui.charts import base


@pytest.mark.parametrize(
    ("span", "step"), [(470_000, 100_000), (10, 2), (1, 0.2), (0.01, 0.002), (3_333, 1_000), (0, 1.0)]
)
def test_nice_steps_are_one_two_or_five_times_a_power_of_ten(span: float, step: float) -> None:
    assert base.nice_step(span) == pytest.approx(step)


def test_money_axis_ticks_are_round_and_include_zero() -> None:
    axis = base.money_axis(np.array([12.3, 468_123.45]))
    assert axis["tickvals"] == [0, 100_000, 200_000, 300_000, 400_000, 500_000]
    assert axis["ticktext"] == ["$0", "$100K", "$200K", "$300K", "$400K", "$500K"]


def test_money_axis_writes_negatives_with_a_true_minus() -> None:
    axis = base.money_axis([-2331.0, 1200.0, np.nan])
    assert axis["ticktext"] == ["−$3K", "−$2K", "−$1K", "$0", "$1K", "$2K"]


def test_money_axis_of_nothing_still_has_ticks() -> None:
    assert base.money_axis([])["ticktext"] == ["$0.00", "$0.20", "$0.40", "$0.60", "$0.80", "$1.00"]


def test_money_metrics_get_round_ticks_when_values_are_given() -> None:
    assert base.tick_format("cpa", [4.5, 9.9])["ticktext"][:3] == ["$0", "$2", "$4"]
    assert base.tick_format("ctr") == {"tickformat": ".1%"}


def test_one_period_axis_shows_its_date_only() -> None:
    axis = base.period_axis(pd.Series(pd.to_datetime(["2025-05-01"])), "month")
    assert axis["ticktext"] == ["May 2025"]
    assert axis["tickvals"] == [pd.Timestamp("2025-05-01")]
    assert axis["range"] == [pd.Timestamp("2025-04-16"), pd.Timestamp("2025-05-16")]
    assert axis["hoverformat"] == "%b %Y"


def test_many_periods_leave_spacing_to_plotly_but_keep_dates_only() -> None:
    axis = base.period_axis(pd.date_range("2025-01-01", periods=90, freq="D"), "day")
    assert axis == {"type": "date", "tickformat": "%d %b %Y", "hoverformat": "%d %b %Y"}


def test_difference_heatmap_keeps_near_equal_costs_neutral() -> None:
    matrix = pd.DataFrame({"Desktop": [4.50, 6.0], "Mobile": [4.51, 3.0]}, index=["Meta", "TikTok"])
    cells = base.difference_heatmap(matrix, "cpa", "CPA", overall=4.505).data[0]
    z = np.asarray(cells.z)
    assert abs(z[0, 0]) < base.NEUTRAL_BAND and abs(z[0, 1]) < base.NEUTRAL_BAND  # $4.50 and $4.51: both neutral
    assert cells.zmin == -cells.zmax == -base.WIDEST_DIFFERENCE  # a fixed scale: +33% is two thirds of the way
    low, neutral_from, neutral_to, high = cells.colorscale
    assert neutral_from[1] == neutral_to[1] == base.NEUTRAL_COLOR
    assert neutral_from[0] == pytest.approx(0.45) and neutral_to[0] == pytest.approx(0.55)
    assert low[1] == "#1A9850" and high[1] == "#D73027"  # a cost: below overall is good (green)
    assert cells.colorbar.title.text == "vs overall $4.50"
    assert list(cells.colorbar.ticktext) == ["−50% better", "−25%", "0%", "+25%", "+50% worse"]
    assert list(cells.text[0]) == ["$4.50", "$4.51"]


def test_difference_heatmap_without_an_overall_figure_draws_no_colours() -> None:
    matrix = pd.DataFrame({"Desktop": [4.5]}, index=["Meta"])
    cells = base.difference_heatmap(matrix, "cpa", "CPA", overall=float("nan")).data[0]
    assert np.isnan(np.asarray(cells.z, dtype=float)).all()
