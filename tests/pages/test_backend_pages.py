"""Campaign pages reading a configured backend's daily sums (README "Scale out"), and bad backend settings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipeline.filters import CampaignFilter, InfluencerFilter, apply_influencer_filter
from pipeline.influencers import incrementality as inc
from pipeline.inputs import demo
from tests.pages.conftest import page_path
from tests.pages.test_overview_page import assert_kpis_match, expected_comparison
from ui import format as fmt


def run(page: str) -> AppTest:
    return AppTest.from_file(page_path(page), default_timeout=120).run()


@pytest.fixture
def duckdb_backend(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANALYTICS_BACKEND", "duckdb")
    monkeypatch.setenv("ANALYTICS_CAMPAIGNS_TABLE", str(demo_dir / "campaigns.csv"))
    return demo_dir


def test_overview_shows_the_backend_sums_with_the_same_kpis(duckdb_backend: Path) -> None:
    at = run("overview")
    assert not at.exception and not at.error
    assert_kpis_match(at, expected_comparison(demo.read_campaigns(duckdb_backend), CampaignFilter()))
    assert any("daily sums from duckdb" in caption.value for caption in at.caption)
    at.multiselect(key="cf_platform").set_value(["TikTok"]).run()
    assert not at.exception
    spec = CampaignFilter(platforms=("TikTok",))
    assert_kpis_match(at, expected_comparison(demo.read_campaigns(duckdb_backend), spec))


def test_segments_page_runs_on_the_backend_sums(duckdb_backend: Path) -> None:
    at = run("segments")
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) >= 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ANALYTICS_BACKEND": "postgres", "ANALYTICS_BACKEND_URL": "postgresql://nobody@127.0.0.1:1/none"}, ""),
        ({"ANALYTICS_BACKEND": "oracle"}, "Unknown backend"),
        ({"ANALYTICS_BACKEND": "duckdb", "ANALYTICS_CAMPAIGNS_TABLE": "/nonexistent/campaigns.parquet"}, ""),
    ],
)
def test_an_unusable_backend_says_so_and_the_demo_data_stays(
    settings: dict[str, str], message: str, demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    at = run("overview")
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in errors[0]
    assert "Showing the demo data instead" in errors[0] or "Using the local data instead" in errors[0]
    assert_kpis_match(at, expected_comparison(demo.read_campaigns(demo_dir), CampaignFilter()))
    assert isinstance(at.get("plotly_chart")[0].proto.spec, str)
    assert pd.notna(at.metric[0].value)


def metric_value(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def backend_failed(at: AppTest) -> bool:
    """An error box saying the backend could not be used (a below-break-even verdict is an error box too)."""
    return any("instead" in error.value for error in at.error)


def test_incrementality_page_computes_in_the_backend_with_the_local_iroas(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    st.cache_data.clear()
    local = run("incrementality")
    assert not local.exception and not any("Computed in" in caption.value for caption in local.caption)
    monkeypatch.setenv("ANALYTICS_BACKEND", "duckdb")
    monkeypatch.setenv("ANALYTICS_TRACKING_TABLE", str(demo_dir))
    at = run("incrementality")
    assert not at.exception and not backend_failed(at)
    assert metric_value(at, "iROAS") == metric_value(local, "iROAS")
    source = "Computed in duckdb from per-group sums; interval: normal approximation."
    assert any(caption.value == source for caption in at.caption)
    assert any("Not available when the data is in duckdb" in info.value for info in at.info)

    at.multiselect(key="if_platform").set_value(["YouTube"]).run()
    assert not at.exception and not backend_failed(at)
    tables = demo.read_influencer_tables(demo_dir)
    scoped = apply_influencer_filter(tables, InfluencerFilter(platforms=("YouTube",)))
    expected = inc.analyse(scoped["tracking"], scoped["payouts"], reference=tables["tracking"], breakdowns=())
    assert metric_value(at, "iROAS") == fmt.precise_multiple(expected.overall.iroas)
    assert metric_value(at, "iROAS") != metric_value(local, "iROAS")


def test_an_unusable_tracking_table_says_so_and_the_local_report_stays(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYTICS_BACKEND", "duckdb")
    monkeypatch.setenv("ANALYTICS_TRACKING_TABLE", "/nonexistent/tracking_data.parquet")
    st.cache_data.clear()
    at = run("incrementality")
    assert not at.exception
    failures = [error.value for error in at.error if "instead" in error.value]
    assert failures == [
        "There is no file at /nonexistent/tracking_data.parquet. Showing the local tracking data instead."
    ]
    tables = demo.read_influencer_tables(demo_dir)
    expected = inc.analyse(tables["tracking"], tables["payouts"], breakdowns=()).overall
    assert metric_value(at, "iROAS") == fmt.precise_multiple(expected.iroas)
    assert not any("Computed in" in caption.value for caption in at.caption)
