"""pipeline.scale.campaign_sums: the pandas sums and the backends' DuckDB sums give the same sums and KPIs on the
same data (read from campaigns.parquet and from campaigns.csv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline import config, kpis
from pipeline.filters import CampaignFilter, apply_campaign_filter, filter_options_frame
from pipeline.inputs.demo import read_campaigns, tidy_campaigns
from pipeline.scale import backends, campaign_sums

SPECS = {
    "everything": CampaignFilter(),
    "two platforms, one month": CampaignFilter(
        start=pd.Timestamp("2025-02-01"), end=pd.Timestamp("2025-02-28"), platforms=("Meta", "TikTok")
    ),
    "devices and content": CampaignFilter(devices=("Mobile",), content_types=("Video", "UGC")),
    "nothing selected": CampaignFilter(platforms=()),
}
GROUPINGS = [[], ["platform"], ["platform", "device"], ["date"], ["platform", "campaign", "device", "date"]]


def on_pandas(frame: pd.DataFrame, spec: CampaignFilter = campaign_sums.EVERYTHING, by: Any = ()) -> pd.DataFrame:
    """The pandas sums plus every ratio-of-sums KPI."""
    return kpis.add_ratios(campaign_sums.frame_sums(frame, spec, by))


def on_duckdb(table: Any, spec: CampaignFilter = campaign_sums.EVERYTHING, by: Any = ()) -> pd.DataFrame:
    """The same on a DuckDB table through pipeline.scale.backends."""
    return kpis.add_ratios(campaign_sums.campaign_sums(table, spec, by))


def duckdb_table(con: Any, location: Path) -> Any:
    return backends.campaign_table(con, config.BackendSettings(kind="duckdb", campaigns=str(location)))


@pytest.fixture(scope="module")
def parquet_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 5k demo set as campaigns.parquet (the generator writes Parquet only from 1M rows)."""
    out = tmp_path_factory.mktemp("parquet")
    frame = pd.read_csv(demo_dir / "campaigns.csv")
    frame.assign(date=pd.to_datetime(frame["date"])).to_parquet(out / config.CAMPAIGNS_PARQUET, index=False)
    return out


@pytest.fixture(scope="module")
def frame(parquet_dir: Path) -> pd.DataFrame:
    return read_campaigns(parquet_dir)


@pytest.fixture(scope="module")
def parquet_table(duckdb_con: Any, parquet_dir: Path) -> Any:
    return duckdb_table(duckdb_con, parquet_dir)  # finds campaigns.parquet


