"""`python -m pipeline ingest` and `python -m pipeline kpis` as a user runs them (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
INGEST_KEYS = {"kind", "rows_read", "rows_kept", "dropped", "mapping", "estimated", "platforms", "totals"}
ROW_KPIS = {"ctr", "cvr", "cpc", "cpa", "cpm", "roas", "roi"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_ingest_json_contract_and_parquet_out(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "meta.parquet"
    proc = run("ingest", str(EXPORTS / "meta_ads_manager.csv"), "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert set(payload) >= INGEST_KEYS
    assert payload["kind"] == "campaigns"
    assert (payload["rows_read"], payload["rows_kept"]) == (4, 3)
    assert payload["dropped"] == {"summary row": 1}
    assert payload["mapping"]["Amount spent (USD)"] == "spend"
    assert payload["platforms"] == ["Meta"]
    assert payload["totals"] == pytest.approx(
        {"spend": 1750.5, "impressions": 160000, "clicks": 2400, "conversions": 45, "revenue": 5400}
    )
    written = pd.read_parquet(out)
    assert len(written) == 3 and written["spend"].sum() == pytest.approx(1750.5)


def test_ingest_real_facebook_data_reports_estimates(shared_data: Path) -> None:
    proc = run("ingest", str(shared_data / "real" / "kag_conversion_data.csv"), "--json")
    payload = json.loads(proc.stdout)
    assert payload["totals"]["impressions"] == 213_434_828
    assert payload["totals"]["spend"] == pytest.approx(58_705.23, abs=0.01)
    assert sorted(payload["estimated"]) == ["date", "revenue"]
    assert payload["assumptions"]["average_order_value"] > 0


def test_influencer_table_ingest_has_no_campaign_totals(shared_data: Path) -> None:
    proc = run("ingest", str(shared_data / "peers" / "influencer-roi" / "tracking_data.csv"), "--json")
    payload = json.loads(proc.stdout)
    assert payload["kind"] == "tracking" and payload["rows_kept"] == 2500
    assert "totals" not in payload


def test_kpis_are_ratios_of_sums_with_null_for_undefined(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(
        "date,platform,device,spend,impressions,clicks,conversions,revenue\n"
        "2025-01-01,Meta,Mobile,10,1000,10,1,40\n"
        "2025-01-02,Meta,Desktop,30,1000,30,3,20\n"
        "2025-01-01,TikTok,Mobile,0,500,5,0,0\n"
    )
    proc = run("kpis", str(path), "--by", "platform", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    rows = {row["platform"]: row for row in payload["rows"]}
    assert set(rows) == {"Meta", "TikTok"}
    assert set(rows["Meta"]) >= ROW_KPIS
    assert rows["Meta"]["ctr"] == pytest.approx(40 / 2000)  # Σclicks/Σimpressions, not a mean of CTRs
    assert rows["Meta"]["roas"] == pytest.approx(60 / 40)
    assert rows["Meta"]["roi"] == pytest.approx((60 - 40) / 40)
    assert rows["TikTok"]["roas"] is None and rows["TikTok"]["cpa"] is None  # zero spend / conversions
    assert payload["total"]["spend"] == 40 and payload["total"]["cpm"] == pytest.approx(1000 * 40 / 2500)


def test_kpis_by_two_dimensions_including_date(shared_data: Path) -> None:
    proc = run("kpis", str(shared_data / "peers" / "campaign-perf" / "meta_ads.csv"), "--by", "date,device", "--json")
    payload = json.loads(proc.stdout)
    first = payload["rows"][0]
    assert len(first["date"]) == 10 and first["device"] in {"Desktop", "Mobile"}
    assert sum(row["clicks"] for row in payload["rows"]) == pytest.approx(payload["total"]["clicks"])


def test_kpis_unknown_dimension_names_the_available_ones(shared_data: Path) -> None:
    proc = run("kpis", str(shared_data / "real" / "kag_conversion_data.csv"), "--by", "gender,colour", "--json")
    assert_one_line_error(proc, "Unknown dimension 'colour'; available: date, platform")
    assert "age" in proc.stderr


def test_kpis_needs_a_campaign_file(shared_data: Path) -> None:
    proc = run("kpis", str(shared_data / "peers" / "influencer-roi" / "payouts.csv"), "--json")
    assert_one_line_error(proc, "kpis needs a campaign file")


def test_missing_file_exits_2() -> None:
    assert_one_line_error(run("ingest", "no/such/export.csv", "--json"), "File not found")


def test_bad_files_exit_2_with_one_error_line(tmp_path: Path) -> None:
    archive = tmp_path / "report.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("report.csv", "a,b\n1,2\n")
    assert_one_line_error(run("ingest", str(archive), "--json"), "ZIP archive")
    broken = tmp_path / "broken.csv"
    broken.write_text('Day,Campaign,Cost\n2025-01-01,"Spring,10\n')
    assert_one_line_error(run("kpis", str(broken), "--by", "campaign", "--json"), "broken quoting")
