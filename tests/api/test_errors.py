"""Bad requests get their status and one JSON sentence, and the server keeps serving (checked after each test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.sections.api import ApiServer
from tests.api.conftest import MAX_BODY, MAX_LINES, assert_error, call
from tests.hostile.corpus import HostileFile, build_corpus

PROTECTED = [("POST", "/ingest"), ("POST", "/kpis"), ("GET", "/incrementality"), ("POST", "/predict")]
PROTECTED += [("POST", "/optimize"), ("POST", "/plan"), ("POST", "/optimize-lines")]
LINE = {"platform": "Meta", "spend": 100}


@pytest.fixture(autouse=True)
def still_serving(http: requests.Session, server: ApiServer) -> Iterator[None]:
    yield
    assert call(http, server, "GET", "/health", token=None).status_code == 200
    assert call(http, server, "POST", "/predict", json=LINE).status_code == 200


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_a_missing_token_is_401(http: requests.Session, server: ApiServer, method: str, path: str) -> None:
    response = call(http, server, method, path, token=None)
    assert "token" in assert_error(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_a_wrong_token_is_401(http: requests.Session, server: ApiServer, method: str, path: str) -> None:
    assert_error(call(http, server, method, path, token="not-the-token"), 401)
    assert_error(call(http, server, method, path, token=None, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)


@pytest.mark.parametrize("path", ["/predict", "/optimize", "/plan", "/optimize-lines"])
def test_a_body_that_is_not_json_is_400(http: requests.Session, server: ApiServer, path: str) -> None:
    headers = {"Content-Type": "application/json"}
    assert "not valid JSON" in assert_error(call(http, server, "POST", path, data=b"{spend: 1", headers=headers), 400)


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/predict", "text/plain", b'{"platform": "Meta", "spend": 1}'),
        ("/optimize", "application/x-www-form-urlencoded", b"budget=100"),
        ("/plan", "text/plain", b'{"spend": {"Meta": 1}}'),
        ("/optimize-lines", "application/x-www-form-urlencoded", b"budget=100"),
        ("/ingest", "application/json", b'{"file": "x"}'),
        ("/kpis", "text/csv", b"date,spend\n2025-01-01,1\n"),
    ],
)
def test_a_wrong_content_type_is_415(
    http: requests.Session, server: ApiServer, path: str, content_type: str, body: bytes
) -> None:
    response = call(http, server, "POST", path, data=body, headers={"Content-Type": content_type})
    assert content_type in assert_error(response, 415)


def test_an_oversized_body_is_413(http: requests.Session, server: ApiServer) -> None:
    big = b'{"platform": "Meta", "spend": 1, "pad": "' + b"x" * MAX_BODY + b'"}'
    headers = {"Content-Type": "application/json"}
    assert "limit" in assert_error(call(http, server, "POST", "/predict", data=big, headers=headers), 413)
    upload = {"file": ("big.csv", b"date,spend\n" + b"2025-01-01,1\n" * (MAX_BODY // 13 + 10))}
    assert_error(call(http, server, "POST", "/ingest", files=upload), 413)


def test_an_oversized_chunked_body_is_413(http: requests.Session, server: ApiServer) -> None:
    """No Content-Length to check up front: the bytes are counted as they arrive."""

    def chunks() -> Iterator[bytes]:
        yield b'{"platform": "Meta", "spend": 1, "pad": "'
        for _ in range(MAX_BODY // 65_536 + 2):
            yield b"x" * 65_536
        yield b'"}'

    response = call(http, server, "POST", "/predict", data=chunks(), headers={"Content-Type": "application/json"})
    assert_error(response, 413)


def test_an_unknown_category_is_422_listing_the_known_values(http: requests.Session, server: ApiServer) -> None:
    message = assert_error(call(http, server, "POST", "/predict", json={"platform": "MySpace", "spend": 1}), 422)
    assert "MySpace" in message and "Instagram, Meta, TikTok" in message
    batch = {"lines": [LINE, {**LINE, "device": "fridge"}]}
    message = assert_error(call(http, server, "POST", "/predict", json=batch), 422)
    assert message.startswith("Line 2:") and "fridge" in message and "Mobile" in message


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/predict", {"spend": 1}, "'platform' is required"),
        ("/predict", {"platform": "Meta", "spend": "lots"}, "'spend'"),
        ("/predict", {"platform": "Meta", "spend": -5}, "at least 0"),
        ("/predict", {"platform": "Meta", "spend": 1, "budget": 3}, "'budget'"),
        ("/predict", {"lines": []}, "'lines'"),
        ("/predict", [1, 2], "Invalid body"),
        ("/optimize-lines", {"budget": 0}, "'budget'"),
        ("/optimize-lines", {"budget": 100, "objective": "likes"}, "'revenue' or 'conversions'"),
        ("/optimize", {"budget": "lots"}, "'budget'"),
        ("/optimize", {"budget": 100, "mode": "fastest"}, "'budget', 'target-mroas' or 'target-roas'"),
        ("/optimize", {"budget": 100, "min": {"Meta": "a lot"}}, "an amount or a percentage such as"),
        ("/optimize", {"budget": 100, "objective": "revenue"}, "'objective'"),
        ("/optimize", {"budget": 100, "spread": "weekly"}, "'even', 'recent' or 'front-loaded'"),
        ("/plan", {"spend": {}}, "'spend'"),
        ("/plan", {"days": 7}, "'spend' is required"),
        ("/plan", {"spend": {"Meta": "NaN"}}, "'spend.Meta'"),
    ],
)
def test_invalid_json_input_is_422(
    http: requests.Session, server: ApiServer, path: str, body: object, words: str
) -> None:
    assert words in assert_error(call(http, server, "POST", path, json=body), 422)


def test_a_batch_over_the_line_limit_is_413(http: requests.Session, server: ApiServer) -> None:
    response = call(http, server, "POST", "/predict", json={"lines": [LINE] * (MAX_LINES + 1)})
    assert f"{MAX_LINES + 1:,} lines" in assert_error(response, 413)


def test_bad_kpi_and_incrementality_input_is_422(http: requests.Session, server: ApiServer, api_data_dir: Path) -> None:
    assert "Unknown dimension" in assert_error(call(http, server, "POST", "/kpis", data={"by": "weather"}), 422)
    payouts = b"".join((api_data_dir / "payouts.csv").read_bytes().splitlines(keepends=True)[:5])
    message = assert_error(call(http, server, "POST", "/kpis", files={"file": ("payouts.csv", payouts)}), 422)
    assert "needs a campaign file" in message
    assert_error(call(http, server, "GET", "/incrementality", params={"expected_share": 1.5}), 422)
    assert_error(call(http, server, "POST", "/ingest", data={"file": "not a file"}), 422)
    assert_error(call(http, server, "POST", "/ingest"), 422)


def test_unknown_routes_and_methods(http: requests.Session, server: ApiServer) -> None:
    assert_error(call(http, server, "GET", "/nowhere"), 404)
    assert_error(call(http, server, "GET", "/predict"), 405)


CORPUS = build_corpus()


@pytest.mark.parametrize("item", CORPUS, ids=[item.slug for item in CORPUS])
def test_hostile_uploads_get_an_answer_not_a_crash(
    http: requests.Session, server: ApiServer, item: HostileFile
) -> None:
    response = call(http, server, "POST", "/ingest", files={"file": (item.filename, item.content)})
    if len(item.content) + len(item.filename.encode()) > MAX_BODY:
        assert_error(response, 413)
    elif item.expect == "refuse":
        assert_error(response, 422)
    else:
        assert response.status_code == 200, response.text[:300]
        if item.rows_kept is not None:
            assert response.json()["rows_kept"] == item.rows_kept