@pytest.fixture(scope="module")
def csv_table(duckdb_con: Any, demo_dir: Path) -> Any:
    return duckdb_table(duckdb_con, demo_dir / config.CAMPAIGNS_FILE)


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("by", GROUPINGS, ids=lambda by: "+".join(by) or "totals")
def test_pandas_and_duckdb_paths_agree(
    frame: pd.DataFrame, parquet_table: Any, csv_table: Any, name: str, by: list[str]
) -> None:
    expected = on_pandas(frame, SPECS[name], by)
    on_parquet = on_duckdb(parquet_table, SPECS[name], by)
    on_csv = on_duckdb(csv_table, SPECS[name], by)
    pd.testing.assert_frame_equal(expected, on_parquet, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(expected, on_csv, check_exact=False, rtol=1e-9)


def test_totals_match_the_kpi_engine_on_filtered_rows(frame: pd.DataFrame, parquet_table: Any) -> None:
    spec = SPECS["two platforms, one month"]
    expected = kpis.kpi_totals(apply_campaign_filter(frame, spec))
    got = on_duckdb(parquet_table, spec).iloc[0]
    for metric in ("spend", "revenue", "clicks", "rows", "ctr", "roas", "cpa", "roi"):
        assert got[metric] == pytest.approx(expected[metric], rel=1e-9), metric
    assert 0 < got["rows"] < len(frame)


def test_group_sums_add_up_to_the_totals(parquet_table: Any) -> None:
    by_platform = campaign_sums.campaign_sums(parquet_table, by=["platform"])
    totals = campaign_sums.campaign_sums(parquet_table).iloc[0]
    assert by_platform["spend"].sum() == pytest.approx(totals["spend"], rel=1e-12)
    assert by_platform["rows"].sum() == totals["rows"] == 5_000
    assert list(by_platform["platform"]) == sorted(by_platform["platform"])


def test_nothing_selected_gives_zero_sums_and_nan_ratios(parquet_table: Any, frame: pd.DataFrame) -> None:
    for totals in (
        on_duckdb(parquet_table, CampaignFilter(campaigns=())).iloc[0],
        on_pandas(frame, CampaignFilter(campaigns=())).iloc[0],
    ):
        assert totals["rows"] == 0
        assert totals["spend"] == 0.0
        assert np.isnan(totals["roas"]) and np.isnan(totals["ctr"])
    assert on_duckdb(parquet_table, CampaignFilter(campaigns=()), ["platform"]).empty
    assert on_pandas(frame, CampaignFilter(campaigns=()), ["platform"]).empty


def test_zero_spend_group_gives_nan_not_inf(duckdb_con: Any, tmp_path: Path) -> None:
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
    rows.to_parquet(tmp_path / config.CAMPAIGNS_PARQUET, index=False)
    table = on_duckdb(duckdb_table(duckdb_con, tmp_path), by=["platform"]).set_index("platform")
    assert np.isnan(table.loc["Meta", "roas"]) and np.isnan(table.loc["TikTok", "ctr"])
    assert table.loc["TikTok", "roas"] == 2.0
    assert not np.isinf(table.select_dtypes("number").to_numpy()).any()


def test_filter_values_are_values_not_sql(parquet_table: Any, frame: pd.DataFrame) -> None:
    hostile = CampaignFilter(platforms=("Meta') OR TRUE --", "Meta"))
    sums = campaign_sums.campaign_sums(parquet_table, hostile, ["platform"])
    assert list(sums["platform"]) == ["Meta"]
    assert list(campaign_sums.frame_sums(frame, hostile, ["platform"])["platform"]) == ["Meta"]


def test_missing_values_are_summed_under_the_missing_label(duckdb_con: Any, tmp_path: Path) -> None:
    """A blank device reads as config.MISSING_LABEL on both paths, in groups and in filters."""
    rows = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-02"]),
            "platform": ["Meta", "Meta", "TikTok"],
            "device": ["Mobile", None, None],
            "spend": [1.0, 2.0, 4.0],
        }
    )
    rows.to_parquet(tmp_path / config.CAMPAIGNS_PARQUET, index=False)
    table = duckdb_table(duckdb_con, tmp_path)
    spec = CampaignFilter(devices=(config.MISSING_LABEL,))
    for sums in (
        campaign_sums.campaign_sums(table, by=["device"]),
        campaign_sums.frame_sums(tidy_campaigns(rows), by=["device"]),
    ):
        assert sums.set_index("device")["spend"].to_dict() == {config.MISSING_LABEL: 6.0, "Mobile": 1.0}
    on_duck = campaign_sums.campaign_sums(table, spec, ["platform"])
    pd.testing.assert_frame_equal(on_duck, campaign_sums.frame_sums(tidy_campaigns(rows), spec, ["platform"]))


def test_bad_requests_raise_one_sentence_errors(
    frame: pd.DataFrame, parquet_table: Any, duckdb_con: Any, tmp_path: Path
) -> None:
    with pytest.raises(campaign_sums.GroupingError, match="Cannot group by"):
        campaign_sums.frame_sums(frame, by=["spend; DROP TABLE x"])
    with pytest.raises(campaign_sums.GroupingError, match="Cannot group by"):
        campaign_sums.campaign_sums(parquet_table, by=["spend; DROP TABLE x"])
    with pytest.raises(config.BackendError, match="Unknown backend"):
        backends.connect(config.BackendSettings(kind="spark-sql"))
    with pytest.raises(campaign_sums.GroupingError, match="no ad_set column"):
        campaign_sums.frame_sums(frame.drop(columns="ad_set"), by=["ad_set"])
    with pytest.raises(campaign_sums.GroupingError, match="no ad_set column"):
        campaign_sums.campaign_sums(parquet_table.drop("ad_set"), by=["ad_set"])
    with pytest.raises(config.BackendError, match=r"has no campaigns\.parquet or campaigns\.csv"):
        duckdb_table(duckdb_con, tmp_path)


def test_input_frame_is_not_mutated(frame: pd.DataFrame) -> None:
    before = frame.copy()
    on_pandas(frame, SPECS["devices and content"], ["platform"])
    pd.testing.assert_frame_equal(frame, before)


def test_filter_options_frame_has_the_datas_choices_and_dates(frame: pd.DataFrame, demo_dir: Path) -> None:
    from_csv = tidy_campaigns(pd.read_csv(demo_dir / config.CAMPAIGNS_FILE, parse_dates=["date"]))
    for source in (frame, from_csv):
        options = filter_options_frame(source)
        for column in ("platform", "device", "campaign", "campaign_type", "content_type"):
            assert sorted(options[column].astype(str).unique()) == sorted(frame[column].astype(str).unique())
        assert options["date"].min() == frame["date"].min()
        assert options["date"].max() == frame["date"].max()
        assert len(options) < len(frame)
