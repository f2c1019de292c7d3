"""Browser: the Media mix page opens on the pre-fitted demo model, shows its four tiles, and every tab draws its
chart; the response curve follows the chosen channel. Each tab is saved as a screenshot for a human to review."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from pipeline.modeling import mmm
from pipeline.modeling.mmm_fit import SamplerSettings
from tests.e2e.conftest import wait_until_idle
from tests.e2e.test_browser import METRIC_VALUE, metric, save_screenshot
from ui import format as fmt
from ui.layout import CHART_FAILED

pytestmark = pytest.mark.e2e

# Each tab and the title of the chart it draws (ui/charts/mmm.py).
TAB_TITLES = {
    "Contribution": "Revenue per day: baseline and what each channel added",
    "ROAS": "Return per dollar, with 90% intervals",
    "Response curves": "revenue per day at a steady daily spend",
    "Carryover": "Carryover: how a day's spend keeps working",
    "Fit": "Actual vs predicted revenue per day",
    "Three ways to measure": "Three ways to measure ROAS",
}
CURVE_TITLE = "{channel}: revenue per day at a steady daily spend"
FAILED_CHART = CHART_FAILED.split(" (", 1)[0]  # "This chart could not be drawn"


@pytest.fixture(scope="module")
def fitted(demo_dir: Path, mmm_models_dir: Path) -> mmm.MmmPosterior:
    """The fit the server loads (the same artifact, copied into its models folder)."""
    dataset = mmm.dataset_from_folder(demo_dir)
    posterior = mmm.cached_fit(mmm_models_dir, dataset, SamplerSettings.from_environment())
    assert posterior is not None
    return posterior


def expected_tiles(posterior: mmm.MmmPosterior) -> dict[str, str]:
    result = mmm.summary(posterior)
    return {
        "Revenue in the period": fmt.compact(float(posterior.revenue.sum()), "$"),
        "Baseline share": fmt.percent(result["baseline_share"], 1),
        "Held-out error": fmt.percent(result["fit"]["holdout_mape"], 1),
        "Fit on seen days (R²)": f"{result['fit']['r2']:.2f}",
    }


def shown_panel(page: object) -> object:
    """The tab panel on screen (Streamlit keeps the others in the page, hidden)."""
    return page.locator('[data-testid="stTabs"] [role="tabpanel"]:visible')


def open_tab(page: object, name: str) -> object:
    """Click the tab `name` and wait for its plotly chart to be drawn; returns the panel."""
    page.get_by_role("tab", name=name, exact=True).click()
    panel = shown_panel(page)
    expect(panel).to_have_count(1)
    expect(panel.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
    return panel


def chart_titles(panel: object) -> list[str]:
    return panel.locator('[data-testid="stPlotlyChart"] .gtitle').all_text_contents()


def assert_no_errors(page: object) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.get_by_text(FAILED_CHART)).to_have_count(0)


def open_media_mix(page: object, url: str) -> None:
    page.goto(f"{url}/media_mix")
    expect(page.get_by_role("heading", name="Media mix")).to_be_visible(timeout=120_000)
    page.wait_for_selector(METRIC_VALUE, timeout=180_000)  # a progress bar first if the fit were not cached
    wait_until_idle(page)


def test_every_tab_draws_its_chart(app_page: object, app_url: str, fitted: mmm.MmmPosterior, screenshots: Path) -> None:
    page = app_page
    open_media_mix(page, app_url)
    for label, value in expected_tiles(fitted).items():
        expect(metric(page, label)).to_have_text(value)
    expect(page.get_by_text("Calibrated with the lift test: Influencers")).to_be_visible()
    for position, (tab, title) in enumerate(TAB_TITLES.items(), start=1):
        panel = open_tab(page, tab)
        expect(panel.locator('[data-testid="stPlotlyChart"] .gtitle').filter(has_text=title)).to_have_count(1)
        assert_no_errors(page)
        slug = tab.lower().replace(" ", "-")
        save_screenshot(page, screenshots / f"media-mix-{position}-{slug}.png")


def test_the_response_curve_follows_the_chosen_channel(
    app_page: object, app_url: str, fitted: mmm.MmmPosterior, screenshots: Path
) -> None:
    page = app_page
    first, other = fitted.channels[0], fitted.channels[-1]
    open_media_mix(page, app_url)
    panel = open_tab(page, "Response curves")
    assert chart_titles(panel) == [CURVE_TITLE.format(channel=first)]
    panel.locator('[data-testid="stSelectbox"]').filter(has_text="Channel").click()
    page.get_by_role("option", name=other, exact=True).click()
    wait_until_idle(page)
    panel = open_tab(page, "Response curves")  # the rerun may bring back the first tab
    expect(panel.locator(".gtitle")).to_have_text([CURVE_TITLE.format(channel=other)])
    assert_no_errors(page)
    save_screenshot(page, screenshots / f"media-mix-3-response-curves-{other.lower()}.png")
