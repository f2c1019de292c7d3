"""The app's campaign frame from a backend: the table summed to the dashboard's grain in its own engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline import config, kpis
from pipeline.campaigns import cube
from pipeline.inputs import demo
from pipeline.scale import campaign_sums
from pipeline.schemas import CAMPAIGN_DIMENSIONS


def local_grain(directory: Path) -> pd.DataFrame:
    frame = demo.read_campaigns(directory)
    return cube.rollup(frame, [c for c in CAMPAIGN_DIMENSIONS if c in frame.columns])


def assert_same_grain(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    keys = [c for c in CAMPAIGN_DIMENSIONS if c in expected.columns]
    got = got.sort_values(keys, kind="stable").reset_index(drop=True)
    expected = expected.astype({k: str for k in keys if k != "date"}).sort_values(keys, kind="stable")
    pd.testing.assert_frame_equal(
        got.astype({k: str for k in keys if k != "date"}),
        expected.reset_index(drop=True)[got.columns],
        check_dtype=False,
        rtol=1e-9,
    )


def test_duckdb_grain_equals_the_local_rollup_with_canonical_dtypes(scale_dir: Path) -> None:
    settings = config.BackendSettings(kind="duckdb", campaigns=str(scale_dir / "campaigns.parquet"))
    got = campaign_sums.dashboard_campaigns(settings)
    assert isinstance(got["platform"].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_datetime64_any_dtype(got["date"])
    assert got["rows"].sum() == len(demo.read_campaigns(scale_dir))
    assert_same_grain(got, local_grain(scale_dir))
    totals = kpis.kpi_totals(got)
    assert totals["spend"] == pytest.approx(demo.read_campaigns(scale_dir)["spend"].sum())


def test_spark_grain_equals_duckdbs(scale_dir: Path, spark_con: Any) -> None:
    settings = config.BackendSettings(kind="spark", campaigns=str(scale_dir / "campaigns.parquet"))
    assert_same_grain(campaign_sums.dashboard_campaigns(settings), local_grain(scale_dir))


def test_a_table_without_dates_is_refused_in_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "campaigns.csv"
    pd.DataFrame({"platform": ["Meta"], "spend": [1.0]}).to_csv(path, index=False)
    with pytest.raises(config.BackendError, match="no date column"):
        campaign_sums.dashboard_campaigns(config.BackendSettings(kind="duckdb", campaigns=str(path)))
