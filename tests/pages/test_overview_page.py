"""AppTest of the campaign overview: KPIs equal the pipeline's numbers for every filter, empty states, state."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from pipeline import kpis
from pipeline.campaigns import cube, overview
from pipeline.filters import CampaignFilter, apply_campaign_filter
from pipeline.inputs.demo import read_campaigns, tidy_campaigns
from pipeline.inputs.ingest import load
from tests.pages.conftest import ROOT, page_path
from ui import format as fmt

KPI_METRICS = ("spend", "impressions", "clicks", "conversions", "revenue", "ctr", "cvr", "cpc", "cpa", "cpm", "roas")
NO_DATA = "No data matches these filters."


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> pd.DataFrame:
    return read_campaigns(demo_dir)


def default_period(frame: pd.DataFrame) -> kpis.Period:
    """The range the page opens on: the data's last 28 days."""
    return kpis.recent_period(frame["date"].min(), frame["date"].max())


def expected_comparison(frame: pd.DataFrame, spec: CampaignFilter) -> pd.DataFrame:
    """What the KPI row must show, computed with the pipeline on the raw rows (not the page's cube); with no
    dates in `spec`, for the page's default range. Coverage is judged on the whole data's first to last day."""
    start = spec.start or default_period(frame).start
    end = spec.end or default_period(frame).end
    undated = apply_campaign_filter(frame, replace(spec, start=None, end=None))
    return kpis.compare_periods(undated, kpis.Period(start, end), kpis.data_span(frame)).set_index("metric")


def dates_shown(at: AppTest) -> tuple[dt.date, dt.date]:
    return at.date_input(key="cf_dates").value


def shown_metrics(at: AppTest) -> dict[str, tuple[str, str, str]]:
    """label -> (value, delta, delta colour name)."""
    return {m.label: (m.value, m.proto.delta, Metric.MetricColor.Name(m.proto.color)) for m in at.metric}


def assert_kpis_match(at: AppTest, expected: pd.DataFrame) -> None:
    shown = shown_metrics(at)
    helps = {m.label: m.proto.help for m in at.metric}
    for metric in KPI_METRICS:
        value, delta, _ = shown[fmt.label(metric)]
        assert value == fmt.tile_value(metric, expected.loc[metric, "current"]), metric
        exact = fmt.metric_value(metric, expected.loc[metric, "current"])
        assert helps[fmt.label(metric)].startswith(f"This period: {exact}."), metric
        pct = expected.loc[metric, "pct_change"]
        assert delta == ("" if pd.isna(pct) else fmt.signed_percent(pct)), metric


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(page_path("overview"), default_timeout=120).run()


def test_runs_clean_on_demo_data(at: AppTest, demo: pd.DataFrame) -> None:
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Campaign overview"
    assert [m.label for m in at.metric] == [fmt.label(m) for m in KPI_METRICS]
    # It opens on the data's last 28 days, compared with the 28 before: a new user sees deltas at once.
    assert dates_shown(at) == (dt.date(2025, 12, 4), dt.date(2025, 12, 31))
    assert "cf_dates" not in at.query_params  # the default needs no parameter
    expected = expected_comparison(demo, CampaignFilter())
    assert expected["pct_change"].notna().all()
    assert_kpis_match(at, expected)
    assert all(m.proto.delta for m in at.metric)
    assert "Changes compare with the previous 28 days (06 Nov 2025 – 03 Dec 2025)" in at.caption[0].value
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    titles = [chart["layout"]["title"]["text"] for chart in charts]
    assert len(charts) == 4
    assert all(title for title in titles)
    assert all(chart["layout"]["yaxis"]["title"]["text"] for chart in charts)
    assert len(at.get("download_button")) >= 5  # every table and the filtered rows


def test_platform_filter_changes_kpis_to_the_pipeline_values(at: AppTest, demo: pd.DataFrame) -> None:
    before = at.metric[0].value
    at.multiselect(key="cf_platform").set_value(["TikTok"]).run()
    assert not at.exception
    assert at.metric[0].value != before
    assert_kpis_match(at, expected_comparison(demo, CampaignFilter(platforms=("TikTok",))))


def test_device_and_content_filters_combine(at: AppTest, demo: pd.DataFrame) -> None:
    content = at.multiselect(key="cf_content_type").options[:1]
    at.multiselect(key="cf_device").set_value(["Mobile", "Tablet"]).run()
    at.multiselect(key="cf_content_type").set_value(content).run()
    spec = CampaignFilter(devices=("Mobile", "Tablet"), content_types=tuple(content))
    assert_kpis_match(at, expected_comparison(demo, spec))


