"""One real `python -m api` (uvicorn) per test run on a free 127.0.0.1 port, with a token and tiny limits, on the
suite's generated demo set, with a copy of the trained models and of the demo set's media mix fit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.sections.api import ApiServer, running_api
from pipeline import config
from tests.conftest import copy_mmm_fit
from tests.pipeline.modeling.trained import demo_models

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-7f3a"
# Tiny limits, so the tests can pass them cheaply; the defaults are 200 MB and 10,000 lines.
MAX_BODY = 2_000_000
MAX_LINES = 50


@pytest.fixture(scope="session")
def api_data_dir(demo_dir: Path) -> Path:
    """The suite's small generated demo set: the same data on every machine, whatever data/ holds."""
    return demo_dir


@pytest.fixture(scope="session")
def api_models_dir(demo_dir: Path, mmm_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the suite's demo models (trained once per run and shared with the modeling tests) with the demo
    set's media mix fit beside them (fitted once per run), never models/."""
    trained = demo_models(demo_dir, tmp_path_factory.getbasetemp())[0]
    models = shutil.copytree(trained, tmp_path_factory.mktemp("api-models") / "models")
    return copy_mmm_fit(mmm_models_dir, models)


@pytest.fixture(scope="session")
def server(api_data_dir: Path, api_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    log = tmp_path_factory.mktemp("api-server") / "api.log"
    limits = {config.ENV_API_MAX_BODY: str(MAX_BODY), config.ENV_API_MAX_LINES: str(MAX_LINES)}
    with running_api(api_data_dir, api_models_dir, log, token=TOKEN, extra_env=limits) as running:
        yield running


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def call(
    http: requests.Session, server: ApiServer, method: str, path: str, token: str | None = TOKEN, **kwargs: Any
) -> requests.Response:
    """One request to the test server, with the bearer token unless `token` is None."""
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return http.request(method, f"{server.url}{path}", headers=headers, timeout=60, **kwargs)


def assert_error(response: requests.Response, status: int) -> str:
    """The response is `status` with JSON {"error": one sentence}: one line, no traceback, a full stop."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"], body
    message = body["error"]
    assert isinstance(message, str) and message, body
    assert "\n" not in message and "Traceback" not in message and len(message) <= 500, message
    assert message.endswith((".", "…")), message
    return message
