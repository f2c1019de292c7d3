"""Rerun time per page after a filter change, through Streamlit's AppTest (no browser, no server)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from bench.measure import on_overview_dates, pipeline_totals, stats, timed
from bench.sections.common import NOT_AVAILABLE, ROOT, guarded
from pipeline.filters import CampaignFilter

APPTEST_TIMEOUT_S = 300
# Filter keys per page kind (ui/filters.py): campaign pages and influencer pages.
FILTER_KEYS = {"campaign_filters": "cf_platform", "influencer_filters": "if_platform"}


def page_filter_key(page: Path) -> str | None:
    source = page.read_text()
    return next((key for call, key in FILTER_KEYS.items() if call in source), None)


def filter_values(options: list[str], runs: int) -> list[list[str]]:
    """`runs` distinct selections (singles, then pairs), so every change is a new filter, never a cache hit."""
    picks = [[o] for o in options] + [[a, b] for i, a in enumerate(options) for b in options[i + 1 :]]
    return [picks[i % len(picks)] for i in range(runs)]


def scan_components_once() -> None:
    """AppTest rescans every installed package's metadata for Streamlit components on each run (about 0.3 s here,
    PyMC's dependencies included); a server does it once at start-up. Scanning once keeps that test-harness cost
    out of the rerun times (tests/pages/conftest.py does the same)."""
    from streamlit.components.v2 import manifest_scanner

    if not hasattr(manifest_scanner.scan_component_manifests, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


def apptest_page(page: Path, data_dir: Path, runs: int) -> dict[str, Any]:
    """First run, then `runs` reruns each after changing the page's platform multiselect, timed."""
    from streamlit.testing.v1 import AppTest

    scan_components_once()
    if not page.is_file():
        return {"status": NOT_AVAILABLE, "reason": f"{page.name} does not exist yet"}
    os.environ["APP_DATA_DIR"] = str(data_dir)
    first_s, at = timed(lambda: AppTest.from_file(str(page), default_timeout=APPTEST_TIMEOUT_S).run())
    if at.exception:
        return {"status": "error", "reason": f"first run raised: {at.exception[0].message}", "first_run_s": first_s}
    key = page_filter_key(page)
    samples: list[float] = []
    if key is None or not [w for w in at.multiselect if w.key == key]:
        for _ in range(runs):
            samples.append(timed(at.run)[0])
        change = "no filter on this page: plain rerun"
    else:
        widget = at.multiselect(key=key)
        for values in filter_values(list(widget.options), runs):
            at.multiselect(key=key).set_value(values)
            samples.append(timed(at.run)[0])
            if at.exception:
                return {"status": "error", "reason": f"rerun raised: {at.exception[0].message}"}
        change = f"{key} set to a new selection each run"
    result = {"first_run_s": first_s, "rerun": stats(samples), "change": change, "metrics": len(at.metric)}
    if page.stem == "overview" and key is not None:
        result["spend_tile_correct"] = _overview_spend_correct(at, data_dir, list(at.multiselect(key=key).value))
    return result


def _overview_spend_correct(at: Any, data_dir: Path, platforms: list[str]) -> bool:
    """The overview's Spend tile after the last change equals the pipeline's total for that filter on the
    overview's default dates."""
    from bench.ws_client import shown_value

    tile = next((m for m in at.metric if m.label == "Spend"), None)
    if tile is None:
        return False
    value, tolerance = shown_value(str(tile.value), tile.proto.help)
    spec = on_overview_dates(data_dir, CampaignFilter(platforms=tuple(platforms)))
    expected = pipeline_totals(data_dir, spec)["spend"]
    return abs(value - expected) <= tolerance


def uses_campaigns(page: Path) -> bool:
    return page.is_file() and "campaign_filters" in page.read_text()


def bench_apptest(runs: int, sizes: dict[str, Path]) -> dict[str, Any]:
    """Rerun time per page after a filter change, on demo data and on each big size (campaign pages only)."""
    import streamlit as st

    os.chdir(ROOT)
    pages = sorted((ROOT / "pages").glob("*.py"))
    results: dict[str, Any] = {}
    for label, data_dir in sizes.items():
        st.cache_resource.clear()
        st.cache_data.clear()
        per_page = {}
        for page in pages:
            if label != "demo" and not uses_campaigns(page):
                continue  # the influencer data does not grow with the campaign rows
            per_page[page.stem] = guarded(
                f"apptest {label} {page.stem}", lambda p=page, d=data_dir: apptest_page(p, d, runs)
            )
        results[label] = per_page
    st.cache_resource.clear()
    st.cache_data.clear()
    return results
