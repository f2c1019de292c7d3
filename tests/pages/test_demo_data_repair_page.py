"""A page pointed at a corrupt demo folder regenerates it, says so in a warning, and renders its KPIs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline import config
from pipeline.inputs import demo
from tests.pages.conftest import page_path

KPI_TILES = 11  # spend, impressions, clicks, conversions, revenue, ctr, cvr, cpc, cpa, cpm, roas


@pytest.fixture
def folder(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo folder that the app reads (APP_DATA_DIR)."""
    copy = Path(shutil.copytree(demo_dir, tmp_path / "data"))
    monkeypatch.setenv("APP_DATA_DIR", str(copy))
    return copy


def run_overview() -> AppTest:
    return AppTest.from_file(page_path("overview"), default_timeout=180).run()


def assert_repaired_and_rendered(at: AppTest, folder: Path, broken_file: str) -> None:
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"{folder / broken_file} ")
    assert "The demo data was regenerated" in warnings[0]
    assert len(at.metric) == KPI_TILES
    assert all(m.value not in ("", "—") for m in at.metric)
    assert demo.demo_data_problem(folder) is None
    aside = list(folder.glob(f"{demo.CORRUPT_PREFIX}*"))
    assert len(aside) == 1 and (aside[0] / broken_file).is_file()


def test_a_truncated_campaigns_csv_is_regenerated_with_a_warning(folder: Path) -> None:
    campaigns = folder / config.CAMPAIGNS_FILE
    campaigns.write_bytes(campaigns.read_bytes()[:100_000])

    at = run_overview()

    assert_repaired_and_rendered(at, folder, config.CAMPAIGNS_FILE)
    assert "truncated" in at.warning[0].value
    # the next run uses the repaired data quietly
    at.run()
    assert not at.exception and not at.warning and len(at.metric) == KPI_TILES


def test_a_bad_value_mid_file_is_caught_by_the_loader_and_regenerated(folder: Path) -> None:
    """The quick check cannot see it; the validated read does, and the page still renders."""
    campaigns = folder / config.CAMPAIGNS_FILE
    frame = pd.read_csv(campaigns, dtype=str)
    frame.loc[len(frame) // 2, "spend"] = "n/a (export error)"
    frame.to_csv(campaigns, index=False, lineterminator="\n")
    assert demo.quick_demo_data_problem(folder) is None

    at = run_overview()

    assert_repaired_and_rendered(at, folder, config.CAMPAIGNS_FILE)
    assert "wrong type in column 'spend'" in at.warning[0].value
