"""A failure inside one chart shows one error in that chart's place; the rest of the page renders unchanged.

For every chart on every page, the builder that draws it is made to fail on that call only, and the page
(AppTest) is compared with an unpatched run: same elements in the same order, same KPI tiles and the same
other figures, with exactly one chart replaced by the "could not be drawn" error.
"""

from __future__ import annotations

import itertools
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Node

from tests.conftest import copy_mmm_fit
from tests.pages.conftest import ROOT, page_path
from tests.pipeline.modeling.trained import demo_models
from ui.charts import base as base_charts
from ui.charts import campaigns as campaign_charts
from ui.charts import influencers as influencer_charts
from ui.charts import mmm_plan as plan_charts
from ui.charts import models as model_charts

INJECTED = "injected chart failure"
# page -> (module, builder) of each chart in the order the page draws them; a builder used twice appears twice.
PAGE_CHARTS: dict[str, list[tuple[ModuleType, str]]] = {
    "overview": [
        (campaign_charts, "trend_line"),
        (base_charts, "bar_by"),
        (base_charts, "difference_heatmap"),
        (campaign_charts, "spend_scatter"),
    ],
    "influencers": [
        (base_charts, "heatmap"),
        (influencer_charts, "revenue_payout_scatter"),
        (base_charts, "bar_by"),
        (base_charts, "bar_by"),
        (influencer_charts, "timeline"),
    ],
    "incrementality": [(influencer_charts, "forest_plot"), (influencer_charts, "revenue_distribution")],
    "segments": [
        (model_charts, "segment_scatter"),
        (model_charts, "scatter_matrix"),
        (model_charts, "silhouette_line"),
    ],
    "models": [
        (model_charts, "metric_bars"),
        (model_charts, "metric_bars"),
        (model_charts, "roc_curves"),
        (model_charts, "confusion_heatmap"),
        (model_charts, "predicted_vs_actual"),
        (model_charts, "importance_bars"),
        (model_charts, "coverage_bars"),
    ],
    # The budget plan tab opens first; the per-line tab's charts run only when it is opened.
    "planner": [(plan_charts, "spend_bars"), (plan_charts, "revenue_bars"), (plan_charts, "daily_revenue")],
}


def chart_cases() -> Iterator[Any]:
    """(page, position among the page's charts, module, builder, which call of that builder fails)."""
    for page, builders in PAGE_CHARTS.items():
        for position, (module, name) in enumerate(builders):
            call = builders[:position].count((module, name))
            yield pytest.param(page, position, module, name, call, id=f"{page}-{name}-{call}")


