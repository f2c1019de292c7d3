"""What one session derives is shared with the next one showing the same thing: a second session on the same overview
filter, or on the fitted media mix model, redoes none of the pandas work; a new filter does, and so does a changed
demo file for the demo check. Counted, not timed (make bench: burst and pages measure the speed)."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipeline import kpis
from pipeline.inputs import demo
from pipeline.modeling import mmm
from tests.conftest import copy_mmm_fit
from tests.pages.conftest import page_path


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts of a few expensive steps, from fresh caches."""
    st.cache_data.clear()
    st.cache_resource.clear()
    counted: Counter[str] = Counter()

    def count(module: object, name: str) -> None:
        original = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    count(kpis, "compare_periods")
    count(kpis, "trend")
    count(demo, "quick_demo_data_problem")
    count(mmm, "summary")
    count(mmm, "measures_table")
    yield counted


def overview(platforms: list[str] | None = None) -> AppTest:
    at = AppTest.from_file(page_path("overview"), default_timeout=120).run()
    if platforms is not None:
        at.multiselect(key="cf_platform").set_value(platforms).run()
    assert not at.exception, at.exception
    return at


def test_a_second_session_on_the_same_filter_recomputes_nothing(calls: Counter[str]) -> None:
    first = overview()
    assert calls["compare_periods"] == 1 and calls["trend"] == 1
    second = overview()
    assert calls["compare_periods"] == 1 and calls["trend"] == 1
    assert [m.value for m in second.metric] == [m.value for m in first.metric]


def test_a_new_filter_is_computed_and_then_shared(calls: Counter[str]) -> None:
    overview(["Meta"])
    assert calls["compare_periods"] == 2  # the default view, then Meta
    meta_only = overview(["Meta"])
    assert calls["compare_periods"] == 2
    assert meta_only.metric[0].value != overview().metric[0].value  # the whole data's tiles are not Meta's


def test_the_demo_check_runs_again_only_when_a_demo_file_changes(
    calls: Counter[str], demo_dir: Path, mmm_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    monkeypatch.setenv("APP_DATA_DIR", str(folder))
    # The copy has the demo's data, so the app's background model job loads the test fit instead of fitting anew.
    monkeypatch.setenv("APP_MODELS_DIR", str(copy_mmm_fit(mmm_models_dir, tmp_path / "models")))
    at = overview()
    at.run()
    assert calls["quick_demo_data_problem"] == 1
    influencers = folder / "influencers.csv"
    influencers.write_bytes(influencers.read_bytes())  # same content, a new modification time
    at.run()
    assert calls["quick_demo_data_problem"] == 2


def test_the_media_mix_page_summarises_the_fit_once(
    calls: Counter[str], mmm_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_MODELS_DIR", str(copy_mmm_fit(mmm_models_dir, tmp_path / "models")))
    for _ in range(2):
        at = AppTest.from_file(page_path("media_mix"), default_timeout=300).run()
        assert not at.exception, at.exception
    assert calls["summary"] == 1 and calls["measures_table"] == 1
