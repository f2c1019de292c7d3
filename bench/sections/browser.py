"""Headless Chromium (Playwright) against a real server: time to the first KPI, and from a filter click to new KPIs."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.measure import stats
from bench.sections.common import DEMO_ROWS, NOT_AVAILABLE
from bench.server import CHROMIUM, CHROMIUM_ARGS, running_server

METRIC_VALUE = '[data-testid="stMetricValue"]'
BROWSER_TIMEOUT_MS = 90_000
# True once the Spend tile's value differs from the text it had before the click.
SPEND_CHANGED_JS = (
    "([sel, old]) => { const m = [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
    ".find(e => e.innerText.includes('Spend')); return !!m && m.querySelector(sel).innerText !== old; }"
)


def bench_browser(runs: int, data_dir: Path) -> dict[str, Any]:
    """Time to the first KPI tile in headless Chromium, and from a filter click to the updated KPI."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        return {"status": NOT_AVAILABLE, "reason": f"{CHROMIUM} not installed (make browser)"}
    first_kpi: list[float] = []
    click_to_kpi: list[float] = []
    failures: list[str] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(data_dir, Path(tmp) / "server.log") as server,
        sync_playwright() as driver,
    ):
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for i in range(runs + 1):  # the first visit warms the server's cache and is not counted
                try:
                    loaded, clicked = _browser_visit(browser, server.url)
                except PlaywrightError as exc:  # a slow shared machine can time out one visit; count it
                    failures.append(f"visit {i}: {str(exc).splitlines()[0]}")
                    continue
                if i > 0:
                    first_kpi.append(loaded)
                    click_to_kpi.append(clicked)
        finally:
            browser.close()
    return {
        "first_kpi_visible": stats(first_kpi),
        "filter_click_to_kpi": stats(click_to_kpi),
        "failed_visits": failures,
        "data_rows": DEMO_ROWS,
    }


def _browser_visit(browser: Any, url: str) -> tuple[float, float]:
    """One fresh session: (seconds to the first visible KPI, seconds from removing a platform to a new Spend)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(METRIC_VALUE, state="visible")
        loaded = time.perf_counter() - started
        spend = page.locator('[data-testid="stMetric"]').filter(has_text="Spend").first.locator(METRIC_VALUE)
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached")
        before = spend.inner_text()
        platform_box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]')
        remove = platform_box.filter(has_text="Platform").first.get_by_role("button", name="Remove ").first
        started = time.perf_counter()
        remove.click()
        page.wait_for_function(SPEND_CHANGED_JS, arg=[METRIC_VALUE, before])
        return loaded, time.perf_counter() - started
    finally:
        context.close()
