"""Browser: open the planner, run one optimisation for conversions and read its uplift sentence."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import wait_until_idle

UPLIFT = "The optimised plan is predicted to bring"


def test_optimise_a_plan_for_conversions(app_page: object, app_url: str) -> None:
    page = app_page
    page.goto(f"{app_url}/planner")
    expect(page.get_by_role("heading", name="Planner")).to_be_visible(timeout=180_000)  # may train first
    wait_until_idle(page, timeout_ms=180_000)
    page.get_by_role("tab", name="Optimiser").click()
    expect(page.get_by_text(UPLIFT)).to_contain_text("revenue", timeout=120_000)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Maximise").click()
    page.get_by_role("option", name="conversions").click()
    sentence = page.get_by_text(UPLIFT).filter(has_text="conversions")
    expect(sentence).to_have_count(1, timeout=60_000)
    wait_until_idle(page)
    page.get_by_role("tab", name="Optimiser").click()  # the rerun may bring back the first tab
    expect(sentence).to_be_visible(timeout=60_000)
    expect(page.get_by_text(UPLIFT)).to_have_count(1, timeout=60_000)  # the stale revenue sentence is gone
    expect(sentence).to_contain_text("than your current plan for the same budget")
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
