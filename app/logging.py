"""Structured JSON logs: one event name per line, call_id/org_id attached from context.

Log calls pass only identifiers and counts in `extra`; transcripts, prompts, phone numbers,
API keys and vendor payloads never reach a record. Keys that look like secrets or PII are
dropped here as a second line of defence.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.routing import BaseRoute, Match

call_id_var: ContextVar[str | None] = ContextVar("call_id", default=None)
org_id_var: ContextVar[str | None] = ContextVar("org_id", default=None)

_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_FORBIDDEN_KEYS = frozenset(
    {
        "transcript",
        "text",
        "prompt",
        "instructions",
        "phone",
        "from_number",
        "to_number",
        "caller",
        "api_key",
        "key",
        "secret",
        "token",
        "authorization",
        "payload",
        "digits",
    }
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        call_id = call_id_var.get()
        org_id = org_id_var.get()
        if call_id:
            entry["call_id"] = call_id
        if org_id:
            entry["org_id"] = org_id
        for key, value in record.__dict__.items():
            if key in _STANDARD_ATTRS or key.startswith("_"):
                continue
            if key.lower() in _FORBIDDEN_KEYS:
                entry[key] = "[redacted]"
                continue
            entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # Only the type: exception messages can carry SQL parameters or vendor payloads.
            entry["error_type"] = record.exc_info[0].__name__
        return orjson.dumps(entry, default=str).decode()


_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# uvicorn's own formats: the request path is the third argument of an access line, the second of a
# WebSocket line (which uvicorn writes to uvicorn.error).
_ACCESS_FORMAT = '%s - "%s %s HTTP/%s" %d'
_WEBSOCKET_PREFIX = '%s - "WebSocket %s"'
_routes: list[BaseRoute] = []


def install_route_templates(routes: list[BaseRoute]) -> None:
    """The app's routes, so uvicorn's lines can name a route template instead of a raw path."""
    _routes[:] = list(_flatten(routes))


def _flatten(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    # FastAPI keeps an included router as one route that holds the original router.
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flatten(inner.routes)
        else:
            yield route


def route_template(path: str, kind: str = "http") -> str:
    scope = {"type": kind, "path": path.split("?", 1)[0], "root_path": "", "method": "GET"}
    for route in _routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"


class UvicornFilter(logging.Filter):
    """Rewrites uvicorn's records in place: raw paths (which carry stream tokens, phone numbers in
    query strings) become route templates, and tracebacks (whose text can hold SQL parameters) become
    the exception's type. Attached to the loggers themselves, so it holds whatever handlers uvicorn's
    own dictConfig installs."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            if record.msg == _ACCESS_FORMAT and len(args) == 5:
                record.args = (args[0], args[1], route_template(str(args[2])), args[3], args[4])
            elif isinstance(record.msg, str) and record.msg.startswith(_WEBSOCKET_PREFIX) and len(args) >= 2:
                record.args = (args[0], route_template(str(args[1]), "websocket"), *args[2:])
        if record.exc_info:
            exc_type = record.exc_info[0]
            record.error_type = exc_type.__name__ if exc_type else None
            record.exc_info = None
            record.exc_text = None
        return True


_UVICORN_FILTER = UvicornFilter()


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    _own_uvicorn_loggers()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party loggers that echo request lines or payloads stay quiet below WARNING.
    for noisy in ("httpx", "httpcore", "websockets", "aiohttp", "twilio", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _own_uvicorn_loggers() -> None:
    """uvicorn's loggers write through our JSON handler, each with the filter above."""
    for name in _UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
        if _UVICORN_FILTER not in logger.filters:
            logger.addFilter(_UVICORN_FILTER)


def bind_call_context(call_id: object = None, org_id: object = None) -> None:
    """Attach ids to every later line of this context: a request (each runs in its own under uvicorn) or
    a call's own task. Only what is given is set; a call id from a path is set only if it is a UUID."""
    if call_id is not None and (text := _uuid_text(call_id)) is not None:
        call_id_var.set(text)
    if org_id is not None:
        org_id_var.set(str(org_id))


@contextmanager
def call_log_context(call_id: object, org_id: object = None) -> Iterator[None]:
    """The ids for the lines logged inside the block, restored after it (a sweeper pass, call by call)."""
    call_token = call_id_var.set(str(call_id) if call_id is not None else None)
    org_token = org_id_var.set(str(org_id) if org_id is not None else org_id_var.get())
    try:
        yield
    finally:
        org_id_var.reset(org_token)
        call_id_var.reset(call_token)


def _uuid_text(value: object) -> str | None:
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    except ValueError:
        return None
