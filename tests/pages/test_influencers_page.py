"""AppTest of the influencer page: key metrics equal the pipeline's for each filter, "—" for zero payout."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.filters import InfluencerFilter, apply_influencer_filter
from pipeline.influencers import attribution as im
from pipeline.inputs import demo
from tests.pages.conftest import page_path
from ui import format as fmt

KEY_METRICS = ("revenue", "payout", "roas", "orders", "aov")


@pytest.fixture(scope="module")
def tables(demo_dir: Path) -> dict[str, pd.DataFrame]:
    return demo.read_influencer_tables(demo_dir)


def expected_metrics(tables: dict[str, pd.DataFrame], spec: InfluencerFilter) -> dict[str, str]:
    metrics = im.key_metrics(im.influencer_summary(apply_influencer_filter(tables, spec)))
    return {fmt.label(m): fmt.tile_value(m, metrics[m]) for m in KEY_METRICS}


def key_row(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in list(at.metric)[: len(KEY_METRICS)]}


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(page_path("influencers"), default_timeout=120).run()


def test_runs_clean_on_demo_data(at: AppTest, tables: dict[str, pd.DataFrame]) -> None:
    assert not at.exception and not at.error
    assert key_row(at) == expected_metrics(tables, InfluencerFilter())
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert "ROAS by category and gender (red: revenue < payout)" in titles
    assert any(t.startswith("Attributed revenue vs payout") for t in titles)
    assert any("per reach" in t for t in titles)
    personas = next(c for c in charts if c["layout"]["title"]["text"].startswith("ROAS by category"))
    scale = personas["data"][0]["colorscale"]  # neutral exactly at ROAS 1: red means losing money
    assert personas["data"][0]["zmin"] == 0.0
    assert scale[1][0] == pytest.approx(1.0 / personas["data"][0]["zmax"])
    scatter = next(c for c in charts if c["layout"]["title"]["text"].startswith("Attributed revenue"))
    assert any(trace["name"] == "Break-even on revenue (ROAS = 1)" for trace in scatter["data"])
    assert len(at.get("download_button")) >= 6


def test_category_filter_changes_metrics_to_the_pipeline_values(at: AppTest, tables: dict[str, pd.DataFrame]) -> None:
    before = key_row(at)
    at.multiselect(key="if_category").set_value(["Fitness", "Health"]).run()
    assert not at.exception
    expected = expected_metrics(tables, InfluencerFilter(categories=("Fitness", "Health")))
    assert key_row(at) == expected
    assert expected != before


def test_product_and_gender_filters(at: AppTest, tables: dict[str, pd.DataFrame]) -> None:
    at.multiselect(key="if_product").set_value(["MB Protein"]).run()
    at.multiselect(key="if_gender").set_value(["Male"]).run()
    expected = expected_metrics(tables, InfluencerFilter(products=("MB Protein",), genders=("Male",)))
    assert key_row(at) == expected


def test_empty_selection_shows_the_message(at: AppTest) -> None:
    at.multiselect(key="if_gender").set_value([]).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["No data matches these filters."]
    at.multiselect(key="if_gender").set_value(["Female"]).run()
    at.multiselect(key="if_product").set_value([]).run()
    assert [i.value for i in at.info] == ["No data matches these filters."]


def test_zero_payout_shows_a_dash_never_inf(tables: dict[str, pd.DataFrame]) -> None:
    unpaid = {**tables, "payouts": tables["payouts"].assign(total_payout=0.0)}
    at = AppTest.from_file(page_path("influencers"), default_timeout=120)
    at.session_state["uploaded_influencer_tables"] = unpaid
    at.run()
    assert not at.exception
    assert key_row(at)["ROAS"] == "—"
    texts = [m.value for m in at.metric] + [w.value for w in at.warning] + [s.value for s in at.success]
    assert not any(re.search(r"\b(inf|nan)\b|∞", text, re.IGNORECASE) for text in texts)


def test_poor_roi_threshold_is_the_users(at: AppTest, tables: dict[str, pd.DataFrame]) -> None:
    at.number_input(key="inf_threshold").set_value(5.0).run()
    alerts = im.poor_roi(im.influencer_summary(tables), 5.0)
    cost = im.alert_cost(alerts)
    warning = at.warning[0].value
    assert warning.startswith(f"{len(alerts)} influencer(s) below 5.00x")
    assert f"paid {fmt.money(cost['payout'])}" in warning
    # Revenue − payout is named as such: it ignores the cost of goods, so it is not a profit or a net figure.
    assert f"(revenue minus payout {fmt.money(-cost['net_loss'])}, before the cost of goods)" in warning
    table = next(d for d in at.dataframe if "revenue_minus_payout" in d.value.columns)
    assert "profit" not in table.value.columns


def test_top_influencers_need_the_minimum_payout(at: AppTest) -> None:
    at.number_input(key="inf_min_payout").set_value(10**9).run()
    assert "No influencer was paid $1,000,000,000 or more in this selection." in [i.value for i in at.info]


def test_drill_down_into_one_influencer(at: AppTest, tables: dict[str, pd.DataFrame]) -> None:
    summary = im.influencer_summary(tables)
    chosen = int(summary.sort_values("revenue").iloc[0]["influencer_id"])  # the lowest earner
    at.selectbox(key="inf_drill").set_value(chosen).run()
    at.segmented_control(key="inf_freq").set_value("month").run()
    assert not at.exception
    row = summary[summary["influencer_id"] == chosen].iloc[0]
    drill = {m.label: m.value for m in list(at.metric)[len(KEY_METRICS) :]}
    assert drill["Revenue"] == fmt.tile_value("revenue", row["revenue"])
    assert drill["ROAS"] == fmt.tile_value("roas", row["roas"])
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert f"{row['name']}: orders and revenue by month" in titles


def test_influencer_types_appear_in_size_order(at: AppTest) -> None:
    chart = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if json.loads(c.proto.spec)["layout"]["title"]["text"] == "ROAS by influencer type"
    )
    order = {"Nano": 0, "Micro": 1, "Macro": 2, "Mega": 3}
    names = chart["data"][0]["x"]
    assert names == sorted(names, key=order.__getitem__)
