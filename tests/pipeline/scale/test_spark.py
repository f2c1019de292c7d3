"""A local Spark session computes the same KPI sums and incrementality results as DuckDB on the same files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline import config
from pipeline.cli import main
from pipeline.filters import CampaignFilter
from pipeline.scale import backends, campaign_sums, sums_stats, tracking_sums
from tests.pipeline.scale.compare import close

DAY = pd.Timestamp("2025-03-14")
SPECS = {
    "everything": CampaignFilter(),
    "two platforms, one month": CampaignFilter(
        start=pd.Timestamp("2025-02-01"), end=pd.Timestamp("2025-02-28"), platforms=("Meta", "TikTok")
    ),
    "a single day, missing devices": CampaignFilter(start=DAY, end=DAY, devices=(config.MISSING_LABEL, "Mobile")),
    "nothing selected": CampaignFilter(platforms=()),
}
CUBE = ["platform", "campaign", "device", "date"]  # the overview's day-level cube
# (spec, grouping) pairs rather than every combination: each Spark query costs ~1 s.
CASES = [
    ("everything", []),
    ("everything", CUBE),
    ("two platforms, one month", ["platform", "device"]),
    ("a single day, missing devices", CUBE),
    ("nothing selected", []),
    ("nothing selected", ["platform", "device"]),
]


def tables(con: Any, scale_dir: Path, file: str) -> Any:
    settings = config.BackendSettings(kind="spark", campaigns=str(scale_dir / file))
    return backends.campaign_table(con, settings)


@pytest.mark.parametrize(("name", "by"), CASES, ids=[f"{name}: {'+'.join(by) or 'totals'}" for name, by in CASES])
def test_spark_campaign_sums_equal_duckdb(
    spark_con: Any, duckdb_con: Any, scale_dir: Path, name: str, by: list[str]
) -> None:
    on_spark = campaign_sums.campaign_sums(tables(spark_con, scale_dir, "campaigns_gaps.parquet"), SPECS[name], by)
    on_duckdb = campaign_sums.campaign_sums(tables(duckdb_con, scale_dir, "campaigns_gaps.parquet"), SPECS[name], by)
    pd.testing.assert_frame_equal(on_spark, on_duckdb, check_exact=False, rtol=1e-9)
    assert (on_spark["rows"].sum() == 0) == (name == "nothing selected")


def test_spark_reads_csv_with_blanks_like_duckdb(spark_con: Any, duckdb_con: Any, scale_dir: Path) -> None:
    spec, by = SPECS["a single day, missing devices"], ["device", "content_type", "date"]
    on_spark = campaign_sums.campaign_sums(tables(spark_con, scale_dir, "campaigns_gaps.csv"), spec, by)
    on_duckdb = campaign_sums.campaign_sums(tables(duckdb_con, scale_dir, "campaigns_gaps.csv"), spec, by)
    pd.testing.assert_frame_equal(on_spark, on_duckdb, check_exact=False, rtol=1e-9)
    assert config.MISSING_LABEL in set(on_spark["device"])


def test_spark_tracking_sums_and_comparisons_equal_duckdb(spark_con: Any, duckdb_con: Any, scale_dir: Path) -> None:
    # Per-influencer sums and comparisons are compared through the CLI test below.
    settings = config.BackendSettings(kind="spark", tracking=str(scale_dir))  # finds tracking_data.parquet
    on_spark = tracking_sums.tracking_sums(backends.tracking_table(spark_con, settings))
    on_duckdb = tracking_sums.tracking_sums(duckdb_con.read_csv(str(scale_dir / "tracking_data.csv")))
    pd.testing.assert_frame_equal(on_spark.sums, on_duckdb.sums, check_exact=False, rtol=1e-9)
    assert on_spark.contaminated_users == on_duckdb.contaminated_users > 0
    for method in sums_stats.METHODS:
        spark_result = sums_stats.compare_from_sums(on_spark.sums, 50_000.0, method)
        duckdb_result = sums_stats.compare_from_sums(on_duckdb.sums, 50_000.0, method)
        assert close(spark_result, duckdb_result)
        assert spark_result.iroas_ci_low < spark_result.iroas < spark_result.iroas_ci_high


def test_the_cli_gives_the_same_json_on_spark_and_duckdb(
    spark_con: Any, scale_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {}
    for kind in ("spark", "duckdb"):
        for command in (["kpis", str(scale_dir / "campaigns.parquet"), "--by", "platform"], ["incrementality"]):
            args = [*command, str(scale_dir)] if command == ["incrementality"] else command
            assert main.main([*args, "--backend", kind, "--json"]) == 0
            outputs[kind, command[0]] = json.loads(capsys.readouterr().out)
    for command in ("kpis", "incrementality"):
        spark, duckdb = outputs["spark", command], outputs["duckdb", command]
        assert (spark.pop("backend"), duckdb.pop("backend")) == ("spark", "duckdb")
        assert close(spark, duckdb), command
    assert outputs["spark", "incrementality"]["method"] == "normal"
