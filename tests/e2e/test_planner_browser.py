"""Browser: the Planner opens on the budget plan (every mode's figures as the pipeline computes them, a screenshot
of each), saves two scenarios and compares them; its second tab still runs the per-line optimiser."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from pipeline.modeling import mmm, mmm_scenarios
from pipeline.modeling.mmm_fit import MmmPosterior, SamplerSettings
from pipeline.modeling.mmm_optimize import optimize
from pipeline.modeling.mmm_plan import compare, score_plan, window_model
from pipeline.modeling.mmm_window import make_window
from pipeline.modeling.plan_terms import DEFAULT_DAYS, MODE_LABELS, MODES
from tests.e2e.conftest import wait_until_idle
from tests.e2e.test_browser import METRIC_VALUE, metric, save_screenshot
from ui import format as fmt

pytestmark = pytest.mark.e2e

UPLIFT = "The optimised plan is predicted to bring"
SCREENSHOT = "planner_browser_{name}.png"


@pytest.fixture(scope="module")
def fitted(demo_dir: Path, mmm_models_dir: Path) -> MmmPosterior:
    """The fit the server loads (the same artifact, copied into its models folder)."""
    posterior = mmm.cached_fit(mmm_models_dir, mmm.dataset_from_folder(demo_dir), SamplerSettings.from_environment())
    assert posterior is not None
    return posterior


def open_planner(page: object, url: str) -> None:
    page.goto(f"{url}/planner")
    expect(page.get_by_role("heading", name="Planner")).to_be_visible(timeout=180_000)
    page.wait_for_selector(METRIC_VALUE, timeout=180_000)  # a progress bar first if the fit were not loaded yet
    wait_until_idle(page)


def assert_no_errors(page: object) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)


def test_every_budget_plan_mode_shows_the_pipeline_figures(
    app_page: object, app_url: str, fitted: MmmPosterior, screenshots: Path
) -> None:
    page = app_page
    open_planner(page, app_url)
    model = window_model(fitted, make_window(fitted, DEFAULT_DAYS))
    budget = float(round(mmm_scenarios.default_budget(fitted, DEFAULT_DAYS)))
    for mode in MODES:
        if mode != MODES[0]:
            page.get_by_text(MODE_LABELS[mode], exact=True).click()
            wait_until_idle(page)
        summary = score_plan(model, optimize(model, mode, budget).totals).summary
        expect(metric(page, "Incremental revenue")).to_have_text(fmt.compact(summary["predicted_revenue"], "$"))
        expect(metric(page, "Budget")).to_have_text(fmt.compact(summary["budget"], "$"))
        expect(metric(page, "ROAS")).to_have_text(fmt.multiple(summary["roas"]))
        assert_no_errors(page)
        save_screenshot(page, screenshots / SCREENSHOT.format(name=mode))
    expect(page.get_by_role("tab", name="Budget plan", exact=True)).to_have_attribute("aria-selected", "true")


def save_scenario(page: object, name: str) -> None:
    page.get_by_label("Scenario name").fill(name)
    page.get_by_label("Scenario name").press("Enter")
    wait_until_idle(page)
    page.get_by_role("button", name="Save this plan").click()
    expect(page.get_by_text(f"Saved “{name}”.")).to_be_visible()
    wait_until_idle(page)


def test_save_two_scenarios_and_compare_them(
    app_page: object, app_url: str, fitted: MmmPosterior, screenshots: Path
) -> None:
    page = app_page
    open_planner(page, app_url)
    budget = float(round(mmm_scenarios.default_budget(fitted, DEFAULT_DAYS)))
    save_scenario(page, "Browser steady")
    page.get_by_label("Budget over the window ($)").fill(f"{2 * budget:.0f}")
    page.get_by_label("Budget over the window ($)").press("Enter")
    wait_until_idle(page)
    save_scenario(page, "Browser push")
    model = window_model(fitted, make_window(fitted, DEFAULT_DAYS))
    steady, push = (score_plan(model, optimize(model, "budget", amount).totals) for amount in (budget, 2 * budget))
    versus = compare(steady, push)
    expect(metric(page, "P(B brings more than A)")).to_have_text(
        mmm_scenarios.chance_text(versus["probability_b_beats_a"])
    )
    expect(metric(page, "B − A incremental revenue")).to_have_text(fmt.compact(versus["difference"], "$"))
    assert "scenario=" in page.url  # the saved scenario's link
    assert_no_errors(page)
    save_screenshot(page, screenshots / SCREENSHOT.format(name="scenarios"))


def test_optimise_a_plan_for_conversions(app_page: object, app_url: str) -> None:
    page = app_page
    page.goto(f"{app_url}/planner")
    expect(page.get_by_role("heading", name="Planner")).to_be_visible(timeout=180_000)  # may train first
    wait_until_idle(page, timeout_ms=180_000)
    page.get_by_role("tab", name="Per-line forecast", exact=True).click()
    wait_until_idle(page, timeout_ms=180_000)
    page.get_by_role("tab", name="Optimiser").click()
    expect(page.get_by_text(UPLIFT)).to_contain_text("revenue", timeout=120_000)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Maximise").click()
    page.get_by_role("option", name="conversions").click()
    sentence = page.get_by_text(UPLIFT).filter(has_text="conversions")
    expect(sentence).to_have_count(1, timeout=60_000)
    wait_until_idle(page)
    page.get_by_role("tab", name="Optimiser").click()  # the rerun may bring back the first sub-tab
    expect(sentence).to_be_visible(timeout=60_000)
    expect(page.get_by_text(UPLIFT)).to_have_count(1, timeout=60_000)  # the stale revenue sentence is gone
    expect(sentence).to_contain_text("than your current plan for the same budget")
    expect(page.get_by_role("tab", name="Per-line forecast", exact=True)).to_have_attribute("aria-selected", "true")
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
