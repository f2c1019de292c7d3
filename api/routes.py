"""The endpoints. Each parses its request into the keyword arguments of a pipeline/cli/answers.py or
plan_answers.py function (the one its CLI command calls) and returns that function's JSON: one implementation, two
front doors.

CPU-bound endpoints are plain `def`s, run in the server's thread pool, so /health (async, in-memory only) is
answered while a prediction or a bootstrap runs."""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer

from api.errors import BatchTooLarge, ServiceUnavailable
from api.guard import FORM, JSON
from api.plan_schemas import OPTIMIZE_EXAMPLES, PLAN_ANSWER, PLAN_ERRORS, PLAN_EXAMPLES, OptimizeBody, PlanBody
from api.schemas import (
    MMM_ERRORS,
    MMM_EXAMPLE,
    OPTIMIZE_LINES_EXAMPLES,
    PREDICT_EXAMPLES,
    OptimizeLinesBody,
    PredictBatch,
    PredictBody,
    documented,
)
from api.state import ApiState, file_stamp
from pipeline import config
from pipeline.cli import answers, plan_answers
from pipeline.cli.main import to_jsonable

# The media types each path's body may have (api.guard answers others with 415).
BODY_TYPES = {"/ingest": FORM, "/kpis": FORM, "/predict": JSON, "/optimize": JSON, "/plan": JSON}
BODY_TYPES |= {"/optimize-lines": JSON}
# Longer upload names are cut (keeping the extension, which ingestion reads as a format hint).
MAX_NAME_CHARS = 255


class AnswerResponse(JSONResponse):
    """The CLI's JSON: NaN and inf become null, numpy numbers plain numbers (pipeline.cli.main.to_jsonable)."""

    def render(self, content: Any) -> bytes:
        try:  # the C encoder first: a batch of plain Python values needs no walk through to_jsonable
            return json.dumps(content, allow_nan=False).encode()
        except (TypeError, ValueError):  # numpy numbers, NaN or inf somewhere
            return json.dumps(to_jsonable(content), allow_nan=False).encode()


public = APIRouter(default_response_class=AnswerResponse)
# HTTPBearer here only documents the token in OpenAPI (the Authorize button); api.guard enforces it.
protected = APIRouter(default_response_class=AnswerResponse, dependencies=[Depends(HTTPBearer(auto_error=False))])


def described(tag: str, summary: str, answer: str, *errors: int, **examples: Any) -> dict[str, Any]:
    """A route's OpenAPI options: its group, summary, answer and the error statuses it can give (`examples`:
    documented's `example` and `errors`)."""
    responses = documented(answer, *errors, **examples)
    return {"tags": [tag], "summary": summary, "response_model": None, "responses": responses}


def api_state(request: Request) -> ApiState:
    return request.app.state.api


def upload_name(file: UploadFile) -> str:
    """The upload's base name (a path in it is ignored), cut to MAX_NAME_CHARS."""
    name = Path(file.filename or "upload.csv").name or "upload.csv"
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 20] + Path(name).suffix[-20:]


@public.get(
    "/health",
    **described(
        "service",
        "Liveness and readiness; never loads or trains anything",
        "Always 200 while the server runs: `status`, and whether `data` and `models` are ready.",
    ),
)
async def health(request: Request) -> dict[str, Any]:
    state = api_state(request)
    return {
        "status": "ok",
        "data": state.data_status(),
        "models": state.forecaster.status(),
        "auth": "bearer token" if request.app.state.settings.token else "none (loopback only)",
    }


@protected.post(
    "/ingest",
    **described(
        "campaigns",
        "Read an export: kind, rows kept and dropped, mapping, totals",
        "Same JSON as `python -m pipeline ingest FILE --json`.",
        401,
        413,
        415,
        422,
    ),
)
def ingest(file: Annotated[UploadFile, File(description="A Meta, TikTok or Google Ads export (CSV).")]) -> Any:
    """Same JSON as `python -m pipeline ingest FILE --json`."""
    return answers.ingest_summary(answers.ingest_upload(file.file.read(), upload_name(file)))


@protected.post(
    "/kpis",
    **described(
        "campaigns",
        "Ratio-of-sums KPIs of an uploaded file, or of the demo data, by dimensions",
        "Same JSON as `python -m pipeline kpis FILE --by DIMS --json`.",
        401,
        413,
        415,
        422,
        503,
    ),
)
def kpis(
    request: Request,
    file: Annotated[UploadFile | None, File(description="A campaign export; leave it out for the demo data.")] = None,
    by: Annotated[
        str, Form(description="Comma-separated dimensions, e.g. platform,device.", examples=["platform,device"])
    ] = "",
) -> Any:
    """Same JSON as `python -m pipeline kpis FILE --by DIMS --json` (in memory; the demo data is the server's
    campaigns.csv)."""
    dimensions = answers.split_dimensions(by)
    if file is None:
        result = api_state(request).demo_campaigns(answers.ingest_path)
        return answers.file_kpis(result, dimensions, config.CAMPAIGNS_FILE)
    name = upload_name(file)
    return answers.file_kpis(answers.ingest_upload(file.file.read(), name), dimensions, name)


