"""AppTest of the segments page: numbers equal pipeline.modeling.segments, charts, download, empty state."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.inputs import demo
from pipeline.modeling import segments
from tests.pages.conftest import page_path


def plain(value: object) -> object:
    """A plotly JSON value as plain lists (plotly encodes numpy arrays as base64 typed arrays)."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return array.reshape([int(n) for n in shape.split(",")]).tolist() if shape else array.tolist()
    return value


@pytest.fixture(scope="module")
def expected(demo_dir: Path) -> segments.SegmentResult:
    return segments.segment_campaigns(demo.read_campaigns(demo_dir))


def run_page() -> AppTest:
    return AppTest.from_file(page_path("segments"), default_timeout=120).run()


def test_page_shows_the_pipeline_segments(expected: segments.SegmentResult) -> None:
    at = run_page()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Segments": str(expected.k),
        "Units segmented": str(len(expected.assignments)),
        "Silhouette": f"{expected.score:.3f}",
    }
    profiles = at.dataframe[0].value
    assert list(profiles["label"]) == list(expected.profiles["label"])
    pd.testing.assert_series_equal(profiles["spend"], expected.profiles["spend"], check_names=False)
    assert len(at.dataframe[1].value) == len(expected.assignments)


def test_charts_colour_by_segment_with_hover_names(expected: segments.SegmentResult) -> None:
    at = run_page()
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert len(charts) == 3  # ROI vs CPC, scatter matrix, silhouette by k
    scatter = charts[0]
    assert {trace["name"] for trace in scatter["data"]} == set(expected.profiles["label"])
    names = {name for trace in scatter["data"] for name in plain(trace["text"])}
    assert names == set(expected.assignments["name"])
    assert [d["label"] for d in charts[1]["data"][0]["dimensions"]] == ["CTR", "CPC", "CPA", "ROI"]
    assert plain(charts[2]["data"][0]["x"]) == list(expected.silhouette["k"])


def test_assignments_can_be_downloaded() -> None:
    at = run_page()
    labels = [button.proto.label for button in at.get("download_button")]
    assert "Download the assignments (CSV)" in labels


def test_too_few_units_is_an_info_message_not_a_traceback() -> None:
    at = run_page()
    at.multiselect(key="cf_platform").set_value(["Meta"]).run()  # 2 campaign x ad set units in the small demo
    assert not at.exception
    assert any("at least 3" in info.value for info in at.info)
    assert not at.get("plotly_chart")