def test_date_range_deltas_compare_with_the_previous_period(at: AppTest, demo: pd.DataFrame) -> None:
    at.date_input(key="cf_dates").set_value((dt.date(2025, 6, 1), dt.date(2025, 6, 30))).run()
    spec = CampaignFilter(start=pd.Timestamp("2025-06-01"), end=pd.Timestamp("2025-06-30"))
    expected = expected_comparison(demo, spec)
    assert_kpis_match(at, expected)
    shown = shown_metrics(at)
    # A lower CPA is good (green); spend has no direction (grey).
    assert shown["CPA"][2] == ("GREEN" if expected.loc["cpa", "better"] else "RED")
    assert shown["ROAS"][2] == ("GREEN" if expected.loc["roas", "better"] else "RED")
    assert shown["Spend"][2] == "GRAY"


def test_no_deltas_against_a_previous_period_the_data_only_partly_covers(at: AppTest, demo: pd.DataFrame) -> None:
    # 15 Dec - 14 Jan holds data on 14 of its 31 days: totals against it looked like +125% spend, in green.
    at.date_input(key="cf_dates").set_value((dt.date(2025, 1, 15), dt.date(2025, 2, 14))).run()
    assert not at.exception
    assert [m.proto.delta for m in at.metric] == [""] * len(KPI_METRICS)
    spec = CampaignFilter(start=pd.Timestamp("2025-01-15"), end=pd.Timestamp("2025-02-14"))
    assert_kpis_match(at, expected_comparison(demo, spec))
    assert (
        "No changes shown: the data covers only 14 of the previous 31 days (15 Dec 2024 – 14 Jan 2025)"
        in at.caption[0].value
    )


def test_the_whole_range_is_one_click_away(at: AppTest, demo: pd.DataFrame) -> None:
    first, last = demo["date"].min().date(), demo["date"].max().date()
    at.button(key="cf_dates_whole").click().run()
    assert not at.exception
    assert dates_shown(at) == (first, last)
    assert at.query_params["cf_dates"] == f"{first}~{last}"  # not the default, so a link keeps it
    assert_kpis_match(at, expected_comparison(demo, CampaignFilter(start=pd.Timestamp(first), end=pd.Timestamp(last))))
    assert "The data has no days in the previous 365 days" in at.caption[0].value
    at.button(key="cf_dates_recent").click().run()
    assert dates_shown(at) == (dt.date(2025, 12, 4), last)
    assert "cf_dates" not in at.query_params


def test_empty_selection_shows_the_message(at: AppTest) -> None:
    at.multiselect(key="cf_platform").set_value([]).run()
    assert not at.exception
    assert [info.value for info in at.info] == [NO_DATA]
    assert len(at.metric) == 0


def test_a_selection_with_no_rows_shows_the_message(at: AppTest) -> None:
    # Content types and platforms exist separately, but no TikTok row has this combination of filters.
    at.multiselect(key="cf_platform").set_value(["Instagram"]).run()
    options = at.multiselect(key="cf_campaign").options
    at.multiselect(key="cf_campaign").set_value([o for o in options if not o.startswith("Instagram")][:1]).run()
    assert not at.exception
    assert NO_DATA in [info.value for info in at.info]


def test_filter_state_is_mirrored_into_the_url(at: AppTest) -> None:
    at.multiselect(key="cf_platform").set_value(["Meta", "TikTok"]).run()
    at.date_input(key="cf_dates").set_value((dt.date(2025, 2, 1), dt.date(2025, 2, 28))).run()
    assert at.query_params["cf_platform"] == "Meta~TikTok"
    assert at.query_params["cf_dates"] == "2025-02-01~2025-02-28"
    at.multiselect(key="cf_platform").set_value(at.multiselect(key="cf_platform").options).run()
    assert "cf_platform" not in at.query_params  # the default needs no parameter


def test_a_shared_link_opens_the_same_view(demo: pd.DataFrame) -> None:
    at = AppTest.from_file(page_path("overview"), default_timeout=120)
    at.query_params["cf_platform"] = "Meta"
    at.query_params["cf_dates"] = "2025-03-01~2025-03-31"
    at.query_params["cf_device"] = "Desktop~Nonsense"  # unknown values are ignored, never executed
    at.run()
    assert not at.exception
    assert at.multiselect(key="cf_platform").value == ["Meta"]
    assert at.multiselect(key="cf_device").value == ["Desktop"]
    spec = CampaignFilter(
        start=pd.Timestamp("2025-03-01"), end=pd.Timestamp("2025-03-31"), platforms=("Meta",), devices=("Desktop",)
    )
    assert_kpis_match(at, expected_comparison(demo, spec))


