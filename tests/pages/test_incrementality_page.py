"""AppTest on the incrementality page: headline, filters, breakdowns, caching, bad and empty data."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipeline.influencers import attribution, story, verdict
from pipeline.influencers import incrementality as inc
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
    st.cache_resource.clear()  # the whole data's report, which a filter's report is cut from


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


def peer_tables_through_the_data_page(shared_data: Path) -> dict[str, pd.DataFrame]:
    """The influencer seed's own four tables, uploaded on the Data page and ingested as a user's would be."""
    folder = shared_data / "peers" / "influencer-roi"
    names = ("influencers.csv", "posts.csv", "tracking_data.csv", "payouts.csv")
    files = [(name, (folder / name).read_bytes(), "text/csv") for name in names]
    at = AppTest.from_file(page_path("data"), default_timeout=120).run()
    at.file_uploader(key="upload_influencers").set_value(files).run()
    at.button(key="use_influencers").click().run()
    assert not at.exception
    return at.session_state[data.UPLOADED_INFLUENCERS_KEY]


def caption_mde(at: AppTest) -> str:
    caption = next(c.value for c in at.caption if "minimum detectable lift of" in c.value)
    return re.search(r"minimum detectable lift of ([\d.]+%)", caption).group(1)


def revenue_chart_title(at: AppTest) -> str:
    return json.loads(at.get("plotly_chart")[1].proto.spec)["layout"]["title"]["text"]


def test_buyers_only_peer_tables_get_a_warning_instead_of_a_verdict(shared_data: Path) -> None:
    # Before: a green "Each $1 of payout brought $8.53 of extra revenue … above break-even", under a chart
    # titled "(most users buy nothing)" with 100% buyers, and an MDE tile of 34.7% against a caption of 33.2%.
    at = run_page(peer_tables_through_the_data_page(shared_data))
    assert not at.exception
    assert not at.success and not any("Each $1 of payout" in e.value for e in [*at.error, *at.info])
    blocked = [e.value for e in at.error if e.value.startswith("No verdict")]
    assert len(blocked) == 1
    for check in ("Users in both groups: 140 users (6.33%)", "Non-buyers tracked:", "Plausible lift: ", "1249.5%"):
        assert check in blocked[0]
    borderline = [w.value for w in at.warning]
    assert any(w.startswith("Borderline sample ratio") and "p = 0.048" in w for w in borderline)
    assert any(w.startswith("With these groups the smallest lift") and "33.2%" in w for w in borderline)
    title = revenue_chart_title(at)
    assert "most users buy nothing" not in title and "100% of exposed and 100% of control users bought" in title
    assert metric(at, "Minimum detectable lift") == caption_mde(at) == "33.2%"
    # The per-influencer table stays, but its caption no longer says what the influencers "caused".
    captions = [c.value for c in at.caption]
    assert story.BLOCKED_TABLE_NOTE in captions and not any("was caused by the influencers" in c for c in captions)


def test_demo_passes_the_checks_and_the_mde_tile_matches_its_caption() -> None:
    at = run_page()
    assert not any(e.value.startswith("No verdict") for e in at.error)
    assert any(e.value.startswith("Each $1 of payout brought $0.67") for e in at.error)  # below break-even
    warnings = [w.value for w in at.warning]  # no borderline check: only the note on excluded users
    assert len(warnings) == 1 and "both the exposed and the control group" in warnings[0]
    assert metric(at, "Minimum detectable lift") == caption_mde(at) == "8.0%"  # was 8.1% vs 8.0%
    assert revenue_chart_title(at) == "Revenue per user by group (most users buy nothing)"  # 12% and 9% bought


def test_stratified_iroas_tile_and_margin_break_even(demo_dir: Path) -> None:
    tables = demo.read_influencer_tables(demo_dir)
    report = inc.analyse(tables["tracking"], tables["payouts"], breakdowns=())
    at = run_page()
    assert metric(at, "iROAS per influencer") == f"{report.stratified.iroas:.2f}x" == "0.67x"
    assert "below break-even on revenue" in verdict.verdict(report.overall)
    assert any(verdict.verdict(report.overall, 1.0) == e.value for e in at.error)  # default margin 100%: on revenue
    assert any(c.value == "The dashed line is break-even on revenue." for c in at.caption)
    at.number_input(key="inc_margin").set_value(40.0).run()
    assert not at.exception
    text = next(e.value for e in at.error if e.value.startswith("Each $1"))
    assert text.endswith("below $2.50 per $1 of payout: below break-even on gross profit at a 40% margin.")
    forest = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any(shape.get("x0") == pytest.approx(2.5) for shape in forest["layout"]["shapes"])


def test_attributed_roas_next_to_iroas_per_influencer(demo_dir: Path) -> None:
    at = run_page()
    tables = demo.read_influencer_tables(demo_dir)
    summary = attribution.influencer_summary(tables)
    report = inc.analyse(tables["tracking"], tables["payouts"], influencers=tables["influencers"])
    linked = story.attributed_vs_incremental(summary, report.breakdowns["influencer"])
    table = next(d for d in at.dataframe if "incremental_share" in d.value.columns).value
    assert len(table) == 60
    assert {"roas", "iroas", "iroas_interval", "revenue", "incremental_revenue"} <= set(table.columns)
    shown = table.set_index("name")
    for _, row in linked.iterrows():
        assert shown.loc[row["name"], "roas"] == pytest.approx(row["roas"])
        assert shown.loc[row["name"], "iroas"] == pytest.approx(row["iroas"])
        # shown ×100 as a percentage: the share of attributed revenue that was incremental
        assert shown.loc[row["name"], "incremental_share"] == pytest.approx(100 * row["incremental_share"])
    numbers = story.headline(attribution.key_metrics(summary), report.overall)
    assert story.story_sentence(numbers) in [c.value for c in at.caption]


def test_breakdown_choice_is_kept_in_the_link() -> None:
    at = run_page()
    at.radio(key="inc_breakdown").set_value("product").run()
    assert at.query_params["inc_breakdown"] == "product"
    linked = AppTest.from_file(page_path("incrementality"), default_timeout=120)
    linked.query_params["inc_breakdown"] = "product"
    linked.run()
    assert linked.radio(key="inc_breakdown").value == "product"
