"""A throwaway local PostgreSQL (conftest.postgres_url) computes the same sums and results as DuckDB."""

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
CUBE = ["platform", "campaign", "device", "date"]
CASES = [
    (CampaignFilter(), []),
    (CampaignFilter(), CUBE),
    (CampaignFilter(start=pd.Timestamp("2025-02-01"), end=pd.Timestamp("2025-02-28"), platforms=("Meta",)), ["device"]),
    (CampaignFilter(start=DAY, end=DAY, devices=(config.MISSING_LABEL,)), ["content_type", "date"]),
    (CampaignFilter(content_types=()), []),
    (CampaignFilter(platforms=("Meta'; DROP TABLE campaigns_gaps; --",)), ["platform"]),
]


@pytest.mark.parametrize(("spec", "by"), CASES, ids=[f"case {i}" for i in range(len(CASES))])
def test_postgres_campaign_sums_equal_duckdb(
    postgres_con: Any, duckdb_con: Any, scale_dir: Path, spec: CampaignFilter, by: list[str]
) -> None:
    on_postgres = campaign_sums.campaign_sums(postgres_con.table("campaigns_gaps"), spec, by)
    on_duckdb = campaign_sums.campaign_sums(
        duckdb_con.read_parquet(str(scale_dir / "campaigns_gaps.parquet")), spec, by
    )
    pd.testing.assert_frame_equal(on_postgres, on_duckdb, check_exact=False, rtol=1e-9)
    assert "campaigns_gaps" in postgres_con.list_tables()  # the hostile filter value was only a value


@pytest.mark.parametrize("by", [(), ("influencer_id",)], ids=["overall", "by influencer"])
def test_postgres_tracking_sums_and_comparisons_equal_duckdb(
    postgres_con: Any, duckdb_con: Any, scale_dir: Path, by: tuple[str, ...]
) -> None:
    on_postgres = tracking_sums.tracking_sums(postgres_con.table("tracking_data"), by)
    on_duckdb = tracking_sums.tracking_sums(duckdb_con.read_parquet(str(scale_dir / "tracking_data.parquet")), by)
    pd.testing.assert_frame_equal(on_postgres.sums, on_duckdb.sums, check_exact=False, rtol=1e-9)
    assert on_postgres.contaminated_users == on_duckdb.contaminated_users > 0
    payouts = pd.read_csv(scale_dir / "payouts.csv").set_index("influencer_id")["total_payout"]
    for method in sums_stats.METHODS:
        if by:
            left = sums_stats.compare_slices(on_postgres.sums, "influencer_id", payouts, method)
            right = sums_stats.compare_slices(on_duckdb.sums, "influencer_id", payouts, method)
        else:
            left = sums_stats.compare_from_sums(on_postgres.sums, float(payouts.sum()), method)
            right = sums_stats.compare_from_sums(on_duckdb.sums, float(payouts.sum()), method)
        assert close(left, right), method


def test_the_cli_reads_the_warehouse_tables_from_the_environment(
    postgres_con: Any, postgres_url: str, scale_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("ANALYTICS_BACKEND", "postgres")
    monkeypatch.setenv("ANALYTICS_BACKEND_URL", postgres_url)
    monkeypatch.setenv("ANALYTICS_CAMPAIGNS_TABLE", "campaigns")
    assert main.main(["kpis", "--by", "platform", "--json"]) == 0
    on_postgres = json.loads(capsys.readouterr().out)
    local = ["kpis", str(scale_dir / "campaigns.parquet"), "--by", "platform", "--backend", "duckdb", "--json"]
    assert main.main(local) == 0
    on_duckdb = json.loads(capsys.readouterr().out)
    assert (on_postgres.pop("backend"), on_duckdb.pop("backend")) == ("postgres", "duckdb")
    platforms = pd.read_csv(scale_dir / "campaigns.csv", usecols=["platform"])["platform"].nunique()
    assert close(on_postgres, on_duckdb) and len(on_postgres["rows"]) == platforms

    assert main.main(["incrementality", str(scale_dir), "--method", "buckets", "--json"]) == 0  # payouts from DIR
    result = json.loads(capsys.readouterr().out)
    assert (result["backend"], result["method"]) == ("postgres", "buckets")
    assert result["contaminated_users"] > 0 and len(result["by_influencer"]) == 60


def test_a_missing_warehouse_table_is_one_line(postgres_url: str, capsys: Any) -> None:
    args = ["kpis", "--backend", "postgres", "--backend-url", postgres_url, "--campaigns-table", "nope", "--json"]
    assert main.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: The backend has no table named 'nope'."]


def test_a_url_with_query_settings_connects(postgres_url: str) -> None:
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}sslmode=disable&application_name=dashboard-test"
    con = backends.connect(config.BackendSettings(kind="postgres", url=url))
    assert con.raw_sql("SELECT current_setting('application_name')").fetchone()[0] == "dashboard-test"
