"""Every error is JSON with one sentence, `{"error": "..."}`: never a traceback, never HTML.

Statuses: 400 malformed request (body not JSON), 401 token, 404/405 route, 413 too large, 415 content type,
422 input the pipeline cannot use (unknown category, unusable file, bad number), 503 data or models missing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.cli.options import CliError

LOG = logging.getLogger("api")
# A sentence longer than this is cut: hostile input (a 1 MB file name) must not come back whole.
MAX_MESSAGE_CHARS = 500
UNEXPECTED = "The server could not answer this request; the details are in its log."


class ServiceUnavailable(Exception):
    """Data or models the endpoint needs are not there (503); the message says how to make them."""


class BatchTooLarge(Exception):
    """A /predict batch above the server's line limit (413)."""


def sentence(text: str) -> str:
    """One line, at most MAX_MESSAGE_CHARS, ending with a full stop."""
    line = " ".join(str(text).split()) or "The request could not be answered."
    if len(line) > MAX_MESSAGE_CHARS:
        line = line[: MAX_MESSAGE_CHARS - 1].rstrip() + "…"
    return line if line.endswith((".", "…", "?", "!")) else line + "."


def error_body(message: str) -> bytes:
    return json.dumps({"error": sentence(message)}).encode()


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": sentence(message)}, status_code=status, headers=dict(headers or {}))


def _where(loc: Sequence[Any]) -> str:
    """('body', 'batch', 'lines', 2, 'spend') -> "lines[2].spend" (tags and the 'body' root left out)."""
    parts: list[str] = []
    for item in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        if item in ("line", "batch"):  # the /predict union's tags, not fields
            continue
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}")
    return "".join(parts).lstrip(".")


def validation_message(errors: Sequence[Mapping[str, Any]]) -> tuple[int, str]:
    """(status, sentence) for pydantic's errors: the first one, said plainly; a body that is not JSON is 400."""
    first = errors[0] if errors else {"msg": "Invalid request", "loc": ()}
    if first.get("type") == "json_invalid":
        return 400, "The body is not valid JSON; send a JSON object with Content-Type: application/json."
    where = _where(first.get("loc", ()))
    if first.get("type") == "missing":
        return 422, f"The field '{where}' is required." if where else "The request needs a body."
    message = str(first.get("msg", "Invalid value")).rstrip(".")
    if where:
        return 422, f"Invalid '{where}': {message[:1].lower() + message[1:]}."
    return 422, f"Invalid body: {message[:1].lower() + message[1:]}."


def _http_message(request: Request, exc: StarletteHTTPException) -> str:
    if exc.status_code == 404:
        return f"No endpoint {request.url.path}; see /docs for the list."
    if exc.status_code == 405:
        return f"{request.method} is not allowed on {request.url.path}; see /docs for its method."
    return str(exc.detail)


def install_error_handlers(app: FastAPI) -> None:
    """JSON for validation errors, HTTP errors, CLI-style input errors, missing data or models, and anything else."""

    async def on_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        status, message = validation_message(exc.errors())
        return error_response(status, message)

    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, _http_message(request, exc), getattr(exc, "headers", None))

    async def on_input(_request: Request, exc: Exception) -> JSONResponse:
        return error_response(422, str(exc).splitlines()[0] if str(exc) else "The input cannot be used.")

    async def on_unavailable(_request: Request, exc: ServiceUnavailable) -> JSONResponse:
        return error_response(503, str(exc))

    async def on_batch(_request: Request, exc: BatchTooLarge) -> JSONResponse:
        return error_response(413, str(exc))

    async def on_anything(request: Request, exc: Exception) -> JSONResponse:
        # Uvicorn logs the traceback; the client gets one sentence.
        LOG.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_response(500, UNEXPECTED)

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(CliError, on_input)
    app.add_exception_handler(ValueError, on_input)  # domain errors are ValueErrors with one sentence
    app.add_exception_handler(ServiceUnavailable, on_unavailable)
    app.add_exception_handler(BatchTooLarge, on_batch)
    app.add_exception_handler(Exception, on_anything)