@pytest.mark.parametrize("dates", ["yesterday~tomorrow", "2031-01-01~2031-02-01", "2025-03-01"])
def test_a_broken_date_link_falls_back_to_the_default_range(dates: str, demo: pd.DataFrame) -> None:
    at = AppTest.from_file(page_path("overview"), default_timeout=120)
    at.query_params["cf_dates"] = dates
    at.run()
    assert not at.exception
    default = default_period(demo)
    assert at.date_input(key="cf_dates").value == (default.start.date(), default.end.date())
    assert len(at.metric) == len(KPI_METRICS)


def test_a_date_link_partly_outside_the_data_is_clamped(demo: pd.DataFrame) -> None:
    at = AppTest.from_file(page_path("overview"), default_timeout=120)
    at.query_params["cf_dates"] = "2025-12-01~2026-06-30"
    at.run()
    assert at.date_input(key="cf_dates").value == (dt.date(2025, 12, 1), demo["date"].max().date())


def test_filters_survive_a_page_switch() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.multiselect(key="cf_platform").set_value(["Meta"]).run()
    spend = at.metric[0].value
    at.switch_page("pages/influencers.py").run()
    assert not at.exception
    assert "cf_platform" not in at.session_state  # Streamlit dropped the widget key with its page
    at.switch_page("pages/overview.py").run()
    assert at.multiselect(key="cf_platform").value == ["Meta"]
    assert at.metric[0].value == spend


def test_reset_button_restores_defaults(at: AppTest, demo: pd.DataFrame) -> None:
    at.multiselect(key="cf_platform").set_value(["Meta"]).run()
    at.date_input(key="cf_dates").set_value((dt.date(2025, 2, 1), dt.date(2025, 2, 28))).run()
    at.button(key="reset_cf_dates").click().run()
    assert at.multiselect(key="cf_platform").value == sorted(demo["platform"].astype(str).unique())
    assert dates_shown(at) == (dt.date(2025, 12, 4), dt.date(2025, 12, 31))
    assert_kpis_match(at, expected_comparison(demo, CampaignFilter()))


def test_top_campaigns_threshold_and_anomaly_section(at: AppTest, demo: pd.DataFrame) -> None:
    headers = [h.value for h in at.subheader]
    assert {"Trend", "Breakdowns", "Top campaigns by conversion rate", "Anomalies", "Meta vs TikTok"} <= set(headers)
    at.number_input(key="ov_min_clicks").set_value(10**9).run()
    assert "No campaign has 1,000,000,000 clicks or more in this selection." in [i.value for i in at.info]
    at.button(key="cf_dates_whole").click().run()  # the flags of the whole year
    counts = overview.anomaly_flags(cube.cube(demo))["flag"].value_counts()
    assert not counts.empty  # a year of noisy demo data always has some
    assert " · ".join(f"**{n:,}** {flag}" for flag, n in counts.items()) in [m.value for m in at.markdown]


def test_trend_and_breakdown_controls(at: AppTest) -> None:
    at.button(key="cf_dates_whole").click().run()  # whole months, none partly in range
    at.segmented_control(key="ov_freq").set_value("month").run()
    at.selectbox(key="ov_metric").set_value("cpa").run()
    at.toggle(key="ov_split").set_value(True).run()
    at.segmented_control(key="ov_dim").set_value("campaign").run()
    assert not at.exception
    trend = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert trend["layout"]["title"]["text"] == "CPA by month"
    assert trend["layout"]["yaxis"]["title"]["text"] == "CPA ($)"
    assert {trace["name"] for trace in trend["data"]} == {"Instagram", "Meta", "TikTok"}


def test_uploaded_campaigns_are_used_for_this_session() -> None:
    result = load.ingest(ROOT / "tests" / "fixtures" / "exports" / "tiktok_ads_manager.csv")
    at = AppTest.from_file(page_path("overview"), default_timeout=120)
    at.session_state["uploaded_campaigns"] = result.frame
    at.session_state["uploaded_campaigns_name"] = "tiktok.csv"
    at.run()
    assert not at.exception
    expected = expected_comparison(result.frame, CampaignFilter())
    assert at.metric[0].value == fmt.tile_value("spend", expected.loc["spend", "current"])
    assert "tiktok.csv" in at.caption[0].value


def test_data_without_clicks_shows_dashes_not_zeros() -> None:
    frame = tidy_campaigns(
        pd.DataFrame(
            {
                "date": pd.to_datetime(["2025-01-01", "2025-01-02"]),
                "platform": ["Meta", "TikTok"],
                "campaign": ["A", "B"],
                "device": ["All", "All"],
                "spend": [10.0, 20.0],
                "impressions": [1000.0, 4000.0],
            }
        )
    )
    at = AppTest.from_file(page_path("overview"), default_timeout=120)
    at.session_state["uploaded_campaigns"] = frame
    at.run()
    assert not at.exception
    shown = shown_metrics(at)
    assert shown["CTR"][0] == "—" and shown["CPA"][0] == "—"
    assert shown["CPM"][0] == fmt.tile_value("cpm", 1000 * 30.0 / 5000.0)


