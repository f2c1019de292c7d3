"""`python -m pipeline incrementality DIR`: the demo's JSON against the ground truth, one-line errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from pipeline.cli import commands, main


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_on_demo_data(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["incrementality", str(demo_dir), "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)
    truth = json.loads((demo_dir / "ground_truth.json").read_text())
    assert result["contaminated_users"] == truth["contaminated_users"]
    low, high = result["iroas_ci"]
    assert low <= result["iroas"] <= high
    assert low <= truth["iroas"] <= high
    assert result["srm_p_value"] > 0.001
    assert len(result["by_influencer"]) == 60
    row = result["by_influencer"][0]
    assert set(row) == {
        "influencer_id",
        "exposed_users",
        "control_users",
        "lift",
        "incremental_revenue",
        "payout",
        "iroas",
        "iroas_ci_low",
        "iroas_ci_high",
        "p_value",
    }
    assert sum(r["payout"] for r in result["by_influencer"]) == pytest.approx(result["payout"])


def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["incrementality", str(tmp_path / "nowhere")], capsys)
    assert code == 2 and err.startswith("error:") and err.count("\n") == 1 and "not a folder" in err
    code, _, err = run_cli(["incrementality", str(tmp_path)], capsys)
    assert code == 2 and "tracking_data.csv" in err
    (tmp_path / "tracking_data.csv").write_text("user_id,group,revenue,influencer_id\n1,1,5,1\n2,1,0,1\n")
    code, _, err = run_cli(["incrementality", str(tmp_path)], capsys)
    assert code == 2 and "payouts.csv" in err
    (tmp_path / "payouts.csv").write_text("influencer_id,total_payout\n1,10\n")
    code, _, err = run_cli(["incrementality", str(tmp_path)], capsys)
    assert code == 2 and "no control users" in err and err.count("\n") == 1
    (tmp_path / "tracking_data.csv").write_text("user,grp\n1,x\n")
    code, _, err = run_cli(["incrementality", str(tmp_path)], capsys)
    assert code == 2 and "missing column" in err
    (tmp_path / "tracking_data.csv").write_bytes(b"")
    code, _, err = run_cli(["incrementality", str(tmp_path)], capsys)
    assert code == 2 and "could not be read" in err


@pytest.mark.parametrize("share", [1.5, 0.0, 1.0, -0.2])
def test_cli_handler_rejects_a_bad_expected_share(demo_dir: Path, share: float) -> None:
    """0 used to become the 0.5 default silently (`share or 0.5`); it is as wrong as 1.5."""
    with pytest.raises(commands.CliError, match="expected-share"):
        commands.command_incrementality(argparse.Namespace(directory=demo_dir, expected_share=share, backend=None))


def test_cli_expected_share_zero_exits_2(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["incrementality", str(demo_dir), "--expected-share", "0", "--json"], capsys)
    assert code == 2 and out == "" and "expected-share" in err


def test_cli_gives_no_verdict_on_buyers_only_tables(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The influencer seed's own tables (buyers only, 6% in both groups) used to get '… above break-even'."""
    code, out, err = run_cli(["incrementality", str(shared_data / "peers" / "influencer-roi"), "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["verdict"].startswith("No verdict") and "break-even" not in result["verdict"]
    failed = {g["name"] for g in result["guardrails"] if g["status"] == "fail"}
    assert {"Users in both groups", "Non-buyers tracked", "Plausible lift"} <= failed


def test_cli_demo_passes_every_guardrail_and_reports_the_stratified_estimate(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["incrementality", str(demo_dir), "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert {g["status"] for g in result["guardrails"]} == {"pass"}
    low, high = result["stratified"]["iroas_ci"]
    assert low < result["stratified"]["iroas"] < high
    assert result["stratified"]["iroas"] == pytest.approx(result["iroas"], abs=0.05)  # even splits: close to pooled
