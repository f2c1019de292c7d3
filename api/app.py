"""The FastAPI application factory: routes, the request guard (token, content type, size), JSON errors and
offline docs. No CORS middleware: browsers on other origins get no access (CORS off by default)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import routes
from api.docs import install_docs
from api.errors import install_error_handlers
from api.guard import RequestGuard
from api.settings import ApiSettings, settings_from_env
from api.state import ApiState

DESCRIPTION = """\
The campaign-analytics pipeline over HTTP, for one trusted team on loopback or behind a reverse proxy.
Every endpoint returns the same JSON as its `python -m pipeline COMMAND --json` command.

Send `Authorization: Bearer <token>` (the server's `ANALYTICS_API_TOKEN`) to every endpoint but `/health`:
use **Authorize** above. Errors are JSON: `{"error": "<one sentence>"}`.
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """A new app for `settings` (default: from the environment and secrets.toml)."""
    settings = settings or settings_from_env()
    state = ApiState(settings.data_dir, settings.models_dir)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        routes.preload(state)
        yield

    app = FastAPI(
        title="Campaign analytics API",
        version="1.0.0",
        description=DESCRIPTION,
        docs_url=None,  # served by api.docs from local files instead of a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings, app.state.api = settings, state
    app.include_router(routes.public)
    app.include_router(routes.protected)
    install_error_handlers(app)
    install_docs(app)
    app.add_middleware(
        RequestGuard, token=settings.token, max_body_bytes=settings.max_body_bytes, body_types=routes.BODY_TYPES
    )
    return app