@pytest.fixture(scope="module")
def models_dir(demo_dir: Path, mmm_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained models and the media mix fit of the demo set (the planner's budget plan needs the fit)."""
    folder = tmp_path_factory.mktemp("isolation-models") / "models"
    shutil.copytree(demo_models(demo_dir, tmp_path_factory.getbasetemp())[0], folder)
    return copy_mmm_fit(mmm_models_dir, folder)


@pytest.fixture(autouse=True)
def use_models(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_MODELS_DIR", str(models_dir))


def walk(block: Block) -> Iterator[Node]:
    for child in block.children.values():
        if isinstance(child, Block):
            yield from walk(child)
        else:
            yield child


def signature(at: AppTest) -> list[tuple[Any, ...]]:
    """Every element of the page in order: figures by their JSON, KPI tiles by label and value, alerts by
    text, anything else by its type."""
    shown: list[tuple[Any, ...]] = []
    for node in walk(at.main):
        if node.type == "plotly_chart":
            shown.append(("plotly_chart", json.loads(node.proto.spec)))
        elif node.type == "metric":
            shown.append(("metric", node.label, node.value))
        elif node.type in ("error", "warning", "info", "success"):
            shown.append((node.type, node.value))
        else:
            shown.append((node.type,))
    return shown


def run_page(page: str) -> AppTest:
    return AppTest.from_file(page_path(page), default_timeout=180).run()


_BASELINES: dict[str, list[tuple[Any, ...]]] = {}


def baseline(page: str) -> list[tuple[Any, ...]]:
    """The unpatched page, run once per test session."""
    if page not in _BASELINES:
        at = run_page(page)
        assert not at.exception, at.exception
        _BASELINES[page] = signature(at)
    return _BASELINES[page]


def fail_on_call(original: Callable[..., Any], failing_call: int) -> Callable[..., Any]:
    """`original`, except that its `failing_call`-th call (0-based) in a run raises."""
    calls = itertools.count()

    def builder(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == failing_call:
            raise RuntimeError(INJECTED)
        return original(*args, **kwargs)

    return builder


@pytest.mark.parametrize("page", list(PAGE_CHARTS))
def test_every_chart_of_the_page_is_listed(page: str) -> None:
    """PAGE_CHARTS covers every figure the page draws, so the isolation cases below miss none."""
    charts_shown = [entry for entry in baseline(page) if entry[0] == "plotly_chart"]
    assert len(charts_shown) == len(PAGE_CHARTS[page])
    assert not [entry for entry in baseline(page) if entry[0] == "error" and "could not be drawn" in entry[1]]


@pytest.mark.parametrize(("page", "position", "module", "name", "call"), chart_cases())
def test_a_failing_chart_shows_one_error_and_the_page_renders(
    page: str, position: int, module: ModuleType, name: str, call: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = baseline(page)
    monkeypatch.setattr(module, name, fail_on_call(getattr(module, name), call))
    at = run_page(page)

    assert not at.exception
    chart_errors = [e.value for e in at.error if "could not be drawn" in e.value]
    assert chart_errors == [f"This chart could not be drawn ({INJECTED}). The rest of the page is unaffected."]
    shown = signature(at)
    assert len(shown) == len(expected)
    changed = [i for i, (before, now) in enumerate(zip(expected, shown, strict=True)) if before != now]
    assert len(changed) == 1, changed
    index = changed[0]
    assert expected[index][0] == "plotly_chart" and shown[index][0] == "error"
    # the error sits exactly where this builder's chart was: the page's `position`-th figure
    assert [entry[0] for entry in expected[:index]].count("plotly_chart") == position
    kpis = [entry for entry in shown if entry[0] == "metric"]
    assert kpis == [entry for entry in expected if entry[0] == "metric"]


def test_no_page_draws_a_chart_outside_the_isolating_helper() -> None:
    """Every chart goes through ui.layout.chart; a bare st.plotly_chart (or another chart call) would escape it."""
    direct = ("_chart(", "pyplot(", "st.map(")  # plotly_chart, altair_chart, line_chart, pydeck_chart, ...
    for page in sorted((ROOT / "pages").glob("*.py")):
        source = page.read_text(encoding="utf-8")
        assert not [call for call in direct if call in source], page.name


# -- The helper itself (ui.layout.chart) ----------------------------------------------------------------------


class Recorder:
    """Stands in for st or a column: records what the helper draws."""

    def __init__(self, fail_render: bool = False) -> None:
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []
        self.fail_render = fail_render

    def plotly_chart(self, figure: Any, **kwargs: Any) -> None:
        if self.fail_render:
            raise ValueError("Invalid property specified for object of type plotly.graph_objs.Bar")
        self.calls.append(("plotly_chart", figure, kwargs))

    def error(self, body: str, **kwargs: Any) -> None:
        self.calls.append(("error", body, kwargs))


def test_chart_builds_lazily_with_the_given_arguments_and_draws_full_width() -> None:
    from ui import layout

    figure = go.Figure()
    received: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def build(*args: Any, **kwargs: Any) -> go.Figure:
        received.append((args, kwargs))
        return figure

    where = Recorder()
    layout.chart(build, "frame", "roas", where=where, key="roas_chart", config={"displayModeBar": False}, top=5)
    assert received == [(("frame", "roas"), {"top": 5})]
    assert where.calls == [
        ("plotly_chart", figure, {"width": "stretch", "key": "roas_chart", "config": {"displayModeBar": False}})
    ]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ValueError("No rows to plot."), "No rows to plot"),
        (KeyError("roc"), "'roc' is missing from the data"),
        (ZeroDivisionError(), "an unexpected ZeroDivisionError"),
        (RuntimeError("first line\n  Traceback-like detail"), "first line"),
        (RuntimeError("x" * 500), "x" * 159 + "…"),
    ],
)
def test_a_failing_build_shows_one_plain_error_and_logs_the_traceback(
    error: Exception, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    from ui import layout

    def build() -> go.Figure:
        raise error

    where = Recorder()
    with caplog.at_level(logging.ERROR, logger="ui.layout"):
        layout.chart(build, where=where)
    assert [(kind, body) for kind, body, _ in where.calls] == [
        ("error", f"This chart could not be drawn ({reason}). The rest of the page is unaffected.")
    ]
    logged = [r for r in caplog.records if r.name == "ui.layout"]
    assert len(logged) == 1 and logged[0].exc_info is not None and logged[0].exc_info[1] is error


def test_a_failure_while_drawing_is_caught_too() -> None:
    from ui import layout

    where = Recorder(fail_render=True)
    layout.chart(go.Figure, where=where)
    assert [kind for kind, _, _ in where.calls] == ["error"]
    assert "Invalid property specified" in where.calls[0][1]


def test_st_stop_inside_a_builder_is_not_swallowed() -> None:
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    from ui import layout

    def build() -> go.Figure:
        raise StopException()

    where = Recorder()
    with pytest.raises(StopException):
        layout.chart(build, where=where)
    assert where.calls == []


def chart_script() -> None:
    import plotly.graph_objects as go
    import streamlit as st

    from ui import layout

    def broken() -> go.Figure:
        raise ValueError("the spend column is empty")

    st.markdown("before")
    left, right = st.columns(2)
    layout.chart(broken, where=left)
    layout.chart(lambda: go.Figure(go.Bar(x=["a"], y=[1])), where=right)
    st.markdown("after")


def test_in_a_page_the_error_replaces_only_its_chart_and_the_rest_renders() -> None:
    at = AppTest.from_function(chart_script, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "This chart could not be drawn (the spend column is empty). The rest of the page is unaffected."
    ]
    assert len(at.get("plotly_chart")) == 1
    assert [m.value for m in at.markdown] == ["before", "after"]
    left, right = at.columns
    assert len(left.error) == 1 and not left.get("plotly_chart")
    assert len(right.get("plotly_chart")) == 1 and not right.error
