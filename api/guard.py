"""The checks every request passes before any body is read: bearer token, content type and body size.

A pure ASGI middleware, outermost, so an unauthenticated or oversized upload is refused before it is parsed
(a FastAPI dependency would run only after the whole body had been read).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

# Open without a token: the health check, and the docs (they describe the API, they answer nothing).
PUBLIC_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/openapi.json"})
PUBLIC_PREFIXES = ("/docs-assets/",)
JSON = ("application/json",)
FORM = ("multipart/form-data", "application/x-www-form-urlencoded")


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; the error handlers answer it as 413."""


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so response times do not leak how much of a guess was right."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


class RequestGuard:
    """401 without the right token, 415 for a body of the wrong type, 413 above `max_body_bytes`.

    `body_types` maps a path to the media types its body may have; a request to it with no body at all passes
    (the endpoint then says what it lacks)."""

    def __init__(
        self, app: ASGIApp, token: str | None, max_body_bytes: int, body_types: Mapping[str, tuple[str, ...]]
    ) -> None:
        self.app, self.token, self.limit, self.body_types = app, token, max_body_bytes, body_types

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope["path"], headers)
        if refusal is not None:
            await _send_error(send, *refusal)
            return
        await self._forward(scope, receive, send)

    def _refusal(self, path: str, headers: Mapping[str, str]) -> tuple[int, str, dict[str, str]] | None:
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
        if self.token is not None and not public:
            given = bearer_token(headers)
            challenge = {"www-authenticate": "Bearer"}
            if given is None:
                return 401, "This endpoint needs a bearer token: send 'Authorization: Bearer <token>'.", challenge
            if not token_matches(given, self.token):
                return 401, "The bearer token is not valid.", challenge
        length = headers.get("content-length", "")
        has_body = (length.isdigit() and int(length) > 0) or "transfer-encoding" in headers
        allowed = self.body_types.get(path)
        if allowed and has_body and media_type(headers) not in allowed:
            shown = media_type(headers) or "none"
            return 415, f"{path} takes {' or '.join(allowed)}, not {shown}.", {}
        if length.isdigit() and int(length) > self.limit:
            return 413, self._too_large(), {}
        return None

    def _too_large(self) -> str:
        return f"The request body is larger than the {self.limit:,}-byte limit."

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the bytes actually received too: a chunked body has no Content-Length to check up front."""
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge(413, self._too_large())
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as exc:  # read outside a route's body parsing: answer here if nothing was sent
            if started:
                raise
            await _send_error(send, 413, str(exc.detail), {})


async def _send_error(send: Send, status: int, message: str, headers: Mapping[str, str]) -> None:
    body = error_body(message)
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
