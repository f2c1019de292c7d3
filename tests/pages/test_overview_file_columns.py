"""AppTest of the overview on the real Facebook export (no revenue, no dates, extra columns age, gender and
interest): extra dimensions filter and break down exactly as pandas does, estimated measures say so, the undated
file shows no invented period, and section choices stay in the link."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline import kpis
from pipeline.campaigns import overview
from pipeline.inputs import provenance
from pipeline.inputs.demo import tidy_campaigns
from pipeline.inputs.ingest.load import ingest
from tests.pages.conftest import page_path
from tests.pages.test_overview_page import chart_titled, plain
from ui import format as fmt

FACEBOOK_EXPORT = Path("/work/shared/data/real/kag_conversion_data.csv")
ASSUMPTION = "revenue = conversions × $50.00, the assumed average order value"


@pytest.fixture(scope="module")
def export() -> pd.DataFrame:
    result = ingest(FACEBOOK_EXPORT)
    # Ingestion marks its frames once that lands; marking here keeps this test about the page.
    return provenance.mark(result.frame, provenance.from_ingest(result.estimated, result.assumptions))


def open_overview(frame: pd.DataFrame, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(page_path("overview"), default_timeout=120)
    at.session_state["uploaded_campaigns"] = frame
    at.session_state["uploaded_campaigns_name"] = "kag_conversion_data.csv"
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture
def at(export: pd.DataFrame) -> AppTest:
    return open_overview(export)


def helps(at: AppTest) -> dict[str, str]:
    return {m.label: m.proto.help for m in at.metric}


def tile_says_whole_table(at: AppTest, metric: str, value: float) -> bool:
    return helps(at)[fmt.label(metric)].startswith(f"Whole table: {fmt.metric_value(metric, value)}.")


def test_age_gender_and_interest_are_sidebar_filters(at: AppTest, export: pd.DataFrame) -> None:
    assert not at.exception and not at.error
    options = {box.label: box.options for box in at.sidebar.multiselect}
    assert options["Age"] == sorted(export["age"].unique())
    assert options["Gender"] == ["F", "M"]
    assert options["Interest"] == [str(v) for v in sorted(export["interest"].unique())]
    assert "Ad id" not in options and "Approved conversion" not in options  # an id and a count: not dimensions
    # A few values start all picked; forty interest codes start empty, meaning all, instead of forty chips.
    assert at.multiselect(key="cf_x_gender").value == ["F", "M"]
    assert at.multiselect(key="cf_x_interest").value == []
    assert tile_says_whole_table(at, "spend", export["spend"].sum())


def test_extra_filters_narrow_the_totals_exactly_as_pandas_does(at: AppTest, export: pd.DataFrame) -> None:
    at.multiselect(key="cf_x_gender").set_value(["F"]).run()
    at.multiselect(key="cf_x_age").set_value(["30-34", "45-49"]).run()
    at.multiselect(key="cf_x_interest").set_value(["10", "16", "29"]).run()
    assert not at.exception
    rows = export[
        (export["gender"] == "F") & export["age"].isin(["30-34", "45-49"]) & export["interest"].isin([10, 16, 29])
    ]
    assert 0 < len(rows) < len(export)
    for metric in ("spend", "impressions", "clicks", "conversions"):
        assert tile_says_whole_table(at, metric, rows[metric].sum()), metric
    assert tile_says_whole_table(at, "cpa", rows["spend"].sum() / rows["conversions"].sum())
    assert at.query_params["cf_x_gender"] == "F"


def test_breakdown_by_age_equals_the_pandas_group_by(at: AppTest, export: pd.DataFrame) -> None:
    assert "age" in at.segmented_control(key="ov_dim").options
    at.segmented_control(key="ov_dim").set_value("age").run()
    at.selectbox(key="ov_shown").set_value("cpa").run()
    assert not at.exception
    sums = export.groupby("age")[["spend", "conversions"]].sum()
    expected = (sums["spend"] / sums["conversions"]).sort_index()
    bars = chart_titled(at, "CPA by age")["data"][0]
    shown = pd.Series(plain(bars["y"]), index=plain(bars["x"])).sort_index()
    assert list(shown.index) == list(expected.index)
    assert shown.to_numpy() == pytest.approx(expected.to_numpy())


def test_a_breakdown_by_an_extra_dimension_follows_the_filters(at: AppTest, export: pd.DataFrame) -> None:
    at.multiselect(key="cf_x_gender").set_value(["M"]).run()
    at.segmented_control(key="ov_dim").set_value("interest").run()
    at.selectbox(key="ov_shown").set_value("spend").run()
    men = export[export["gender"] == "M"]
    biggest = men.groupby("interest")["spend"].sum().sort_values(ascending=False).head(15)
    bars = chart_titled(at, "Spend by interest")["data"][0]
    assert [int(x) for x in plain(bars["x"])] == list(biggest.index)
    assert plain(bars["y"]) == pytest.approx(biggest.to_list())


def test_estimated_tiles_say_so_and_name_the_assumption(at: AppTest) -> None:
    labels = [m.label for m in at.metric]
    assert "Est. revenue" in labels and "Est. ROAS" in labels
    assert "Spend" in labels and "Est. spend" not in labels  # the export measures its spend
    assert helps(at)["Est. revenue"].endswith(f"Estimated, not measured: {ASSUMPTION}.")
    assert ASSUMPTION in helps(at)["Est. ROAS"]
    assert ASSUMPTION in chart_titled(at, "ROAS by platform")["layout"]["title"]["text"]


def test_an_undated_file_shows_no_period_no_deltas_no_trend_and_says_why(at: AppTest) -> None:
    captions = " ".join(c.value for c in at.caption)
    assert "This file has no dates" in captions
    assert "01 Jan 2025" not in captions and "(1 days)" not in captions
    assert not at.date_input  # no date range to pick
    assert all(m.proto.delta == "" for m in at.metric)
    assert not any("Previous period" in m.proto.help for m in at.metric)
    infos = [i.value for i in at.info]
    assert any(
        i.startswith("This file has no dates, so there is no trend over time and no anomaly flags") for i in infos
    )
    subheaders = [s.value for s in at.subheader]
    assert "Anomalies" not in subheaders
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert not any(" by week" in t or " by day" in t for t in titles)  # no trend chart
    assert not [r for r in at.radio if r.key == "ov_lvl"]  # an undated file has no campaign-days


def test_a_file_without_a_device_column_says_so_instead_of_a_one_value_filter(at: AppTest) -> None:
    assert not [box for box in at.sidebar.multiselect if box.key == "cf_device"]
    assert any("no device column" in c.value for c in at.sidebar.caption)
    assert "device" not in at.segmented_control(key="ov_dim").options


def test_a_section_choice_and_an_extra_filter_stay_in_the_link(at: AppTest, export: pd.DataFrame) -> None:
    at.segmented_control(key="ov_dim").set_value("gender").run()
    at.number_input(key="ov_min_clicks").set_value(300).run()
    at.multiselect(key="cf_x_age").set_value(["30-34"]).run()
    assert at.query_params["ov_dim"] == "gender" and at.query_params["cf_x_age"] == "30-34"
    assert at.query_params["ov_min_clicks"] == "300"
    link = {"ov_dim": "gender", "cf_x_age": "30-34", "ov_shown": "__import__('os')", "ov_min_clicks": "300"}
    again = open_overview(export, link)
    assert not again.exception
    assert again.segmented_control(key="ov_dim").value == "gender"
    assert again.number_input(key="ov_min_clicks").value == 300
    assert again.multiselect(key="cf_x_age").value == ["30-34"]
    assert chart_titled(again, "ROAS by gender")  # an unknown chart metric falls back to the default


@pytest.mark.parametrize("raw", ["-5", "1e309", "abc", ""], ids=["negative", "overflow", "text", "empty"])
def test_a_broken_threshold_link_falls_back_to_the_default(raw: str, export: pd.DataFrame) -> None:
    at = open_overview(export, {"ov_min_clicks": raw})
    assert not at.exception
    assert at.number_input(key="ov_min_clicks").value == overview.MIN_CLICKS_FOR_CVR


def test_reset_forgets_the_extra_filters(at: AppTest, export: pd.DataFrame) -> None:
    at.multiselect(key="cf_x_gender").set_value(["F"]).run()
    at.button(key="reset_cf_dates").click().run()
    assert at.multiselect(key="cf_x_gender").value == ["F", "M"]
    assert "cf_x_gender" not in at.query_params
    assert tile_says_whole_table(at, "spend", export["spend"].sum())


def test_a_dated_file_with_estimated_revenue_keeps_its_trend_and_marks_it() -> None:
    days = pd.date_range("2025-01-01", periods=28, freq="D")
    frame = tidy_campaigns(
        pd.DataFrame(
            {
                "date": days,
                "platform": ["Meta"] * len(days),
                "campaign": ["A"] * len(days),
                "device": ["Mobile"] * len(days),
                "spend": [10.0] * len(days),
                "impressions": [1000.0] * len(days),
                "clicks": [50.0] * len(days),
                "conversions": [float(i % 5) for i in range(len(days))],
                "revenue": [50.0 * (i % 5) for i in range(len(days))],
            }
        )
    )
    provenance.mark(frame, provenance.Provenance(estimated={"revenue": ASSUMPTION.removeprefix("revenue = ")}))
    at = open_overview(frame, {"ov_metric": "revenue"})
    assert not at.exception
    assert [d.key for d in at.date_input] == ["cf_dates"]
    assert "Est. revenue" in [m.label for m in at.metric]
    title = chart_titled(at, "Revenue by week")["layout"]["title"]["text"]
    assert title.startswith(f"Revenue by week (estimated: {ASSUMPTION})")
    assert "Anomalies" in [s.value for s in at.subheader]
    assert len(days) == kpis.RECENT_DAYS  # the default range is the whole month: the tiles cover all rows
    revenue = fmt.metric_value("revenue", frame["revenue"].sum())
    assert helps(at)["Est. revenue"].startswith(f"This period: {revenue}.")


def test_a_stacked_upload_source_column_filters_and_breaks_down() -> None:
    folder = Path("/work/shared/data/peers/campaign-perf")
    parts = [ingest(folder / name).frame.assign(source=name) for name in ("meta_ads.csv", "tiktok_ads.csv")]
    stacked = pd.concat(parts, ignore_index=True).astype({"source": "category"})
    at = open_overview(stacked)
    assert at.multiselect(key="cf_x_source").options == ["meta_ads.csv", "tiktok_ads.csv"]
    at.button(key="cf_dates_whole").click().run()
    at.segmented_control(key="ov_dim").set_value("source").run()
    at.selectbox(key="ov_shown").set_value("spend").run()
    bars = chart_titled(at, "Spend by source")["data"][0]
    shown = dict(zip(plain(bars["x"]), plain(bars["y"]), strict=True))
    assert shown == pytest.approx(
        {name: part["spend"].sum() for name, part in zip(("meta_ads.csv", "tiktok_ads.csv"), parts, strict=True)}
    )
    at.multiselect(key="cf_x_source").set_value(["tiktok_ads.csv"]).run()
    spend = helps(at)["Spend"]
    assert spend.startswith(f"This period: {fmt.metric_value('spend', parts[1]['spend'].sum())}.")
    assert at.query_params["cf_x_source"] == "tiktok_ads.csv"


def test_an_empty_extra_selection_shows_the_plain_message(at: AppTest) -> None:
    at.multiselect(key="cf_x_gender").set_value([]).run()
    assert not at.exception and not at.error
    assert [i.value for i in at.info] == ["No data matches these filters."]
    assert not at.metric
