"""Every endpoint of the real server answers, and every example /docs shows works as written."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.sections.api import ApiServer
from tests.api.conftest import ROOT, call

EXPORTS = ROOT / "tests" / "fixtures" / "exports"


def test_health_needs_no_token_and_reports_readiness(http: requests.Session, server: ApiServer) -> None:
    response = call(http, server, "GET", "/health", token=None)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "data": {"ready": True, "missing": []},
        "models": {"forecaster": "ready"},
        "auth": "bearer token",
    }


def test_ingest_reports_kind_rows_mapping_and_totals(http: requests.Session, server: ApiServer) -> None:
    path = EXPORTS / "meta_ads_manager.csv"
    response = call(http, server, "POST", "/ingest", files={"file": (path.name, path.read_bytes(), "text/csv")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "campaigns"
    assert body["rows_kept"] + sum(body["dropped"].values()) == body["rows_read"]
    assert {"mapping", "totals", "platforms"} <= set(body)


def test_kpis_of_the_demo_data_and_of_an_upload(http: requests.Session, server: ApiServer) -> None:
    demo = call(http, server, "POST", "/kpis", data={"by": "platform"})
    assert demo.status_code == 200, demo.text
    assert {row["platform"] for row in demo.json()["rows"]} == {"Instagram", "Meta", "TikTok"}
    assert call(http, server, "POST", "/kpis").json()["total"] == demo.json()["total"]  # no body: demo, no groups
    path = EXPORTS / "google_ads_report.csv"
    upload = call(http, server, "POST", "/kpis", files={"file": (path.name, path.read_bytes())}, data={"by": "device"})
    assert upload.status_code == 200, upload.text
    assert all("device" in row and "roas" in row for row in upload.json()["rows"])


def test_incrementality(http: requests.Session, server: ApiServer) -> None:
    response = call(http, server, "GET", "/incrementality")
    assert response.status_code == 200, response.text
    body = response.json()
    low, high = body["iroas_ci"]
    assert low <= body["iroas"] <= high
    assert body["by_influencer"]


def test_predict_one_line_and_a_batch_matching_categories_in_any_case(
    http: requests.Session, server: ApiServer
) -> None:
    one = call(http, server, "POST", "/predict", json={"platform": "META", "spend": 1000, "device": "mobile"})
    assert one.status_code == 200, one.text
    assert (one.json()["platform"], one.json()["device"]) == ("Meta", "Mobile")
    assert one.json()["revenue_lo"] <= one.json()["revenue"] <= one.json()["revenue_hi"]
    lines = [{"platform": "meta", "spend": 1000, "device": "MOBILE"}, {"platform": "tiktok", "spend": 0}]
    batch = call(http, server, "POST", "/predict", json={"lines": lines})
    assert batch.status_code == 200, batch.text
    assert batch.json()["count"] == 2
    assert batch.json()["predictions"][0] == one.json()


def test_optimize_lines(http: requests.Session, server: ApiServer) -> None:
    response = call(http, server, "POST", "/optimize-lines", json={"budget": 20000, "objective": "Conversions"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["objective"] == "conversions"
    assert abs(sum(line["spend"] for line in body["allocation"]) - 20000) < 1e-6 * 20000


def test_optimize_splits_the_budget_on_the_media_mix_model(http: requests.Session, server: ApiServer) -> None:
    body = {"budget": 80000, "max": {"TikTok": 10000}, "max_shift": None}  # the others absorb the rest freely
    response = call(http, server, "POST", "/optimize", json=body)
    assert response.status_code == 200, response.text
    body = response.json()
    spend = {line["channel"]: line["spend"] for line in body["allocation"]}
    assert set(spend) == {"Instagram", "Meta", "TikTok", "Influencers"}
    assert abs(sum(spend.values()) - 80000) < 1e-3 * 80000 and spend["TikTok"] <= 10000 * (1 + 1e-6)
    low, high = body["predicted_revenue_ci"]
    assert low <= body["predicted_revenue"] <= high
    assert (body["days"], body["mode"], body["target"]) == (28, "budget", None)
    assert body["predicted_revenue"] >= body["baseline"]["predicted_revenue"] - 1e-6 * abs(body["predicted_revenue"])


def test_plan_scores_a_split_and_a_zero_budget_shows_the_carry_in(http: requests.Session, server: ApiServer) -> None:
    split = call(http, server, "POST", "/plan", json={"spend": {"Meta": 30000, "TikTok": 20000}, "days": 14})
    assert split.status_code == 200, split.text
    body = split.json()
    assert (body["budget"], body["days"], body["mode"]) == (50000, 14, "given")
    spend = {line["channel"]: line["spend"] for line in body["allocation"]}
    assert spend == {"Instagram": 0, "Meta": 30000, "TikTok": 20000, "Influencers": 0}
    nothing = call(http, server, "POST", "/plan", json={"spend": {"Meta": 0}}).json()
    assert nothing["budget"] == 0 and nothing["predicted_revenue"] == nothing["carry_in"] > 0


def test_docs_render_from_local_files(http: requests.Session, server: ApiServer) -> None:
    page = call(http, server, "GET", "/docs", token=None)
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert call(http, server, "GET", f"/docs-assets/{asset}", token=None).status_code == 200
    paths = call(http, server, "GET", "/openapi.json", token=None).json()["paths"]
    assert set(paths) == {
        "/health", "/ingest", "/kpis", "/incrementality", "/predict", "/optimize", "/plan", "/optimize-lines", "/mmm",
    }  # fmt: skip


def test_every_documented_example_works_as_written(http: requests.Session, server: ApiServer) -> None:
    spec = call(http, server, "GET", "/openapi.json", token=None).json()
    tried = 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            for example in content.get("application/json", {}).get("examples", {}).values():
                response = call(http, server, method.upper(), path, json=example["value"])
                assert response.status_code == 200, (path, example, response.text)
                tried += 1
            params = {p["name"]: p["examples"][0] for p in operation.get("parameters", []) if p.get("examples")}
            form = _form_examples(spec, content.get("multipart/form-data", {}).get("schema", {}))
            if params or form:  # /ingest documents only its file, which a test cannot pick from the docs
                response = call(http, server, method.upper(), path, params=params, data=form)
                assert response.status_code == 200, (path, params, response.text)
                tried += 1
    assert tried >= 13  # predict 3, optimize 4 (every mode), plan 3, optimize-lines 2, kpis 1


def test_the_planner_docs_show_every_mode_and_its_errors(http: requests.Session, server: ApiServer) -> None:
    paths = call(http, server, "GET", "/openapi.json", token=None).json()["paths"]
    optimize, plan = paths["/optimize"]["post"], paths["/plan"]["post"]
    examples = optimize["requestBody"]["content"]["application/json"]["examples"].values()
    assert {example["value"].get("mode", "budget") for example in examples} == {"budget", "target-mroas", "target-roas"}
    assert any("min" in example["value"] and "max" in example["value"] for example in examples)
    for operation in (optimize, plan):
        errors = {status: operation["responses"][status]["content"]["application/json"]["example"]["error"]
                  for status in ("422", "503")}  # fmt: skip
        assert "Unknown channel" in errors["422"] and "python -m pipeline mmm" in errors["503"], errors


def _form_examples(spec: dict, schema: dict) -> dict[str, str]:
    """The documented example of every non-file form field (a file is left out: /kpis then uses the demo data)."""
    if "$ref" not in schema:
        return {}
    fields = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]["properties"]
    return {name: field["examples"][0] for name, field in fields.items() if field.get("examples")}


def test_health_answers_while_slow_requests_run(http: requests.Session, server: ApiServer) -> None:
    """Bootstraps for new expected shares (not cached) keep the worker threads busy; /health still answers."""

    def slow(share: float) -> float:
        started = time.perf_counter()
        with requests.Session() as session:
            call(session, server, "GET", "/incrementality", params={"expected_share": share})
        return time.perf_counter() - started

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(slow, share) for share in (0.47, 0.48, 0.49)]
        time.sleep(0.2)
        started = time.perf_counter()
        health = call(http, server, "GET", "/health", token=None)
        health_s = time.perf_counter() - started
        slowest = max(f.result() for f in futures)
    assert health.status_code == 200
    assert health_s < min(1.0, slowest), (health_s, slowest)


def test_no_cors_headers_by_default(http: requests.Session, server: ApiServer) -> None:
    origin = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    for method, path in (("GET", "/health"), ("OPTIONS", "/predict"), ("POST", "/predict")):
        response = call(http, server, method, path, headers=origin, json={"platform": "Meta", "spend": 1})
        assert not any(name.lower().startswith("access-control-") for name in response.headers), response.headers
