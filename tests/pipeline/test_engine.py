"""pipeline.scale.engine: the pandas and DuckDB paths give the same sums and KPIs on the same data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline import kpis
from pipeline.filters import CampaignFilter, apply_campaign_filter
from pipeline.inputs.demo import read_campaigns
from pipeline.scale import engine

SPECS = {
    "everything": CampaignFilter(),
    "two platforms, one month": CampaignFilter(
        start=pd.Timestamp("2025-02-01"), end=pd.Timestamp("2025-02-28"), platforms=("Meta", "TikTok")
    ),
    "devices and content": CampaignFilter(devices=("Mobile",), content_types=("Video", "UGC")),
    "nothing selected": CampaignFilter(platforms=()),
}
GROUPINGS = [[], ["platform"], ["platform", "device"], ["date"], ["platform", "campaign", "device", "date"]]


@pytest.fixture(scope="module")
def parquet_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 5k demo set as campaigns.parquet (the generator writes Parquet only from 1M rows)."""
    out = tmp_path_factory.mktemp("parquet")
    frame = pd.read_csv(demo_dir / "campaigns.csv")
    frame.assign(date=pd.to_datetime(frame["date"])).to_parquet(out / engine.PARQUET_FILE, index=False)
    return out


@pytest.fixture(scope="module")
def frame(parquet_dir: Path) -> pd.DataFrame:
    return read_campaigns(parquet_dir)


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("by", GROUPINGS, ids=lambda by: "+".join(by) or "totals")
def test_pandas_and_duckdb_paths_agree(frame: pd.DataFrame, parquet_dir: Path, name: str, by: list[str]) -> None:
    on_pandas = engine.aggregate_campaigns(frame, SPECS[name], by, engine="pandas")
    on_parquet = engine.aggregate_campaigns(parquet_dir, SPECS[name], by, engine="duckdb")
    on_frame = engine.aggregate_campaigns(frame, SPECS[name], by, engine="duckdb")
    pd.testing.assert_frame_equal(on_pandas, on_parquet, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(on_pandas, on_frame, check_exact=False, rtol=1e-9)


def test_totals_match_the_kpi_engine_on_filtered_rows(frame: pd.DataFrame, parquet_dir: Path) -> None:
    spec = SPECS["two platforms, one month"]
    expected = kpis.kpi_totals(apply_campaign_filter(frame, spec))
    got = engine.aggregate_campaigns(parquet_dir, spec, engine="duckdb").iloc[0]
    for metric in ("spend", "revenue", "clicks", "rows", "ctr", "roas", "cpa", "roi"):
        assert got[metric] == pytest.approx(expected[metric], rel=1e-9), metric
    assert 0 < got["rows"] < len(frame)


def test_group_sums_add_up_to_the_totals(parquet_dir: Path) -> None:
    by_platform = engine.sum_campaigns(parquet_dir, by=["platform"], engine="duckdb")
    totals = engine.sum_campaigns(parquet_dir, engine="duckdb").iloc[0]
    assert by_platform["spend"].sum() == pytest.approx(totals["spend"], rel=1e-12)
    assert by_platform["rows"].sum() == totals["rows"] == 5_000
    assert list(by_platform["platform"]) == sorted(by_platform["platform"])


def test_nothing_selected_gives_zero_sums_and_nan_ratios(parquet_dir: Path) -> None:
    totals = engine.aggregate_campaigns(parquet_dir, CampaignFilter(campaigns=()), engine="duckdb").iloc[0]
    assert totals["rows"] == 0
    assert totals["spend"] == 0.0
    assert np.isnan(totals["roas"]) and np.isnan(totals["ctr"])
    grouped = engine.aggregate_campaigns(parquet_dir, CampaignFilter(campaigns=()), ["platform"], engine="duckdb")
    assert grouped.empty


def test_zero_spend_group_gives_nan_not_inf(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-01"]),
            "platform": ["Meta", "TikTok"],
            "campaign": ["a", "b"],
            "spend": [0.0, 10.0],
            "impressions": [100.0, 0.0],
            "clicks": [1.0, 0.0],
            "conversions": [0.0, 0.0],
            "revenue": [5.0, 20.0],
        }
    )
    rows.to_parquet(tmp_path / engine.PARQUET_FILE, index=False)
    table = engine.aggregate_campaigns(tmp_path, by=["platform"], engine="duckdb").set_index("platform")
    assert np.isnan(table.loc["Meta", "roas"]) and np.isnan(table.loc["TikTok", "ctr"])
    assert table.loc["TikTok", "roas"] == 2.0
    assert not np.isinf(table.select_dtypes("number").to_numpy()).any()


def test_filter_values_are_parameters_not_sql(parquet_dir: Path) -> None:
    hostile = CampaignFilter(platforms=("Meta') OR TRUE --", "Meta"))
    sums = engine.sum_campaigns(parquet_dir, hostile, ["platform"], engine="duckdb")
    assert list(sums["platform"]) == ["Meta"]


def test_auto_picks_pandas_for_frames_and_small_files(frame: pd.DataFrame, parquet_dir: Path) -> None:
    assert engine.choose_engine(frame) == "pandas"
    assert engine.choose_engine(frame, min_rows=5_000) == "pandas"  # a loaded frame stays in pandas
    assert engine.choose_engine(parquet_dir) == "pandas"  # 5,000 rows < DUCKDB_MIN_ROWS
    assert engine.choose_engine(parquet_dir, min_rows=5_000) == "duckdb"
    assert engine.choose_engine(parquet_dir / "missing") == "pandas"
    on_auto = engine.aggregate_campaigns(parquet_dir, by=["device"])
    on_duckdb = engine.aggregate_campaigns(parquet_dir, by=["device"], engine="duckdb")
    pd.testing.assert_frame_equal(on_auto, on_duckdb, check_exact=False, rtol=1e-9)


def test_bad_requests_raise_one_sentence_errors(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(engine.EngineError, match="Cannot group by"):
        engine.sum_campaigns(frame, by=["spend; DROP TABLE x"])
    with pytest.raises(engine.EngineError, match="Unknown engine"):
        engine.sum_campaigns(frame, engine="spark")
    with pytest.raises(engine.EngineError, match="no ad_set column"):
        engine.sum_campaigns(frame.drop(columns="ad_set"), by=["ad_set"], engine="duckdb")
    with pytest.raises(engine.EngineError, match=r"No campaigns\.parquet"):
        engine.sum_campaigns(tmp_path, engine="duckdb")


def test_input_frame_is_not_mutated(frame: pd.DataFrame) -> None:
    before = frame.copy()
    engine.aggregate_campaigns(frame, SPECS["devices and content"], ["platform"])
    pd.testing.assert_frame_equal(frame, before)


def test_filter_options_frame_has_the_datas_choices_and_dates(frame: pd.DataFrame, parquet_dir: Path) -> None:
    for source in (frame, parquet_dir):
        options = engine.filter_options_frame(source)
        for column in ("platform", "device", "campaign", "campaign_type", "content_type"):
            assert sorted(options[column].astype(str).unique()) == sorted(frame[column].astype(str).unique())
        assert options["date"].min() == frame["date"].min()
        assert options["date"].max() == frame["date"].max()
        assert len(options) < len(frame)
