"""Browser tests: a real Streamlit server on a free loopback port, driven by Debian's chromium via Playwright.

No browser is ever downloaded: Playwright launches /usr/bin/chromium directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.server import CHROMIUM, CHROMIUM_ARGS, running_server
from tests.conftest import copy_mmm_fit

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
# The first run of a page loads and rolls up the demo data; later reruns are fast.
UI_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def app_url(demo_dir: Path, mmm_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A headless Streamlit server on the small demo set; stopped through its process handle.

    Its models folder starts with the demo's media mix fit, so the server loads it instead of fitting in the
    background while the other browser tests run (and the Media mix page opens ready)."""
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    models_dir = copy_mmm_fit(mmm_models_dir, tmp_path_factory.mktemp("models"))
    with running_server(demo_dir, log, models_dir=models_dir) as server:
        yield server.url


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()
        driver.stop()


@pytest.fixture
def app_page(chromium: object, app_url: str) -> Iterator[object]:
    """A fresh browser context (its own Streamlit session) with a desktop-sized window."""
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def wait_until_idle(page: object, timeout_ms: int = 60_000) -> None:
    """Wait for the script run to finish (Streamlit's running indicator disappears): until then the page may
    still show the previous run's elements beside the new ones."""
    page.wait_for_timeout(300)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=timeout_ms)
