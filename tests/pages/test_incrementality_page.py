"""AppTest on the incrementality page: headline, filters, breakdowns, caching, bad and empty data."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipeline.influencers import incrementality as inc
from pipeline.influencers import verdict
from pipeline.inputs import demo
from tests.pages.conftest import page_path
from ui.cached import data

PRODUCTS = ["Biotin Gummies", "Gritzo Shake", "HK Multivitamin", "MB Protein"]


def run_page(tables: dict[str, pd.DataFrame] | None = None) -> AppTest:
    at = AppTest.from_file(page_path("incrementality"), default_timeout=120)
    if tables is not None:
        at.session_state[data.UPLOADED_INFLUENCERS_KEY] = tables
    return at.run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def values(array: object) -> list:
    """A plotly array from a figure spec: a plain list, or plotly's typed-array encoding {dtype, bdata}."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def forest_points(at: AppTest) -> tuple[list[float], list[str]]:
    trace = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    return values(trace["x"]), values(trace["y"])


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    st.cache_data.clear()


def test_runs_clean_on_demo_data_with_headline(demo_dir: Path) -> None:
    at = run_page()
    assert not at.exception
    truth = json.loads((demo_dir / "ground_truth.json").read_text())
    tables = demo.read_influencer_tables(demo_dir)
    expected = inc.analyse(tables["tracking"], tables["payouts"], breakdowns=()).overall
    assert metric(at, "iROAS") == f"{expected.iroas:.2f}x"
    assert metric(at, "Lift") == f"{100 * expected.lift:.1f}%"
    assert expected.p_value < 0.001 and metric(at, "p-value") == "< 0.001"
    assert expected.iroas_ci_low <= truth["iroas"] <= expected.iroas_ci_high
    verdicts = [e.value for e in [*at.success, *at.error, *at.info]]
    assert verdict.verdict(expected) in verdicts
    assert any("both the exposed and the control group" in w.value for w in at.warning)
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    x, y = forest_points(at)
    assert len(x) == len(set(y)) == 60  # one point per influencer
    assert x == sorted(x)
    forest = json.loads(charts[0].proto.spec)
    assert any(shape.get("x0") == 1 for shape in forest["layout"]["shapes"])  # break-even line


def test_filter_to_a_product_changes_the_result() -> None:
    at = run_page()
    before = (metric(at, "iROAS"), metric(at, "Incremental revenue"))
    at.multiselect(key="if_product").set_value(["MB Protein"]).run()
    assert not at.exception
    after = (metric(at, "iROAS"), metric(at, "Incremental revenue"))
    assert after[0] != before[0] and after[1] != before[1]
    at.radio(key="inc_breakdown").set_value("product").run()
    x, y = forest_points(at)
    assert y == ["MB Protein"]
    assert x[0] == pytest.approx(float(after[0].rstrip("x")), abs=0.006)


def test_empty_selection_shows_the_message() -> None:
    at = run_page()
    at.multiselect(key="if_product").set_value([]).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["No data matches these filters."]
    assert not at.metric


def test_breakdown_choice_and_power_calculator() -> None:
    at = run_page()
    at.radio(key="inc_breakdown").set_value("campaign").run()
    assert len(forest_points(at)[1]) == 5
    mde_before = metric(at, "Minimum detectable lift")
    needed_before = metric(at, "Users needed per group")
    at.number_input(key="inc_power_users").set_value(100_000).run()
    at.number_input(key="inc_power_lift").set_value(20.0).run()
    assert not at.exception
    assert float(metric(at, "Minimum detectable lift").rstrip("%")) < float(mde_before.rstrip("%"))
    needed_after = int(metric(at, "Users needed per group").replace(",", ""))
    assert needed_after == pytest.approx(int(needed_before.replace(",", "")) / 4, abs=2)  # double lift, n / 4


def test_same_filters_reuse_the_cached_bootstrap(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = inc.analyse

    def counting(*args: object, **kwargs: object) -> inc.IncrementalityReport:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(inc, "analyse", counting)
    at = run_page()
    at.multiselect(key="if_product").set_value(["MB Protein"]).run()
    at.multiselect(key="if_product").set_value(PRODUCTS).run()
    at.radio(key="inc_breakdown").set_value("product").run()
    assert not at.exception
    assert len(calls) == 2


def test_unusable_upload_shows_an_error_not_a_traceback(demo_dir: Path) -> None:
    tables = demo.read_influencer_tables(demo_dir)
    broken = {**tables, "tracking": tables["tracking"].drop(columns="revenue")}
    at = run_page(broken)
    assert not at.exception
    assert [e.value for e in at.error] == ["The tracking data is missing column(s): revenue."]


def test_upload_without_control_users_explains_the_problem(demo_dir: Path) -> None:
    tables = demo.read_influencer_tables(demo_dir)
    exposed_only = {**tables, "tracking": tables["tracking"][tables["tracking"]["group"] == 1]}
    at = run_page(exposed_only)
    assert not at.exception
    assert any("no control users" in i.value for i in at.info)
    assert not at.metric
