"""What a new filter costs on the influencer pages: the Influencers page bootstraps only the pooled comparison for
a platform pick (its influencers' rows come from the whole data's report) and never the stratified estimate; the
Incrementality page adds the stratified estimate and computes only the breakdown it shows, copying the slices the
pick keeps whole, with the stratum draws of the influencers it keeps whole. The whole tracking table is prepared
once per data set, not per filter. Counted, not timed (speed is measured in bench)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipeline.influencers import incrementality, scope, stratified
from pipeline.inputs import demo
from tests.pages.conftest import page_path


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts of pooled/slice comparisons, stratified bootstraps, strata drawn and references prepared, from fresh
    caches."""
    st.cache_data.clear()
    st.cache_resource.clear()
    counted: Counter[str] = Counter()

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(incrementality, "compare_groups", counting("compare", incrementality.compare_groups))
    monkeypatch.setattr(
        incrementality, "bootstrap_stratified", counting("stratified", incrementality.bootstrap_stratified)
    )
    monkeypatch.setattr(stratified, "stratum_draws", counting("stratum draws", stratified.stratum_draws))
    monkeypatch.setattr(scope, "prepare_reference", counting("reference", scope.prepare_reference))
    yield counted
    st.cache_data.clear()
    st.cache_resource.clear()


def pick_first_platform(at: AppTest) -> AppTest:
    widget = at.multiselect(key="if_platform")
    return widget.set_value([widget.options[0]]).run()


def test_influencers_page_new_filter_bootstraps_the_pooled_comparison_only(calls: Counter[str]) -> None:
    at = AppTest.from_file(page_path("influencers"), default_timeout=120).run()
    assert not at.exception
    assert calls["stratified"] == 0 and calls["reference"] == 1
    opened = calls["compare"]
    assert opened >= 2  # the whole data's pooled comparison and its influencers' rows
    calls.clear()
    at = pick_first_platform(at)
    assert not at.exception and not at.error
    assert calls == Counter({"compare": 1})


def test_incrementality_page_new_filter_reuses_whole_slices(calls: Counter[str], demo_dir: Path) -> None:
    at = AppTest.from_file(page_path("incrementality"), default_timeout=120).run()
    assert not at.exception
    calls.clear()
    at = pick_first_platform(at)
    assert not at.exception  # (an st.error can be the verdict itself: "below break-even")
    # The pooled bootstrap and the stratified sum of copied draws; the shown per-influencer breakdown is copied
    # (every influencer whole), and so is every stratum's draws.
    assert calls == Counter({"compare": 1, "stratified": 1})
    calls.clear()
    at.radio(key="inc_breakdown").set_value("product").run()
    assert not at.exception
    # Only the breakdown now shown is computed: one comparison per product (a platform pick splits each one).
    products = demo.read_influencer_tables(demo_dir)["tracking"]["product"].nunique()
    assert calls == Counter({"compare": products})


def test_a_product_pick_draws_every_stratum_again(calls: Counter[str], demo_dir: Path) -> None:
    at = AppTest.from_file(page_path("incrementality"), default_timeout=120).run()
    assert not at.exception and calls["reference"] == 1
    influencers = demo.read_influencer_tables(demo_dir)["tracking"]["influencer_id"].nunique()
    assert calls["stratum draws"] == influencers  # the whole data's report
    calls.clear()
    widget = at.multiselect(key="if_product")
    widget.set_value([widget.options[0]]).run()
    assert not at.exception
    assert calls["stratum draws"] == influencers and calls["reference"] == 0
