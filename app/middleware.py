"""HTTP middleware: the request log (by route template, with the status actually sent) and the text
guard for the parts of a request that are not bodies (path, query string, the headers we read)."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_body, validation_details
from app.validation import text_problem

log = logging.getLogger("callintake.http")

# Headers some route reads; others are never looked at, so their bytes are not ours to judge.
READ_HEADERS = frozenset(
    {
        b"authorization",
        b"if-match",
        b"x-twilio-signature",
        b"content-type",
        b"origin",
        b"last-event-id",
        b"x-caller-name",
        b"x-caller-phone",
    }
)


class RequestLogMiddleware:
    """Outermost: an exception that escaped every route handler is answered here by the app's catch-all
    handler, so the log line carries the status the client got and uvicorn never prints a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            handler = getattr(scope.get("app"), "exception_handlers", {}).get(Exception)
            if response_started or handler is None:
                log.error("response_failed", extra={"error_type": type(exc).__name__, "status": status})
                return
            response = await handler(Request(scope, receive), exc)
            await response(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            log.info(
                "http_request",
                extra={
                    "method": scope["method"],
                    "route": getattr(route, "path", "unmatched"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def _problems(scope: Scope) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    path: str = scope.get("path", "")
    if (problem := text_problem(path)) is not None:
        found.append({"loc": ("path",), "msg": problem, "type": "control_character"})
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if (problem := text_problem(name) or text_problem(value)) is not None:
            found.append({"loc": ("query", name[:64]), "msg": problem, "type": "control_character"})
    for key, value in scope.get("headers", ()):
        if key in READ_HEADERS and (problem := text_problem(value.decode("latin-1"))) is not None:
            found.append({"loc": ("header", key.decode()), "msg": problem, "type": "control_character"})
    return found


class TextGuardMiddleware:
    """NUL and other C0 controls in the path, query or a header we read: 422 naming where, before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problems = _problems(scope)
        if not problems:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "control characters in request"})
            return
        body = orjson.dumps(
            error_body("validation_error", "the request is invalid", validation_details(problems))
        )
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 422, "headers": headers})
        await send({"type": "http.response.body", "body": body})