@protected.get(
    "/incrementality",
    **described(
        "influencers",
        "iROAS of the influencer program with a bootstrap interval",
        "Same JSON as `python -m pipeline incrementality DATA --json`.",
        401,
        422,
        503,
    ),
)
def incrementality(
    request: Request,
    expected_share: Annotated[
        float | None, Query(gt=0, lt=1, description="Expected exposed share for the sample-ratio test.", examples=[0.5])
    ] = None,
) -> Any:
    """Same JSON as `python -m pipeline incrementality DATA --json` on the server's data folder."""
    state = api_state(request)
    paths = [state.data_file(config.TRACKING_FILE), state.data_file(config.PAYOUTS_FILE)]
    key = ("incrementality", str(state.data_dir), expected_share)
    return state.answers.get(
        key, file_stamp(*paths), lambda: answers.folder_incrementality(state.data_dir, expected_share)
    )


@protected.post(
    "/predict",
    **described(
        "planning",
        "Forecast one line, or a batch of lines, with 90% intervals",
        "One line: same JSON as `python -m pipeline predict --json`; a batch: `{count, predictions}`.",
        400,
        401,
        413,
        415,
        422,
        503,
    ),
)
def predict(request: Request, body: Annotated[PredictBody, Body(openapi_examples=PREDICT_EXAMPLES)]) -> Any:
    """One line: same JSON as `python -m pipeline predict ... --json`. A batch ({"lines": [...]}) answers
    {"count", "predictions"}, each prediction as for one line."""
    state = api_state(request)
    if isinstance(body, PredictBatch):
        limit = request.app.state.settings.max_batch_lines
        if len(body.lines) > limit:
            raise BatchTooLarge(f"The batch has {len(body.lines):,} lines; the limit is {limit:,} per request.")
        records = answers.predict_many(state.forecaster.get(), [line.model_dump() for line in body.lines])
        return {"count": len(records), "predictions": records}
    fields = body.model_dump(exclude={"spend"})
    return answers.predict_line(state.forecaster.get(), body.spend, **fields)


@protected.post(
    "/optimize",
    **described(
        "planning",
        "Split next period's budget across channels on the media mix model (or find the budget for a target)",
        "Same JSON as `python -m pipeline optimize --json`, from the media mix fit saved for the server's data "
        f"(never fitted in a request): {PLAN_ANSWER}",
        400,
        401,
        413,
        415,
        422,
        503,
        errors=PLAN_ERRORS,
    ),
)
def optimize(request: Request, body: Annotated[OptimizeBody, Body(openapi_examples=OPTIMIZE_EXAMPLES)]) -> Any:
    """Same JSON as `python -m pipeline optimize --budget B [--days N] [--start D] [--mode M] [--target T]
    [--min CH=X ...] [--max CH=X ...] [--spread S] --json`: 503 until a fit for exactly this data is saved."""
    posterior = api_state(request).media_mix.posterior()
    window = {"days": body.days, "start": body.start, "spread": body.spread}
    return plan_answers.optimize_answer(
        posterior, body.budget, mode=body.mode, target=body.target, **window, **body.limit_texts()
    )


@protected.post(
    "/plan",
    **described(
        "planning",
        "Score a given split of next period's budget on the media mix model, with 90% intervals",
        f"Same JSON as `python -m pipeline plan --spend CHANNEL=AMOUNT ... --json`: {PLAN_ANSWER}",
        400,
        401,
        413,
        415,
        422,
        503,
        errors=PLAN_ERRORS,
    ),
)
def plan(request: Request, body: Annotated[PlanBody, Body(openapi_examples=PLAN_EXAMPLES)]) -> Any:
    """Same JSON as `python -m pipeline plan --spend CH=AMOUNT ... [--days N] [--start D] [--spread S] --json`."""
    posterior = api_state(request).media_mix.posterior()
    return plan_answers.plan_answer(posterior, dict(body.spend), body.days, body.start, body.spread)


@protected.post(
    "/optimize-lines",
    **described(
        "planning",
        "Split a daily budget across the forecaster's default lines to maximise an objective",
        "Same JSON as `python -m pipeline optimize-lines --json`.",
        400,
        401,
        413,
        415,
        422,
        503,
    ),
)
def optimize_lines(
    request: Request, body: Annotated[OptimizeLinesBody, Body(openapi_examples=OPTIMIZE_LINES_EXAMPLES)]
) -> Any:
    """Same JSON as `python -m pipeline optimize-lines --budget B --objective O --json`."""
    return answers.optimize_plan(api_state(request).forecaster.get(), body.budget, body.objective)


@protected.get(
    "/mmm",
    **described(
        "media mix",
        "Each channel's contribution, ROAS and marginal ROAS from the media mix model, with 90% intervals",
        "Same JSON as `python -m pipeline mmm --json` on the server's data folder, from the fit saved in its "
        "models folder (never fitted in a request: fit it first with `python -m pipeline mmm`).",
        401,
        422,
        503,
        example=MMM_EXAMPLE,
        errors=MMM_ERRORS,
    ),
)
def media_mix(request: Request) -> Any:
    """Same JSON as `python -m pipeline mmm --json` on the server's data and models folders: 503 until a fit
    for exactly this data is saved, 422 when the data cannot be modelled."""
    return api_state(request).media_mix.summary()


def preload(state: ApiState) -> threading.Thread:
    """Load the forecaster in the background at start-up, so the first prediction does not pay for it."""

    def load() -> None:
        # A failure is remembered: /health reports it, and /predict answers 503 saying how to make the models.
        with contextlib.suppress(ServiceUnavailable):
            state.forecaster.get()

    thread = threading.Thread(target=load, name="load-forecaster", daemon=True)
    thread.start()
    return thread
