"""Starting the server: no token means loopback only (exit 2 otherwise); the token and limits come from
pipeline.config; missing models are a 503 that says how to make them, and the rest keeps working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from api.guard import bearer_token, token_matches
from api.settings import is_loopback
from bench.sections.api import running_api
from bench.server import free_port
from pipeline import config
from tests.api.conftest import ROOT, assert_error


def run_api(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANALYTICS_")}
    return subprocess.run(
        [sys.executable, "-m", "api", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_binding_beyond_loopback_without_a_token_exits_2(host: str) -> None:
    if config.api_token({}) is not None:
        pytest.skip("secrets.toml on this machine configures an API token")
    proc = run_api("--host", host, "--port", str(free_port()))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "ANALYTICS_API_TOKEN" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_unusable_limit_exits_2() -> None:
    proc = run_api("--port", str(free_port()), ANALYTICS_API_MAX_BODY_BYTES="lots")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: ANALYTICS_API_MAX_BODY_BYTES must be a positive whole number, not 'lots'."
    ]


def test_loopback_names() -> None:
    assert all(is_loopback(host) for host in ("127.0.0.1", "::1", "[::1]", "localhost", "LOCALHOST"))
    assert not any(is_loopback(host) for host in ("0.0.0.0", "::", "", "example.com", "10.0.0.1"))


def test_token_from_the_environment_else_secrets(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    assert config.api_token({}, secrets) is None
    secrets.write_text('[backend]\nkind = "duckdb"\n\n[api]\ntoken = "from-secrets"\n')
    assert config.api_token({}, secrets) == "from-secrets"
    assert config.api_token({"ANALYTICS_API_TOKEN": " from-env "}, secrets) == "from-env"
    assert config.api_token({"ANALYTICS_API_TOKEN": "  "}, secrets) == "from-secrets"


def test_limits_default_to_the_apps_upload_limit() -> None:
    assert config.upload_limit_bytes() == 200 * 1024 * 1024  # server.maxUploadSize in .streamlit/config.toml
    assert config.api_max_body_bytes({}) == config.upload_limit_bytes()
    assert config.api_max_body_bytes({"ANALYTICS_API_MAX_BODY_BYTES": "1024"}) == 1024
    assert config.api_max_batch_lines({}) == 10_000
    with pytest.raises(ValueError, match="positive whole number"):
        config.api_max_batch_lines({"ANALYTICS_API_MAX_BATCH_LINES": "0"})


def test_bearer_token_parsing_and_comparison() -> None:
    assert bearer_token({"authorization": "Bearer abc"}) == "abc"
    assert bearer_token({"authorization": "bearer  abc "}) == "abc"
    assert bearer_token({"authorization": "Basic abc"}) is None
    assert bearer_token({}) is None
    assert token_matches("abc", "abc") and not token_matches("abd", "abc") and not token_matches(None, "abc")


def test_missing_models_are_503_and_the_rest_still_works(api_data_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    with running_api(api_data_dir, empty, tmp_path / "api.log", token="t") as server:
        auth = {"Authorization": "Bearer t"}
        health = requests.get(f"{server.url}/health", timeout=30).json()
        assert health["models"]["forecaster"] in ("missing", "unavailable")
        for path, body in (("/predict", {"platform": "Meta", "spend": 1}), ("/optimize-lines", {"budget": 100})):
            response = requests.post(f"{server.url}{path}", json=body, headers=auth, timeout=30)
            assert "make models" in assert_error(response, 503)
        no_fit = assert_error(requests.get(f"{server.url}/mmm", headers=auth, timeout=30), 503)
        for path, body in (("/optimize", {"budget": 100}), ("/plan", {"spend": {"Meta": 1}})):
            response = requests.post(f"{server.url}{path}", json=body, headers=auth, timeout=30)
            assert assert_error(response, 503) == no_fit  # the planner needs the saved media mix fit, as /mmm does
        assert requests.post(f"{server.url}/kpis", data={"by": "platform"}, headers=auth, timeout=60).ok
    # Nothing was trained or fitted inside a request.
    assert not (empty / "forecaster.joblib").exists() and not (empty / "media_mix.joblib").exists()
