"""The overview's sections in a real server: a widget inside a section reruns that section alone (st.fragment),
its choice still lands in the link; and the real Facebook export (no revenue, no dates, age/gender/interest)
shown end to end, with a screenshot for a human to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from bench.load import run_on_own_thread
from bench.server import Server, running_server
from bench.ws_client import RerunResult, Session
from pipeline.inputs.ingest.load import ingest
from tests.e2e.conftest import wait_until_idle
from tests.e2e.test_browser import METRIC_VALUE, go_to, metric, open_page, save_screenshot, sidebar_multiselect
from ui import format as fmt

pytestmark = pytest.mark.e2e

FACEBOOK_EXPORT = Path("/work/shared/data/real/kag_conversion_data.csv")
# The widgets of each section: a change reruns its st.fragment only.
SECTION_KEYS = ("ov_freq", "ov_metric", "ov_split", "ov_dim", "ov_shown", "ov_min_clicks", "ov_cost", "ov_lvl")
MAX_SECONDS = 120.0


@pytest.fixture(scope="module")
def server(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("sections-server") / "streamlit.log"
    with running_server(demo_dir, log, models_dir=tmp_path_factory.mktemp("models")) as handle:
        yield handle


async def first_run_then_granularity_change(port: int) -> tuple[RerunResult, RerunResult]:
    async with Session(port, timeout_s=MAX_SECONDS) as session:
        page = await session.rerun()
        freq = page.widget("ov_freq")
        assert freq is not None and freq.fragment_id
        section = await session.rerun({freq.id: ["day"]}, fragment_id=freq.fragment_id)
        return page, section


def test_a_section_widget_reruns_its_section_only(server: Server) -> None:
    page, section = run_on_own_thread(first_run_then_granularity_change(server.port))
    assert page.ok and page.metrics, page.exceptions
    for key in SECTION_KEYS:
        widget = page.widget(key)
        assert widget is not None and widget.fragment_id, key
    fragments = {page.widget(key).fragment_id for key in SECTION_KEYS}
    assert len(fragments) == 5  # trend, breakdowns, top campaigns, cost efficiency, spend vs conversions
    assert not page.widget("cf_platform").fragment_id  # the sidebar filters rerun the whole page
    assert section.ok and section.status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY", section.exceptions
    assert section.metrics == {}  # the KPI tiles were not recomputed
    assert {w.fragment_id for w in section.widgets} == {page.widget("ov_freq").fragment_id}


def test_a_section_choice_made_in_the_browser_lands_in_the_link(app_page: object, app_url: str) -> None:
    open_page(app_page, app_url)
    app_page.locator('[data-testid="stButtonGroup"]').filter(has_text="month").get_by_text("day", exact=True).click()
    wait_until_idle(app_page)
    app_page.wait_for_function("() => window.location.search.includes('ov_freq=day')")
    app_page.locator('[data-testid="stButtonGroup"]').filter(has_text="campaign").get_by_text(
        "device", exact=True
    ).click()
    wait_until_idle(app_page)
    app_page.wait_for_function("() => window.location.search.includes('ov_dim=device')")
    assert "ov_freq=day" in app_page.url  # the earlier section's choice is kept beside it


def test_the_facebook_export_on_the_overview(app_page: object, app_url: str, screenshots: Path) -> None:
    frame = ingest(FACEBOOK_EXPORT).frame
    app_page.goto(f"{app_url}/data")
    expect(app_page.get_by_role("heading", name="Data", exact=True)).to_be_visible()
    upload = app_page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]')
    upload.set_input_files(str(FACEBOOK_EXPORT))
    wait_until_idle(app_page)
    app_page.get_by_role("button", name="Use th").first.click()
    wait_until_idle(app_page)
    go_to(app_page, "Campaign overview")

    expect(app_page.get_by_text("This file has no dates").first).to_be_visible()
    expect(metric(app_page, "Est. revenue")).to_have_text(fmt.tile_value("revenue", frame["revenue"].sum()))
    expect(metric(app_page, "Spend")).to_have_text(fmt.tile_value("spend", frame["spend"].sum()))
    for label in ("Age", "Gender", "Interest"):
        expect(sidebar_multiselect(app_page, label)).to_be_visible()
    app_page.locator('[data-testid="stButtonGroup"]').filter(has_text="campaign").get_by_text("age", exact=True).click()
    wait_until_idle(app_page)
    app_page.wait_for_function("() => window.location.search.includes('ov_dim=age')")
    expect(app_page.get_by_text("ROAS by age (estimated").first).to_be_visible()
    app_page.wait_for_selector(METRIC_VALUE)
    save_screenshot(app_page, screenshots / "overview-facebook-export.png")

    with app_page.expect_download() as download:
        app_page.get_by_role("button", name="Download the filtered rows").click()
    rows = pd.read_csv(download.value.path())
    assert "revenue (estimated)" in rows.columns and "revenue" not in rows.columns
    assert {"spend", "age", "gender", "interest"} <= set(rows.columns)  # measured and extra columns as they were
    assert rows["revenue (estimated)"].sum() == pytest.approx(frame["revenue"].sum())
