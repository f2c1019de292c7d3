"""The team's workspace in a real browser: keep an upload, reload the page (a new session), switch to the kept
data, and open a shared link on it. The Data page with two kept datasets is saved as screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.server import running_server
from pipeline import kpis
from pipeline.inputs.ingest import load
from pipeline.workspace.store import Workspace
from tests.e2e.conftest import ROOT, UI_TIMEOUT_MS, wait_until_idle
from tests.e2e.test_browser import metric, save_screenshot
from ui import format as fmt

pytestmark = pytest.mark.e2e

EXPORTS = ROOT / "tests" / "fixtures" / "exports"


@pytest.fixture(scope="module")
def workspace_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace") / "workspace.duckdb"


@pytest.fixture(scope="module")
def server_url(demo_dir: Path, workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own, with its own workspace file: the shared server's Data page stays without kept data."""
    root = tmp_path_factory.mktemp("workspace-server")
    extra = {"APP_WORKSPACE": str(workspace_file)}
    with running_server(demo_dir, root / "streamlit.log", models_dir=root / "models", extra_env=extra) as server:
        yield server.url


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def open_data_page(page: object, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_until_idle(page)


def in_use(page: object) -> object:
    return page.get_by_text("In use for this session:")


def upload_use_and_keep(page: object, export: str, name: str, shot: Path | None = None) -> None:
    """Upload a campaign export on the Data page, use it, and keep it under `name` (screenshot before keeping)."""
    uploader = page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]')
    uploader.set_input_files(str(EXPORTS / export))
    expect(page.get_by_text(f"{export}: read as campaign performance")).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_until_idle(page)
    page.locator('[data-testid="stTabs"]').get_by_role("button", name="Use this data").click()
    expect(in_use(page)).to_contain_text(f"campaigns from {export}")
    box = page.get_by_label("Name for the data in use")
    box.fill(name)
    box.press("Enter")
    wait_until_idle(page)
    if shot is not None:
        save_screenshot(page, shot)
    page.get_by_role("button", name="Keep this data in the workspace").click()
    expect(page.get_by_text(f"Kept “{name}” in the workspace")).to_be_visible()
    expect(in_use(page)).to_contain_text(f"campaigns from {name} (kept)")
    wait_until_idle(page)


def card(page: object, workspace_file: Path, name: str) -> object:
    """The kept dataset's card (its container carries the dataset's id as a key)."""
    [record] = [r for r in Workspace(workspace_file).datasets() if r.name == name]
    return page.locator(f".st-key-ws_card_{record.id}")


def test_keep_reload_and_switch_to_it(page: object, server_url: str, workspace_file: Path) -> None:
    open_data_page(page, f"{server_url}/data")
    upload_use_and_keep(page, "meta_ads_manager.csv", "Meta March")
    [record] = Workspace(workspace_file).datasets()
    expect(page).to_have_url(f"{server_url}/data?dataset={record.id}")

    open_data_page(page, f"{server_url}/data")  # a reload without the link: a new session, on the demo data
    expect(in_use(page)).to_contain_text("campaigns from demo data")
    meta = card(page, workspace_file, "Meta March")
    expect(meta).to_contain_text(f"meta_ads_manager.csv · {record.rows} rows")
    meta.get_by_role("button", name="Use this data").click()
    expect(in_use(page)).to_contain_text("campaigns from Meta March (kept)")
    expect(page).to_have_url(f"{server_url}/data?dataset={record.id}")

    spend = fmt.tile_value("spend", kpis.kpi_totals(load.ingest(EXPORTS / "meta_ads_manager.csv").frame)["spend"])
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Campaign overview").click()
    # One day of data: the last 28 days hold all of it.
    expect(metric(page, "Spend")).to_have_text(spend, timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("Source: Meta March (kept)")).to_be_visible()

    shared = page.context.new_page()  # a colleague opens the link: their own session, the same data
    shared.goto(f"{server_url}/?dataset={record.id}")
    expect(metric(shared, "Spend")).to_have_text(spend, timeout=UI_TIMEOUT_MS)
    shared.close()


def test_two_kept_datasets_on_the_data_page(
    page: object, server_url: str, workspace_file: Path, screenshots: Path
) -> None:
    open_data_page(page, f"{server_url}/data")
    if not [r for r in Workspace(workspace_file).datasets() if r.name == "Meta March"]:
        upload_use_and_keep(page, "meta_ads_manager.csv", "Meta March")
    open_data_page(page, f"{server_url}/data")
    upload_use_and_keep(page, "tiktok_ads_manager.csv", "TikTok April", screenshots / "data_workspace_keep.png")
    names = [record.name for record in Workspace(workspace_file).datasets()]
    assert names[:2] == ["TikTok April", "Meta March"]  # newest first
    save_screenshot(page, screenshots / "data_workspace_two_kept.png")
    card(page, workspace_file, "Meta March").get_by_role("button", name="Rename").click()
    expect(page.get_by_label("New name").last).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "data_workspace_rename.png"))
    page.keyboard.press("Escape")
    card(page, workspace_file, "Meta March").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("for everyone?")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "data_workspace_delete.png"))
