"""`LiveCall`: a live call's meta, typed, and the one place it becomes the live store's strings and back.

The store keeps meta as a flat hash of strings (Redis has no other kind): booleans are "1"/"0", an
absent value is "", numbers and times are their text, metadata is JSON. Only this module knows that.
`get_meta`/`update_meta` (plain dicts) stay as the compatible path for callers not yet moved.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

# Kept by the store beside the fields a writer sets; never written through update_meta.
STORE_FIELDS = frozenset({"last_activity", "next_seq", "closing", "finalize_failures", "finalize_retry_at"})


@dataclass(slots=True)
class LiveCall:
    org_id: uuid.UUID
    channel: str
    started_at: datetime
    config_version: int
    prompt_hash: str
    status: str = "active"
    from_number: str | None = None
    caller_name: str | None = None
    escalated: bool = False
    escalation_reason: str | None = None
    escalation_urgency: str | None = None
    urgency: str | None = None
    end_reason: str | None = None
    end_status: str | None = None
    twilio_call_sid: str | None = None
    openai_call_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Kept by the store.
    last_activity: float | None = None
    next_seq: int = 0
    closing: bool = False
    finalize_failures: int = 0
    finalize_retry_at: float | None = None

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> LiveCall:
        """Parse the store's strings; ValueError (or KeyError) for a meta that is not a call."""
        values: dict[str, Any] = {}
        for item in dataclasses.fields(cls):
            raw = meta.get(item.name)
            if raw is None:
                continue
            values[item.name] = _decode(item.name, raw)
        return cls(**values)

    def to_meta(self) -> dict[str, str]:
        """The fields a writer owns, as the store keeps them (store bookkeeping left out)."""
        return {
            item.name: encode_value(getattr(self, item.name))
            for item in dataclasses.fields(self)
            if item.name not in STORE_FIELDS
        }


_BOOLS = frozenset({"escalated", "closing"})
_INTS = frozenset({"config_version", "next_seq", "finalize_failures"})
_FLOATS = frozenset({"last_activity", "finalize_retry_at"})
_REQUIRED_TEXT = frozenset({"channel", "prompt_hash", "status"})


def _decode(name: str, raw: str) -> Any:
    if name == "org_id":
        return uuid.UUID(raw)
    if name == "started_at":
        return datetime.fromisoformat(raw)
    if name == "metadata":
        return orjson.loads(raw or "{}")
    if name in _BOOLS:
        return raw == "1"
    if name in _INTS:
        return int(raw or "0")
    if name in _FLOATS:
        return float(raw) if raw else None
    if name in _REQUIRED_TEXT:
        return raw
    return raw or None


def encode_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)


def encode_fields(changes: Mapping[str, Any]) -> dict[str, str]:
    """Typed values of writer-owned fields as the store's strings; unknown or store-kept names refused."""
    known = {item.name for item in dataclasses.fields(LiveCall)} - STORE_FIELDS
    unknown = set(changes) - known
    if unknown:
        raise ValueError(f"not writable live call fields: {sorted(unknown)}")
    return {name: encode_value(value) for name, value in changes.items()}
