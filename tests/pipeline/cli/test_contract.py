"""Every CLI command, run on the demo data, prints the JSON keys recorded in tests/fixtures/cli_json_keys.json.

The recorded list is the contract other tools rely on: a key may not disappear or be renamed silently.
Set RECORD_CLI_KEYS=1 to rewrite the list after a deliberate change.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import copy_mmm_fit

ROOT = Path(__file__).resolve().parents[3]
KEYS_FILE = ROOT / "tests" / "fixtures" / "cli_json_keys.json"
SALES_EXPORT = ROOT / "tests" / "fixtures" / "exports" / "ga4_sales.csv"  # kind "sales" and its totals


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value; a list contributes its first element's paths under `[]`."""
    if isinstance(value, dict):
        paths = set()
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            paths |= {path} | key_paths(item, path)
        return paths
    if isinstance(value, list) and value and isinstance(value[0], dict | list):
        return key_paths(value[0], f"{prefix}[]")
    return set()


def run_cli(*args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def run_json(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    return json.loads(run_cli(*args, "--json", env=env))


def printed_keys(text: str) -> dict[str, None]:
    """`report` has no --json: its `key: value` lines stand in for the keys."""
    return {line.split(":", 1)[0]: None for line in text.splitlines() if ":" in line}


@pytest.fixture(scope="module")
def outputs(
    demo_dir: Path, mmm_models_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    models = copy_mmm_fit(mmm_models_dir, tmp_path_factory.mktemp("contract-models"))
    data = tmp_path_factory.mktemp("contract-data") / "data"
    shutil.copytree(demo_dir, data)
    # Without a configured backend, kpis and incrementality take their in-memory paths.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYTICS_")}
    return {
        "ensure-data": run_json("ensure-data", "--data", str(data), env=env),
        "train": run_json("train", "--data", str(data), "--models", str(models), env=env),
        "ensure-models": run_json("ensure-models", "--data", str(data), "--models", str(models), env=env),
        "ingest": run_json("ingest", str(data / "campaigns.csv"), env=env),
        "ingest-sales": run_json("ingest", str(SALES_EXPORT), env=env),
        "kpis": run_json("kpis", str(data / "campaigns.csv"), "--by", "platform,device", env=env),
        "incrementality": run_json("incrementality", str(data), env=env),
        "predict": run_json("predict", "--platform", "Meta", "--spend", "500", "--models", str(models), env=env),
        "optimize-lines": run_json("optimize-lines", "--budget", "20000", "--models", str(models), env=env),
        "optimize": run_json("optimize", "--budget", "200000", "--data", str(data), "--models", str(models), env=env),
        "plan": run_json(
            "plan",
            "--spend",
            "Meta=60000",
            "--spend",
            "TikTok=40000",
            "--data",
            str(data),
            "--models",
            str(models),
            env=env,
        ),
        "mmm": run_json("mmm", "--data", str(data), "--models", str(models), env=env),
        "report": printed_keys(
            run_cli(
                "report", "--out", str(models / "report.html"), "--data", str(data), "--models", str(models), env=env
            )
        ),
    }


def test_every_command_prints_the_recorded_keys(outputs: dict[str, dict[str, Any]]) -> None:
    found = {command: sorted(key_paths(payload)) for command, payload in outputs.items()}
    if os.environ.get("RECORD_CLI_KEYS"):
        KEYS_FILE.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(KEYS_FILE.read_text())
    assert set(found) == set(recorded)
    for command, keys in recorded.items():
        assert found[command] == keys, command
