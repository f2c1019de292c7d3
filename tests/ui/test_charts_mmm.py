"""The media mix page's figure builders: one colour per channel everywhere, reference lines named in the legend
(no labels on the plot to collide), value labels above their intervals, axes that end at the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ui.charts import mmm as charts
from ui.charts import mmm_curves as curves

CHANNELS = ["Instagram", "Meta", "TikTok", "Influencers"]


def legend_names(figure: object) -> list[str]:
    traces = [trace.name for trace in figure.data if trace.showlegend is not False and trace.name]
    return traces + [shape.name for shape in figure.layout.shapes if shape.showlegend]


def curve(slope: float) -> pd.DataFrame:
    """A saturating curve whose first dollar returns `slope`."""
    spend = np.linspace(0, 800, 60)
    revenue = slope * 200 * (1 - np.exp(-spend / 200))
    return pd.DataFrame({"spend": spend, "revenue": revenue, "low": 0.8 * revenue, "high": 1.2 * revenue})


def test_a_channel_has_the_same_colour_with_or_without_the_baseline() -> None:
    with_baseline = charts.channel_colors(["Baseline", *CHANNELS])
    assert with_baseline["Baseline"] == charts.BASELINE_COLOR
    assert {name: with_baseline[name] for name in CHANNELS} == charts.channel_colors(CHANNELS)
    daily = pd.DataFrame(1.0, index=pd.date_range("2025-01-01", periods=5), columns=["Baseline", *CHANNELS])
    area = charts.contributions_area(daily, daily.sum(axis=1))
    frame = pd.DataFrame({"day": range(3), "share": [0.6, 0.3, 0.1]})
    lines = curves.carryover_lines(dict.fromkeys(CHANNELS, frame))
    assert area.data[4].line.color == lines.data[3].line.color == with_baseline["Influencers"]


def test_response_curve_names_its_reference_lines_with_their_spend() -> None:
    figure = curves.response_curve(curve(3.0), "Meta", current=150.0, supported=400.0, breakeven=420.5)
    names = legend_names(figure)
    assert "average day with spend ($150/day)" in names
    assert "marginal ROAS falls to 1 ($420/day)" in names
    assert "beyond the highest day in the data ($400/day)" in names
    assert not figure.layout.annotations
    assert list(figure.layout.xaxis.range) == [0, 800]


@pytest.mark.parametrize(("slope", "words"), [(0.5, "less than $1"), (3.0, "stays above 1")])
def test_without_a_break_even_the_curve_says_why(slope: float, words: str) -> None:
    figure = curves.response_curve(curve(slope), "Influencers", current=150.0, supported=800.0, breakeven=None)
    assert not any("marginal ROAS falls" in name for name in legend_names(figure))
    assert words in figure.layout.annotations[0].text
    assert not any("beyond" in name for name in legend_names(figure))  # the data reach the curve's end


def test_fit_chart_ends_at_the_last_day_and_names_the_holdout() -> None:
    days = pd.date_range("2025-01-01", periods=60)
    predicted = pd.DataFrame({"mean": 10.0, "low": 9.0, "high": 11.0}, index=days)
    figure = curves.fit_chart(predicted, predicted["mean"], days[-28])
    assert list(pd.to_datetime(figure.layout.xaxis.range)) == [days[0], days[-1]]
    assert "held out: last 28 days, predicted unseen" in legend_names(figure)
    assert not figure.layout.annotations


def test_measure_labels_sit_above_each_bars_interval() -> None:
    table = pd.DataFrame(
        {
            "channel": ["Meta", "Influencers"],
            "attributed_roas": [2.0, np.nan],
            "modelled_roas": [1.4, 0.7],
            "modelled_low": [1.0, 0.6],
            "modelled_high": [1.8, 0.8],
            "experiment_iroas": [np.nan, 0.65],
            "experiment_low": [np.nan, 0.55],
            "experiment_high": [np.nan, 0.75],
        }
    )
    labels = {(round(a.x, 2), a.text): a.y for a in charts.measures_chart(table).layout.annotations}
    width = charts.BAR_WIDTH
    assert labels == {
        (round(-width, 2), "2.00x"): 2.0,  # no interval: on the bar
        (0.0, "1.40x"): 1.8,  # above the interval's top
        (1.0, "0.70x"): 0.8,
        (round(1 + width, 2), "0.65x"): 0.75,
    }


def test_roas_chart_groups_the_two_measures_and_reads_top_down() -> None:
    channels = pd.DataFrame(
        {"channel": CHANNELS[:2], "roas": [0.8, 1.4], "mroas": [0.6, 1.3]}
        | {f"{measure}_low": [0.4, 1.0] for measure in ("roas", "mroas")}
        | {f"{measure}_high": [1.0, 1.8] for measure in ("roas", "mroas")}
    )
    figure = charts.roas_intervals(channels)
    assert figure.layout.scattermode == "group"
    assert figure.layout.yaxis.autorange == "reversed"
    assert "break-even (pays back $1)" in legend_names(figure)


def test_share_bars_carry_their_name_and_share_in_a_label_above_the_bar() -> None:
    shares = pd.Series([0.662, 0.175, 0.026], index=["Baseline", "Meta", "Influencers"])
    figure = charts.contribution_shares(shares)
    assert [a.text for a in figure.layout.annotations] == ["Baseline 66.2%", "Meta 17.5%", "Influencers 2.6%"]
    assert [a.y for a in figure.layout.annotations] == [0.2, 1.2, 2.2]  # just above each bar (half width 0.2)
    assert figure.layout.yaxis.visible is False and figure.layout.xaxis.visible is False
    expected = charts.channel_colors(["Meta", "Influencers"])
    assert list(figure.data[0].marker.color) == [charts.BASELINE_COLOR, expected["Meta"], expected["Influencers"]]
