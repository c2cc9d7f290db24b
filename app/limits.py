"""Request body limits, enforced while the body streams in, before authentication and parsing.

    /twilio/*                        64 KiB   form-encoded webhooks; Twilio's own are a few KiB
    POST /api/realtime/calls         64 KiB   an SDP offer
    POST /api/calls/{id}/transcript   4 MiB   the one bigger limit: up to 500 turns of 8000 characters
    everything else                   1 MiB   JSON APIs

A declared Content-Length over the limit is answered at once without reading a byte; a body without
one (chunked) or with a false one is counted as it arrives and cut off at the limit. The rest of an
upload is then drained and dropped by the server chunk by chunk, never buffered: closing at once would
make the kernel reset the connection and the client would never see the 413. Writes to /api/ also
need a bearer header before their body is read; the key itself is checked by the route's dependency,
which FastAPI runs after it has parsed the JSON but before it validates it.
"""

from __future__ import annotations

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_body
from app.orgs.errors import MissingCredentials

KIB = 1024
WEBHOOK_LIMIT = 64 * KIB
SDP_LIMIT = 64 * KIB
TRANSCRIPT_LIMIT = 4 * KIB * KIB
JSON_LIMIT = 1 * KIB * KIB
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def body_limit(path: str) -> int:
    if path.startswith("/twilio/"):
        return WEBHOOK_LIMIT
    if path.rstrip("/") == "/api/realtime/calls":
        return SDP_LIMIT
    if path.startswith("/api/calls/") and path.rstrip("/").endswith("/transcript"):
        return TRANSCRIPT_LIMIT
    return JSON_LIMIT


class BodyTooLarge(HTTPException):
    """Raised from `receive` mid-stream; an HTTPException so FastAPI's body reader re-raises it as is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")
        self.limit = limit


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _needs_bearer(scope: Scope) -> bool:
    path: str = scope["path"]
    return scope["method"] in _BODY_METHODS and path.startswith("/api/")


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = orjson.dumps(error_body(code, message))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _send_error(send, 413, "body_too_large", f"the request body exceeds {limit} bytes")
            return
        if _needs_bearer(scope) and not (_header(scope, b"authorization") or b"").lower().startswith(
            b"bearer "
        ):
            error = MissingCredentials()
            await _send_error(send, error.status_code, error.code, error.message)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            # Only where a route read the body outside FastAPI's handler chain; normally the error
            # handler has answered already.
            if started:
                raise
            await _send_error(send, 413, "body_too_large", str(exc.detail))
