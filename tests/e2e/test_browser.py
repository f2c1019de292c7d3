"""The dashboard in a real browser: KPIs appear, filters change them, state survives page switches and
links, uploads switch the data. Each page is also saved as a full-page screenshot for a human to look at."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pytest
from playwright.sync_api import expect

from bench.server import running_server
from pipeline import kpis
from pipeline.filters import CampaignFilter, apply_campaign_filter
from pipeline.influencers import attribution as im
from pipeline.inputs.demo import read_campaigns, read_influencer_tables
from pipeline.inputs.ingest import load
from tests.e2e.conftest import ROOT, wait_until_idle
from ui import format as fmt

pytestmark = pytest.mark.e2e

METRIC_VALUE = '[data-testid="stMetricValue"]'


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> pd.DataFrame:
    return read_campaigns(demo_dir)


def expected_spend(frame: pd.DataFrame, spec: CampaignFilter) -> str:
    """The Spend tile's text for a filter, computed with the pipeline; with no dates in `spec`, for the dates the
    overview opens on (the data's last 28 days)."""
    default = kpis.recent_period(frame["date"].min(), frame["date"].max())
    start, end = spec.start or default.start, spec.end or default.end
    undated = apply_campaign_filter(frame, replace(spec, start=None, end=None))
    table = kpis.compare_periods(undated, kpis.Period(start, end)).set_index("metric")
    return fmt.tile_value("spend", table.loc["spend", "current"])


def metric(page: object, label: str) -> object:
    """The value element of the st.metric whose label is exactly `label`."""
    tile = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return tile.first.locator(METRIC_VALUE)


def open_page(page: object, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(METRIC_VALUE)
    wait_until_idle(page)


def sidebar_multiselect(page: object, label: str) -> object:
    return page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text=label).first


def save_screenshot(page: object, path: Path) -> None:
    """A full-page screenshot: Streamlit scrolls inside its main container, so grow the window to fit it."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
    page.wait_for_timeout(800)  # charts re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def go_to(page: object, title: str) -> None:
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=title).click()
    page.wait_for_selector(METRIC_VALUE)
    wait_until_idle(page)


def test_open_the_app_and_see_kpis(app_page: object, app_url: str, demo: pd.DataFrame, screenshots: Path) -> None:
    open_page(app_page, app_url)
    expect(app_page.get_by_role("heading", name="Campaign overview")).to_be_visible()
    expect(metric(app_page, "Spend")).to_have_text(expected_spend(demo, CampaignFilter()))
    expect(app_page.locator(METRIC_VALUE)).to_have_count(11)
    app_page.wait_for_selector(".js-plotly-plot")
    save_screenshot(app_page, screenshots / "overview.png")


def test_the_whole_range_is_one_click_away(app_page: object, app_url: str, demo: pd.DataFrame) -> None:
    open_page(app_page, app_url)
    expect(app_page.locator('[data-testid="stMetricDelta"]')).to_have_count(11)  # last 28 days vs the 28 before
    app_page.get_by_role("button", name="Whole range").click()
    first, last = demo["date"].min(), demo["date"].max()
    expect(metric(app_page, "Spend")).to_have_text(expected_spend(demo, CampaignFilter(start=first, end=last)))
    expect(app_page.locator('[data-testid="stMetricDelta"]')).to_have_count(0)  # nothing before the data's start
    assert f"cf_dates={first:%Y-%m-%d}~{last:%Y-%m-%d}" in app_page.url.replace("%7E", "~")


def test_changing_a_filter_changes_the_kpi(app_page: object, app_url: str, demo: pd.DataFrame) -> None:
    open_page(app_page, app_url)
    before = metric(app_page, "Spend").inner_text()
    sidebar_multiselect(app_page, "Platform").get_by_role("button", name="Remove Meta").click()
    expected = expected_spend(demo, CampaignFilter(platforms=("Instagram", "TikTok")))
    expect(metric(app_page, "Spend")).to_have_text(expected)
    assert expected != before
    assert "cf_platform=Instagram~TikTok" in app_page.url.replace("%7E", "~")


def test_filter_state_survives_page_switches(
    app_page: object, app_url: str, demo: pd.DataFrame, demo_dir: Path, screenshots: Path
) -> None:
    open_page(app_page, app_url)
    sidebar_multiselect(app_page, "Platform").get_by_role("button", name="Remove Instagram").click()
    expected = expected_spend(demo, CampaignFilter(platforms=("Meta", "TikTok")))
    expect(metric(app_page, "Spend")).to_have_text(expected)

    go_to(app_page, "Influencers")
    expect(app_page.get_by_role("heading", name="Influencers", exact=True)).to_be_visible()
    tables = read_influencer_tables(demo_dir)
    revenue = im.key_metrics(im.influencer_summary(tables))["revenue"]
    expect(metric(app_page, "Attributed revenue").first).to_have_text(fmt.tile_value("revenue", revenue))
    app_page.wait_for_selector(".js-plotly-plot")
    save_screenshot(app_page, screenshots / "influencers.png")

    go_to(app_page, "Campaign overview")
    expect(metric(app_page, "Spend")).to_have_text(expected)
    platform = sidebar_multiselect(app_page, "Platform")
    expect(platform.get_by_role("button", name="Remove Instagram")).to_have_count(0)
    expect(platform.get_by_role("button", name="Remove Meta")).to_have_count(1)


def test_a_shared_link_opens_the_same_view(app_page: object, app_url: str, demo: pd.DataFrame) -> None:
    query = urlencode({"cf_platform": "TikTok", "cf_dates": "2025-03-01~2025-03-31"})
    open_page(app_page, f"{app_url}/?{query}")
    spec = CampaignFilter(start=pd.Timestamp("2025-03-01"), end=pd.Timestamp("2025-03-31"), platforms=("TikTok",))
    expect(metric(app_page, "Spend")).to_have_text(expected_spend(demo, spec))
    platform = sidebar_multiselect(app_page, "Platform")
    expect(platform.get_by_role("button", name="Remove TikTok")).to_have_count(1)
    expect(platform.get_by_role("button", name="Remove Meta")).to_have_count(0)


def test_upload_a_file_and_use_it(app_page: object, app_url: str, screenshots: Path) -> None:
    export = ROOT / "tests" / "fixtures" / "exports" / "meta_ads_manager.csv"
    result = load.ingest(export)
    app_page.goto(f"{app_url}/data")
    expect(app_page.get_by_role("heading", name="Data", exact=True)).to_be_visible()
    app_page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]').set_input_files(str(export))
    expect(app_page.get_by_text("meta_ads_manager.csv: read as campaign performance")).to_be_visible()
    wait_until_idle(app_page)
    save_screenshot(app_page, screenshots / "data.png")
    app_page.get_by_role("button", name="Use this data").click()
    expect(app_page.get_by_text("Now using meta_ads_manager.csv")).to_be_visible()

    go_to(app_page, "Campaign overview")
    spend = kpis.kpi_totals(result.frame)["spend"]  # one day of data: the last 28 days hold all of it
    expect(metric(app_page, "Spend")).to_have_text(fmt.tile_value("spend", spend))
    expect(app_page.get_by_text("Source: meta_ads_manager.csv")).to_be_visible()


def test_a_bad_upload_keeps_the_demo_data(app_page: object, app_url: str, demo: pd.DataFrame, tmp_path: Path) -> None:
    bad = tmp_path / "report.csv"
    bad.write_bytes(b"<html><body>Session expired</body></html>")
    app_page.goto(f"{app_url}/data")
    app_page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]').set_input_files(str(bad))
    expect(app_page.locator('[data-testid="stAlertContentError"]')).to_contain_text("report.csv: This file is an HTML")
    go_to(app_page, "Campaign overview")
    expect(metric(app_page, "Spend")).to_have_text(expected_spend(demo, CampaignFilter()))


def test_download_the_filtered_rows(app_page: object, app_url: str, demo: pd.DataFrame) -> None:
    open_page(app_page, f"{app_url}/?cf_platform=Meta")
    with app_page.expect_download() as download:
        app_page.get_by_role("button", name="Download the filtered rows").click()
    rows = pd.read_csv(download.value.path())
    default = kpis.recent_period(demo["date"].min(), demo["date"].max())  # the dates the overview opens on
    expected = apply_campaign_filter(demo, CampaignFilter(start=default.start, end=default.end, platforms=("Meta",)))
    assert download.value.suggested_filename == "filtered-campaign-data.csv"
    assert len(rows) == len(expected)
    assert set(rows["platform"]) == {"Meta"}
    assert rows["spend"].sum() == pytest.approx(expected["spend"].sum())


def test_a_page_url_as_the_first_visit_gets_the_apps_navigation(
    chromium: object, demo_dir: Path, tmp_path: Path, screenshots: Path
) -> None:
    """A fresh server whose first visitor opens a page's URL (a bookmark, a shared filtered link) shows that page
    under app.py's navigation, not Streamlit's file list (app, data, ...)."""
    with running_server(demo_dir, tmp_path / "server.log", models_dir=tmp_path / "models") as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        try:
            page.goto(f"{server.url}/incrementality")
            links = page.locator('[data-testid="stSidebarNavLink"]')
            expect(links.filter(has_text="Campaign overview")).to_have_count(1, timeout=60_000)
            expect(page.locator("h1").first).to_contain_text("Incrementality", timeout=60_000)
            assert "app" not in [text.strip() for text in links.all_inner_texts()]
            assert page.url.endswith("/incrementality")
            wait_until_idle(page)
            save_screenshot(page, screenshots / "deep-link-incrementality.png")
        finally:
            page.close()
