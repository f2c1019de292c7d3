"""Two platform exports uploaded together in a real browser: used as one table, the Campaign overview over the whole
range shows both platforms and totals equal to the two files' sums. Screenshots of the Data page and the Overview
are saved."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from pipeline import kpis
from pipeline.inputs.ingest import load
from tests.e2e.conftest import UI_TIMEOUT_MS, wait_until_idle
from tests.e2e.test_browser import metric, save_screenshot
from ui import format as fmt

pytestmark = pytest.mark.e2e

FILES = ("meta_ads.csv", "tiktok_ads.csv")
TOTALS = ("spend", "impressions", "clicks", "conversions", "revenue")


@pytest.fixture(scope="module")
def exports(shared_data: Path) -> dict[str, Path]:
    return {name: shared_data / "peers" / "campaign-perf" / name for name in FILES}


@pytest.fixture(scope="module")
def expected(exports: dict[str, Path]) -> dict[str, dict[str, float]]:
    """Σ of each measure per file, and over both ("all"), from each file on its own through ingest."""
    sums = {name: kpis.kpi_totals(load.ingest(path).frame) for name, path in exports.items()}
    sums["all"] = {key: sum(sums[name][key] for name in FILES) for key in TOTALS}
    return sums


def test_two_exports_used_together_show_both_platforms_and_their_summed_totals(
    app_page: object, app_url: str, exports: dict[str, Path], expected: dict, screenshots: Path
) -> None:
    page = app_page
    page.goto(f"{app_url}/data")
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_until_idle(page)
    uploader = page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]')
    uploader.set_input_files([str(path) for path in exports.values()])
    for name in FILES:
        expect(page.get_by_text(f"{name}: campaign performance")).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_until_idle(page)
    page.locator('[data-testid="stTabs"]').get_by_role("button", name="Use these files").click()
    expect(page.get_by_text("In use for this session:")).to_contain_text(f"campaigns from {', '.join(FILES)}")
    wait_until_idle(page)
    save_screenshot(page, screenshots / "combine_data_page.png")

    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Campaign overview").click()
    expect(page.get_by_role("button", name="Whole range")).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_until_idle(page)
    page.get_by_role("button", name="Whole range").click()
    wait_until_idle(page)
    for key in TOTALS:  # the tiles: compact values of the two files' sums
        expect(metric(page, fmt.label(key))).to_have_text(fmt.tile_value(key, expected["all"][key]))
    save_screenshot(page, screenshots / "combine_overview.png")
    spend_tile = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=fmt.label("spend"))
    )
    spend_tile.first.locator('[data-testid="stTooltipHoverTarget"]').first.hover()  # the exact figure
    expect(page.get_by_test_id("stTooltipContent")).to_contain_text(fmt.metric_value("spend", expected["all"]["spend"]))

    # The "Meta vs TikTok" table's download: each platform's exact sums are its own file's.
    button = page.locator(".st-key-download_meta-vs-tiktok").get_by_role("button")
    with page.expect_download() as download:
        button.click()
    side = pd.read_csv(download.value.path()).set_index("metric")
    for key in TOTALS:
        assert side.loc[key, "Meta"] == pytest.approx(expected["meta_ads.csv"][key]), key
        assert side.loc[key, "TikTok"] == pytest.approx(expected["tiktok_ads.csv"][key]), key
