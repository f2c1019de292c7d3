"""Campaign pages reading a configured backend's daily sums (README "Scale out"), and bad backend settings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline import datasets
from pipeline.filters import CampaignFilter
from tests.pages.conftest import page_path
from tests.pages.test_overview_page import assert_kpis_match, expected_comparison


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
    assert_kpis_match(at, expected_comparison(datasets.read_campaigns(duckdb_backend), CampaignFilter()))
    assert any("daily sums from duckdb" in caption.value for caption in at.caption)
    at.multiselect(key="cf_platform").set_value(["TikTok"]).run()
    assert not at.exception
    spec = CampaignFilter(platforms=("TikTok",))
    assert_kpis_match(at, expected_comparison(datasets.read_campaigns(duckdb_backend), spec))


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
    assert_kpis_match(at, expected_comparison(datasets.read_campaigns(demo_dir), CampaignFilter()))
    assert isinstance(at.get("plotly_chart")[0].proto.spec, str)
    assert pd.notna(at.metric[0].value)
