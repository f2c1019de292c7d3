"""Numbers for people: currency, separators, percentages, compact tiles, "—" for undefined."""

from __future__ import annotations

import math

import pytest

from pipeline.influencers.verdict import dollars
from pipeline.text import display_decimals
from ui import format as fmt


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf"), -math.inf])
def test_undefined_values_are_a_dash(missing: float | None) -> None:
    for metric in ("spend", "ctr", "roas", "clicks", "cpa"):
        assert fmt.metric_value(metric, missing) == "—"
        assert fmt.tile_value(metric, missing) == "—"
    assert fmt.signed_percent(missing) == "—"


def test_metric_values_read_in_their_units() -> None:
    assert fmt.metric_value("spend", 1234567.891) == "$1,234,568"
    assert fmt.metric_value("cpa", 12.345) == "$12.35"
    assert fmt.metric_value("clicks", 1234567.0) == "1,234,567"
    assert fmt.metric_value("ctr", 0.012345) == "1.23%"
    assert fmt.metric_value("roas", 2.345) == "2.35x"
    assert fmt.money(-5.0) == "−$5"  # a true minus (U+2212) before the currency sign
    assert fmt.signed_percent(0.052) == "+5.2%"
    assert fmt.signed_percent(-0.4) == "-40.0%"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (9_876, "$9,876"),
        (12_345, "$12.3K"),
        (465_307, "$465K"),
        (999_950, "$1M"),
        (1_410_308, "$1.41M"),
        (79_484_904, "$79.5M"),
        (-12_345, "−$12.3K"),
        (-2_331, "−$2,331"),
    ],
)
def test_compact_tiles(value: float, expected: str) -> None:
    assert fmt.tile_value("spend", value) == expected
    assert len(expected.lstrip("−")) <= 6  # six tiles share a row


def test_tile_values_keep_ratios_exact() -> None:
    assert fmt.tile_value("cpa", 33.66) == "$33.66"
    assert fmt.tile_value("ctr", 0.0101) == "1.01%"
    assert fmt.tile_value("conversions", 13_842) == "13.8K"


def test_labels_axis_titles_and_column_formats() -> None:
    assert fmt.label("cpa") == "CPA"
    assert fmt.label("ad_set") == "Ad set"
    assert fmt.axis_title("spend") == "Spend ($)"
    assert fmt.axis_title("ctr") == "CTR (%)"
    assert fmt.axis_title("roas") == "ROAS (x)"
    assert fmt.axis_title("clicks") == "Clicks"
    assert fmt.column_format("ctr") == ("%.2f%%", 100.0)
    assert fmt.column_format("spend") == ("$%,.0f", 1.0)
    assert fmt.column_format("cpc") == ("dollar", 1.0)  # sign before the $ for negatives: "-$0.61"
    assert fmt.column_format("incremental_revenue") == ("dollar", 1.0)
    assert fmt.column_format("campaign") is None


def test_small_multiples_and_p_values_keep_their_digits() -> None:
    assert fmt.precise_multiple(2.345) == "2.35x"
    assert fmt.precise_multiple(0.0079) == "0.0079x"  # never rounded to "0.01x"
    assert fmt.precise_multiple(float("nan")) == "—"
    assert fmt.p_value(0.0001) == "< 0.001"
    assert fmt.p_value(0.25) == "0.250"
    assert fmt.p_value(float("nan")) == "—"


@pytest.mark.parametrize("value", [2.3, 0.0079, -0.0079, 1234.5, 0.0, float("nan")])
def test_pages_and_the_verdict_write_dollars_alike(value: float) -> None:
    assert fmt.money(value, display_decimals(value)) == dollars(value)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [(-2331.4, 0, "−$2,331"), (-0.4, 0, "$0"), (-0.004, 2, "$0.00"), (-1.5, 2, "−$1.50"), (2331.0, 0, "$2,331")],
)
def test_negative_money_has_a_true_minus_before_the_sign(value: float, decimals: int, expected: str) -> None:
    assert fmt.money(value, decimals) == expected
    assert "-" not in fmt.money(value, decimals)  # never a hyphen, never "$-2,331"


def test_negative_money_tiles_and_small_negatives() -> None:
    assert fmt.tile_value("profit", -2331.0) == "−$2,331"
    assert fmt.tile_value("profit", -0.3) == "$0"
    assert dollars(-2331.0).startswith("−$")


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        (0.0, 50_000, "$0"),
        (50_000, 50_000, "$50K"),
        (1_250_000, 250_000, "$1.25M"),
        (-2_000, 1_000, "−$2K"),
        (0.2, 0.2, "$0.20"),
        (1_002_000, 2_000, "$1.002M"),
        (2e9, 5e8, "$2B"),
        (500, 100, "$500"),
    ],
)
def test_money_ticks_are_short_and_exact(value: float, step: float, expected: str) -> None:
    assert fmt.money_tick(value, step) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0.123, "+12%"), (-0.05, "−5%"), (0.001, "0%"), (float("nan"), "—"), (None, "—")]
)
def test_signed_share(value: float | None, expected: str) -> None:
    assert fmt.signed_share(value) == expected


ESTIMATED = {"revenue": "revenue = conversions × $50.00, the assumed average order value"}
ESTIMATED["roas"] = ESTIMATED["revenue"]


def test_an_estimated_metric_is_labelled_and_names_its_assumption() -> None:
    assert fmt.estimated_label("revenue", ESTIMATED) == "Revenue (estimated)"
    assert fmt.estimated_label("roas", ESTIMATED) == "ROAS (estimated)"
    assert fmt.estimated_tile_label("revenue", ESTIMATED) == "Est. revenue"
    assert fmt.estimated_tile_label("roas", ESTIMATED) == "Est. ROAS"
    assert fmt.estimated_tile_label("cpa", ESTIMATED) == "CPA"
    assert fmt.estimated_help("roas", ESTIMATED) == (
        "Estimated, not measured: revenue = conversions × $50.00, the assumed average order value."
    )


def test_a_measured_metric_reads_as_before() -> None:
    assert fmt.estimated_label("spend", ESTIMATED) == "Spend"
    assert fmt.estimated_help("spend", ESTIMATED) == ""
    assert fmt.estimated_note(["spend", "cpa"], ESTIMATED) == ""
    assert fmt.estimated_label("revenue", {}) == "Revenue"  # the demo data carries no estimates


def test_a_chart_note_names_each_assumption_once() -> None:
    note = fmt.estimated_note(["revenue", "roas", "clicks"], ESTIMATED)
    assert note == " (estimated: revenue = conversions × $50.00, the assumed average order value)"
