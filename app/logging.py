"""Structured JSON logs: one event name per line, call_id/org_id attached from context.

Log calls pass only identifiers and counts in `extra`; transcripts, prompts, phone numbers,
API keys and vendor payloads never reach a record. Keys that look like secrets or PII are
dropped here as a second line of defence.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

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


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
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
