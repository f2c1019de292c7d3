"""One implementation, two front doors: the API's JSON equals `python -m pipeline COMMAND --json` for the same
input (the CLI run in this process through pipeline.cli.main, on the server's data and models)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.sections.api import ApiServer
from pipeline.cli import main
from tests.api.conftest import ROOT, call

EXPORTS = ROOT / "tests" / "fixtures" / "exports"


@pytest.fixture(autouse=True)
def no_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Without a configured backend the CLI takes its in-memory paths, as the API does."""
    for name in ("ANALYTICS_BACKEND", "ANALYTICS_CAMPAIGNS_TABLE", "ANALYTICS_TRACKING_TABLE"):
        monkeypatch.delenv(name, raising=False)
    yield


def cli_json(*args: str) -> dict[str, Any]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main.main([*args, "--json"]) == 0
    return json.loads(printed.getvalue())


def api_json(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text[:500]
    return response.json()


@pytest.mark.parametrize("name", ["meta_ads_manager.csv", "google_ads_report.csv", "tiktok_ads_manager.csv"])
def test_ingest_and_kpis_of_an_upload(http: requests.Session, server: ApiServer, name: str) -> None:
    path = EXPORTS / name
    upload = {"file": (path.name, path.read_bytes(), "text/csv")}
    assert api_json(call(http, server, "POST", "/ingest", files=upload)) == cli_json("ingest", str(path))
    by = "platform,device"
    kpis = api_json(call(http, server, "POST", "/kpis", files=upload, data={"by": by}))
    assert kpis == cli_json("kpis", str(path), "--by", by)


def test_kpis_of_the_demo_data(http: requests.Session, server: ApiServer, api_data_dir: Path) -> None:
    api = api_json(call(http, server, "POST", "/kpis", data={"by": "platform,campaign_type"}))
    assert api == cli_json("kpis", str(api_data_dir / "campaigns.csv"), "--by", "platform,campaign_type")


@pytest.mark.parametrize("share", [None, 0.6])
def test_incrementality(http: requests.Session, server: ApiServer, api_data_dir: Path, share: float | None) -> None:
    params = {} if share is None else {"expected_share": share}
    options = [] if share is None else ["--expected-share", str(share)]
    api = api_json(call(http, server, "GET", "/incrementality", params=params))
    assert api == cli_json("incrementality", str(api_data_dir), *options)


def test_predict_one_line_and_each_line_of_a_batch(
    http: requests.Session, server: ApiServer, api_models_dir: Path
) -> None:
    lines = [
        {"platform": "meta", "spend": 1000.0},
        {"platform": "TikTok", "spend": 250.5, "device": "MOBILE", "campaign_type": "traffic"},
        {"platform": "Instagram", "spend": 10_000_000.0, "content_type": "video", "ad_set": "lookalike"},
    ]
    expected = [cli_json("predict", *_predict_options(line), "--models", str(api_models_dir)) for line in lines]
    assert api_json(call(http, server, "POST", "/predict", json=lines[1])) == expected[1]
    batch = api_json(call(http, server, "POST", "/predict", json={"lines": lines}))
    assert batch == {"count": 3, "predictions": expected}


def _predict_options(line: dict[str, Any]) -> list[str]:
    return [part for key, value in line.items() for part in (f"--{key.replace('_', '-')}", str(value))]


@pytest.mark.parametrize(("budget", "objective"), [(50000, "revenue"), (12345.5, "conversions")])
def test_optimize_lines(
    http: requests.Session, server: ApiServer, api_models_dir: Path, budget: float, objective: str
) -> None:
    api = api_json(call(http, server, "POST", "/optimize-lines", json={"budget": budget, "objective": objective}))
    options = ["--budget", str(budget), "--objective", objective, "--models", str(api_models_dir)]
    assert api == cli_json("optimize-lines", *options)


# Each optimizer mode, with the CLI options that say the same: bounds as amounts and as shares of the current mix.
OPTIMIZE_CASES = [
    ({"budget": 90000}, ["--budget", "90000"]),
    (
        {"budget": 60000.5, "days": 14, "min": {"Meta": "80%"}, "max": {"TikTok": 15000}, "max_shift": 60},
        ["--budget", "60000.5", "--days", "14", "--min", "Meta=80%", "--max", "TikTok=15000", "--max-shift", "60"],
    ),
    (
        {"budget": 90000, "max_shift": None, "spread": "recent"},
        ["--budget", "90000", "--max-shift", "none", "--spread", "recent"],
    ),
    ({"budget": 90000, "max_shift": 12.5}, ["--budget", "90000", "--max-shift", "12.5%"]),
    ({"mode": "target-mroas", "target": 1.1}, ["--mode", "target-mroas", "--target", "1.1"]),
    (
        {"mode": "target-roas", "target": 0.9, "start": "2026-03-01", "spread": "front-loaded"},
        ["--mode", "target-roas", "--target", "0.9", "--start", "2026-03-01", "--spread", "front-loaded"],
    ),
]


@pytest.mark.parametrize(
    ("body", "options"), OPTIMIZE_CASES, ids=["budget", "bounds", "free", "shift", "target-mroas", "target-roas"]
)
def test_optimize_each_mode(
    http: requests.Session, server: ApiServer, planner_folders: list[str], body: dict, options: list[str]
) -> None:
    api = api_json(call(http, server, "POST", "/optimize", json=body))
    assert api["mode"] == body.get("mode", "budget")
    assert api == cli_json("optimize", *options, *planner_folders)


def test_plan(http: requests.Session, server: ApiServer, planner_folders: list[str]) -> None:
    body = {"spend": {"Meta": 30000, "TikTok": 12500.5, "Influencers": 0}, "days": 21, "spread": "front-loaded"}
    spend = [part for name, amount in body["spend"].items() for part in ("--spend", f"{name}={amount}")]
    api = api_json(call(http, server, "POST", "/plan", json=body))
    assert api == cli_json("plan", *spend, "--days", "21", "--spread", "front-loaded", *planner_folders)


@pytest.fixture
def planner_folders(api_data_dir: Path, api_models_dir: Path) -> list[str]:
    """The server's data and models folders as the planner commands take them (the CLI reads the same saved fit)."""
    return ["--data", str(api_data_dir), "--models", str(api_models_dir)]
