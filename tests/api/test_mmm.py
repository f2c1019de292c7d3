"""GET /mmm: the media mix model's answer is `python -m pipeline mmm --json`'s, read from the fit saved on disk;
without a saved fit it is a 503 saying how to make one (nothing is fitted in a request), and data the model
cannot use is a 422. The planner (POST /optimize, POST /plan) answers from the same fit, with the same errors.

Its own server, on a copy of the suite's demo set and an empty models folder, so these tests can add and remove
the fit and the sales table without touching the shared server's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bench.sections.api import ApiServer, running_api
from pipeline import config
from pipeline.modeling import artifacts, mmm
from tests.api.conftest import TOKEN, assert_error, call
from tests.api.test_same_as_cli import cli_json
from tests.conftest import copy_mmm_fit

CHANNEL_KEYS = {
    "spend", "contribution", "contribution_ci", "roas", "roas_ci", "mroas", "mroas_ci",
    "adstock_decay", "half_saturation", "calibrated",
}  # fmt: skip
PLANNER_REQUESTS = (("/optimize", {"budget": 5000}), ("/plan", {"spend": {"Meta": 5000}}))


@dataclass(frozen=True)
class MmmServer:
    api: ApiServer
    data_dir: Path
    models_dir: Path
    fitted_dir: Path  # where the suite's fit of the demo set lives


@pytest.fixture(scope="module")
def mmm_server(demo_dir: Path, mmm_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MmmServer]:
    root = tmp_path_factory.mktemp("api-mmm")
    data_dir = shutil.copytree(demo_dir, root / "data")
    models_dir = root / "models"
    models_dir.mkdir()
    with running_api(data_dir, models_dir, root / "api.log", token=TOKEN) as api:
        yield MmmServer(api, data_dir, models_dir, mmm_models_dir)


def saved_fit(models_dir: Path) -> list[Path]:
    return [path for path in artifacts.artifact_paths(models_dir, mmm.MODEL_NAME) if path.exists()]


def remove_fit(models_dir: Path) -> None:
    for path in saved_fit(models_dir):
        path.unlink()


def test_without_a_saved_fit_the_answer_is_503_and_nothing_is_fitted(
    http: requests.Session, mmm_server: MmmServer
) -> None:
    remove_fit(mmm_server.models_dir)
    message = assert_error(call(http, mmm_server.api, "GET", "/mmm"), 503)
    assert "python -m pipeline mmm" in message and "Media mix page" in message, message
    for path, body in PLANNER_REQUESTS:
        assert assert_error(call(http, mmm_server.api, "POST", path, json=body), 503) == message
    assert saved_fit(mmm_server.models_dir) == []  # answered without starting a fit
    assert call(http, mmm_server.api, "GET", "/health", token=None).status_code == 200


def test_with_the_saved_fit_the_answer_is_the_clis(http: requests.Session, mmm_server: MmmServer) -> None:
    copy_mmm_fit(mmm_server.fitted_dir, mmm_server.models_dir)
    response = call(http, mmm_server.api, "GET", "/mmm")
    assert response.status_code == 200, response.text[:500]
    api = response.json()
    assert set(api) == {"channels", "baseline_share", "fit", "diagnostics", "seconds"}
    assert all(set(channel) == CHANNEL_KEYS for channel in api["channels"].values()), api["channels"]
    assert api["channels"]["Influencers"]["calibrated"] is True
    cli = cli_json("mmm", "--data", str(mmm_server.data_dir), "--models", str(mmm_server.models_dir))
    assert api == cli
    assert call(http, mmm_server.api, "GET", "/mmm").json() == api  # served again from the process's copy
    for path, body in PLANNER_REQUESTS:  # the planner follows the same saved fit, once it is there
        assert call(http, mmm_server.api, "POST", path, json=body).status_code == 200


def test_data_the_model_cannot_use_is_422(http: requests.Session, mmm_server: MmmServer) -> None:
    sales = mmm_server.data_dir / config.SALES_FILE
    aside = sales.rename(sales.with_suffix(".aside"))
    try:
        message = assert_error(call(http, mmm_server.api, "GET", "/mmm"), 422)
        assert "sales table" in message, message
        for path, body in PLANNER_REQUESTS:
            assert assert_error(call(http, mmm_server.api, "POST", path, json=body), 422) == message
    finally:
        aside.rename(sales)


def test_needs_the_token(http: requests.Session, mmm_server: MmmServer) -> None:
    assert_error(call(http, mmm_server.api, "GET", "/mmm", token=None), 401)


def test_the_docs_show_an_example_answer_and_the_503(http: requests.Session, mmm_server: MmmServer) -> None:
    operation = call(http, mmm_server.api, "GET", "/openapi.json", token=None).json()["paths"]["/mmm"]["get"]
    example = operation["responses"]["200"]["content"]["application/json"]["example"]
    assert set(example) == {"channels", "baseline_share", "fit", "diagnostics", "seconds"}
    assert all(set(channel) == CHANNEL_KEYS for channel in example["channels"].values())
    unavailable = operation["responses"]["503"]["content"]["application/json"]["example"]["error"]
    assert "python -m pipeline mmm" in unavailable
