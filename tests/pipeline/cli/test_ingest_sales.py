"""`python -m pipeline ingest FILE --json` on daily-sales exports, as a user runs it (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
SALES_KEYS = {"kind", "rows_read", "rows_kept", "dropped", "mapping", "totals"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_ga4_export_reports_kind_rows_drops_mapping_and_totals(tmp_path: Path) -> None:
    out = tmp_path / "sales.parquet"
    proc = run("ingest", str(EXPORTS / "ga4_sales.csv"), "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert set(payload) >= SALES_KEYS
    assert payload["kind"] == "sales"
    assert (payload["rows_read"], payload["rows_kept"]) == (6, 5)
    assert payload["dropped"] == {"summary row": 1}
    assert payload["mapping"] == {"Date": "date", "Total revenue": "revenue", "Purchases": "orders"}
    assert payload["totals"] == pytest.approx({"revenue": 3669.25, "orders": 35.0})
    written = pd.read_parquet(out)
    assert list(written.columns) == ["date", "revenue", "orders"] and len(written) == 5


def test_shop_report_counts_the_summed_day(tmp_path: Path) -> None:
    payload = json.loads(run("ingest", str(EXPORTS / "shop_daily_sales.csv"), "--json").stdout)
    assert payload["kind"] == "sales"
    assert payload["dropped"] == {"same day (summed)": 1}
    assert payload["mapping"]["Total sales"] == "revenue"
    assert payload["totals"] == pytest.approx({"revenue": 4468.0, "orders": 46.0})


def test_no_orders_column_prints_a_null_orders_total(tmp_path: Path) -> None:
    path = tmp_path / "daily.csv"
    path.write_text("date,revenue\n2025-01-01,10\n2025-01-02,-2.5\n")
    payload = json.loads(run("ingest", str(path), "--json").stdout)
    assert payload["totals"] == {"revenue": 7.5, "orders": None}


def test_an_unusable_sales_file_is_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("date,revenue\n2025-01-01,n/a\n")
    proc = run("ingest", str(path), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == "error: No usable rows: all 1 rows were dropped (missing number: 1)."
