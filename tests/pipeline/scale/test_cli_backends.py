"""`python -m pipeline kpis|incrementality --backend ...`: the same JSON as the in-memory commands, plus
`backend` and `method`; bad settings give one `error:` line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from tests.pipeline.scale.compare import close

ROOT = Path(__file__).resolve().parents[3]


def run_main(capsys: Any, *args: str) -> dict[str, Any]:
    assert main.main([*args, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def one_line_error(capsys: Any, *args: str) -> str:
    assert main.main([*args, "--json"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and captured.out == ""
    return lines[0]


@pytest.fixture(autouse=True)
def no_backend_in_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ANALYTICS_BACKEND", "ANALYTICS_CAMPAIGNS_TABLE", "ANALYTICS_TRACKING_TABLE", "ANALYTICS_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("pipeline.config.SECRETS_PATH", tmp_path / "no-secrets.toml")


def test_kpis_on_duckdb_equal_the_in_memory_command(scale_dir: Path, capsys: Any) -> None:
    file = str(scale_dir / "campaigns.csv")
    in_memory = run_main(capsys, "kpis", file, "--by", "platform,device")
    on_duckdb = run_main(capsys, "kpis", file, "--by", "platform,device", "--backend", "duckdb")
    assert (on_duckdb.pop("backend"), on_duckdb.pop("method")) == ("duckdb", "ratio_of_sums")
    assert "backend" not in in_memory
    assert close(on_duckdb, in_memory) and len(in_memory["rows"]) > 3


def test_incrementality_on_duckdb_matches_the_exact_command(scale_dir: Path, capsys: Any) -> None:
    exact = run_main(capsys, "incrementality", str(scale_dir))
    at_scale = run_main(capsys, "incrementality", str(scale_dir), "--backend", "duckdb")
    assert (at_scale.pop("backend"), at_scale.pop("method")) == ("duckdb", "normal")
    assert at_scale.keys() == exact.keys()
    for key in ("exposed_users", "control_users", "contaminated_users", "lift", "incremental_revenue", "payout"):
        assert close(at_scale[key], exact[key]), key
    assert close(at_scale["iroas"], exact["iroas"]) and close(at_scale["p_value"], exact["p_value"])
    width = exact["iroas_ci"][1] - exact["iroas_ci"][0]
    assert all(abs(a - b) <= 0.05 * width for a, b in zip(at_scale["iroas_ci"], exact["iroas_ci"], strict=True))
    assert len(at_scale["by_influencer"]) == len(exact["by_influencer"]) == 60
    for mine, theirs in zip(at_scale["by_influencer"], exact["by_influencer"], strict=True):
        for key in ("influencer_id", "exposed_users", "control_users", "payout", "iroas", "p_value"):
            assert close(mine[key], theirs[key]), key


def test_the_environment_selects_the_backend_and_location(
    scale_dir: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYTICS_BACKEND", "duckdb")
    monkeypatch.setenv("ANALYTICS_CAMPAIGNS_TABLE", str(scale_dir / "campaigns_gaps.parquet"))
    result = run_main(capsys, "kpis", "--by", "device")
    assert result["backend"] == "duckdb"
    assert "(none)" in {row["device"] for row in result["rows"]}  # it read the gaps file, not data/
    assert result["total"]["rows"] == 20_000


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (("kpis",), {}, "kpis needs a campaign FILE"),
        (("incrementality",), {}, "incrementality needs a folder"),
        (("kpis", "--backend", "duckdb", "--by", "colour"), {}, "Cannot group by colour"),
        (("kpis", "--backend", "postgres"), {}, "needs a URL"),
        (("kpis", "--backend", "oracle"), {}, "invalid choice: 'oracle'"),
        (("kpis",), {"ANALYTICS_BACKEND": "oracle"}, "Unknown backend 'oracle'"),
        (("incrementality", "/nonexistent", "--backend", "duckdb"), {}, "is not a folder"),
        (
            ("kpis", "--backend", "postgres", "--backend-url", "postgresql://u:hunter2@127.0.0.1:1/db"),
            {},
            "Cannot connect to PostgreSQL at postgresql://u:***@127.0.0.1:1/db",
        ),
    ],
)
def test_bad_backend_requests_are_one_line(
    capsys: Any, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], env: dict[str, str], fragment: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    line = one_line_error(capsys, *args)
    assert fragment in line and "hunter2" not in line


def test_a_user_runs_it_as_a_subprocess(scale_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "kpis", "--by", "platform", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "ANALYTICS_BACKEND": "duckdb", "APP_DATA_DIR": str(scale_dir)},
    )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["backend"] == "duckdb" and payload["total"]["rows"] == 20_000
    assert {row["platform"] for row in payload["rows"]} <= {"Meta", "TikTok", "Instagram", "Google Ads"}


def test_secrets_toml_selects_the_backend_when_the_environment_does_not(
    scale_dir: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[backend]\nkind = "duckdb"\ncampaigns_table = "{scale_dir / "campaigns_gaps.csv"}"\n')
    monkeypatch.setattr("pipeline.config.SECRETS_PATH", secrets)
    result = run_main(capsys, "kpis", "--by", "content_type")
    assert result["backend"] == "duckdb" and "(none)" in {row["content_type"] for row in result["rows"]}