def plain(value: object) -> object:
    """A plotly JSON array as plain lists (plotly encodes numpy arrays as base64 typed arrays)."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return array.reshape([int(n) for n in shape.split(",")]).tolist() if shape else array.tolist()
    return value


def chart_titled(at: AppTest, start: str) -> dict:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return next(c for c in charts if c["layout"]["title"]["text"].startswith(start))


def test_a_one_period_trend_shows_its_date_not_a_time_of_day(at: AppTest) -> None:
    at.date_input(key="cf_dates").set_value((dt.date(2025, 5, 1), dt.date(2025, 5, 31))).run()
    at.segmented_control(key="ov_freq").set_value("month").run()
    axis = chart_titled(at, "Spend by month")["layout"]["xaxis"]
    assert axis["ticktext"] == ["May 2025"] and axis["tickformat"] == "%b %Y"
    assert len(axis["tickvals"]) == 1 and axis["tickvals"][0].startswith("2025-05-01")
    money = chart_titled(at, "Spend by month")["layout"]["yaxis"]
    assert money["ticktext"][0] == "$0" and all(t.startswith("$") for t in money["ticktext"])


def test_cost_heatmap_colours_the_difference_from_the_overall_figure(at: AppTest, demo: pd.DataFrame) -> None:
    cells = chart_titled(at, "CPA by platform and device")["data"][0]
    period = default_period(demo)
    rows = kpis.in_period(demo, period)
    overall = kpis.kpi_totals(rows)["cpa"]
    matrix = overview.cost_matrix(rows, "cpa")
    expected = (matrix.to_numpy() / overall - 1).clip(-cells["zmax"], cells["zmax"])
    assert np.array(plain(cells["z"]), dtype=float) == pytest.approx(expected)
    assert cells["zmin"] == -cells["zmax"]  # symmetric: the overall figure sits in the middle
    neutral = [stop for stop in cells["colorscale"] if stop[1] == "#F2F2F2"]
    assert [stop[0] for stop in neutral] == pytest.approx(
        [0.5 - 0.05 / cells["zmax"] / 2, 0.5 + 0.05 / cells["zmax"] / 2]
    )
    assert cells["colorbar"]["title"]["text"] == f"vs overall {fmt.metric_value('cpa', overall)}"
    assert cells["colorbar"]["ticktext"][0] == "−50% better" and cells["colorbar"]["ticktext"][-1] == "+50% worse"


def test_section_choices_are_kept_in_the_link(at: AppTest) -> None:
    at.segmented_control(key="ov_freq").set_value("day").run()
    at.selectbox(key="ov_metric").set_value("cpa").run()
    at.toggle(key="ov_split").set_value(True).run()
    at.segmented_control(key="ov_dim").set_value("device").run()
    at.selectbox(key="ov_shown").set_value("ctr").run()
    at.radio(key="ov_cost").set_value("cpc").run()
    at.radio(key="ov_lvl").set_value("campaign_day").run()
    assert at.query_params["ov_lvl"] == "campaign_day"
    linked = {k: at.query_params[k] for k in ("ov_freq", "ov_metric", "ov_split", "ov_dim", "ov_shown", "ov_cost")}
    assert linked == {
        "ov_freq": "day",
        "ov_metric": "cpa",
        "ov_split": "1",
        "ov_dim": "device",
        "ov_shown": "ctr",
        "ov_cost": "cpc",
    }
    at.segmented_control(key="ov_freq").set_value("week").run()
    assert "ov_freq" not in at.query_params  # the default needs no parameter


def test_a_link_with_section_choices_opens_them() -> None:
    at = AppTest.from_file(page_path("overview"), default_timeout=120)
    for key, value in {"ov_freq": "month", "ov_metric": "cpa", "ov_dim": "device", "ov_split": "1"}.items():
        at.query_params[key] = value
    at.query_params["ov_shown"] = "__import__('os')"  # not an option: ignored
    at.run()
    assert not at.exception
    assert at.segmented_control(key="ov_freq").value == "month"
    assert at.selectbox(key="ov_metric").value == "cpa" and at.toggle(key="ov_split").value is True
    assert at.segmented_control(key="ov_dim").value == "device" and at.selectbox(key="ov_shown").value == "roas"
    assert chart_titled(at, "CPA by month")["layout"]["title"]["text"].startswith("CPA by month")
