"""A kept campaign table keeps its provenance mark through Parquet and back, and never a session's cache token."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.inputs import provenance
from pipeline.inputs.combine import stack_campaigns
from pipeline.inputs.ingest.load import ingest
from pipeline.workspace.store import Workspace
from pipeline.workspace.tables import category_dtypes, parquet_bytes, read_table


@pytest.fixture(scope="module")
def kag(shared_data: Path) -> pd.DataFrame:
    return ingest(shared_data / "real" / "kag_conversion_data.csv").frame


def test_ingest_marks_an_undated_file_with_estimated_revenue(kag: pd.DataFrame) -> None:
    mark = provenance.of(kag)
    assert mark.undated
    assert mark.estimated == {"revenue": "conversions × $50.00, the assumed average order value"}


def test_ingest_leaves_a_measured_dated_export_unmarked(shared_data: Path) -> None:
    frame = ingest(shared_data / "peers" / "campaign-perf" / "meta_ads.csv").frame
    assert provenance.of(frame).measured and "provenance" not in frame.attrs


def test_the_mark_survives_parquet_and_the_cache_token_does_not(kag: pd.DataFrame) -> None:
    frame = stack_campaigns([("kag.csv", kag)]).frame
    frame.attrs["cache_token"] = "upload:abc"
    back = read_table(parquet_bytes(frame), category_dtypes(frame))
    assert provenance.of(back) == provenance.of(kag)
    assert "cache_token" not in back.attrs
    assert frame.attrs["cache_token"] == "upload:abc"  # the session's frame is not changed
    pd.testing.assert_frame_equal(back, frame)


def test_a_kept_dataset_loads_back_with_its_mark(kag: pd.DataFrame, tmp_path: Path) -> None:
    store = Workspace(tmp_path / "workspace.duckdb")
    frame = stack_campaigns([("kag.csv", kag)]).frame
    frame.attrs["cache_token"] = "upload:abc"
    record = store.keep_dataset("Facebook", {"campaigns": frame}, ["kag.csv"])
    back = store.load_dataset(record.id)["campaigns"]
    assert provenance.of(back).undated and set(provenance.of(back).estimated) == {"revenue"}
    assert set(back.attrs) == {"provenance"}
    assert list(back["source"].cat.categories) == ["kag.csv"]
