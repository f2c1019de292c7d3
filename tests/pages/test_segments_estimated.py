"""The Segments page on the real Facebook export (no revenue: revenue = conversions × an assumed order value):
ROI, one of the clustering measures, is marked as estimated in the sentence above the charts and in both tables;
on the measured demo data nothing is."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.inputs import provenance
from pipeline.inputs.ingest.load import ingest
from tests.pages.conftest import page_path

FACEBOOK_EXPORT = Path("/work/shared/data/real/kag_conversion_data.csv")
ASSUMPTION = "revenue = conversions × $50.00, the assumed average order value"


def headers(at: AppTest) -> list[dict[str, str]]:
    """Each table's column headers as shown (column_config labels), keyed by the raw column."""
    return [{c: v.get("label", c) for c, v in json.loads(d.proto.columns).items()} for d in at.dataframe]


def open_segments(frame: pd.DataFrame | None = None) -> AppTest:
    at = AppTest.from_file(page_path("segments"), default_timeout=120)
    if frame is not None:
        at.session_state["uploaded_campaigns"] = frame
        at.session_state["uploaded_campaigns_name"] = "kag_conversion_data.csv"
    return at.run()


@pytest.fixture(scope="module")
def export() -> pd.DataFrame:
    result = ingest(FACEBOOK_EXPORT)
    return provenance.mark(result.frame, provenance.from_ingest(result.estimated, result.assumptions))


def test_estimated_roi_is_named_with_its_assumption(export: pd.DataFrame) -> None:
    at = open_segments(export)
    assert not at.exception and not at.error
    assert any(ASSUMPTION in w.value and "ROI" in w.value for w in at.warning)
    tables = headers(at)
    assert len(tables) == 2
    assert all(table["roi"] == "ROI (estimated)" for table in tables)
    assert tables[0]["roas"] == "ROAS (estimated)"
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert f"ROI vs CPC per campaign x ad set (estimated: {ASSUMPTION})" in titles


def test_measured_demo_data_marks_nothing() -> None:
    at = open_segments()
    assert not at.exception and not at.warning
    assert all(table["roi"] == "ROI" for table in headers(at))
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "ROI vs CPC per campaign x ad set" in titles
