"""`LiveCall`: a live call's meta, typed, and the one place it becomes the live store's strings and back.

The store keeps meta as a flat hash of strings (Redis has no other kind): booleans are "1"/"0", an
absent value is "", numbers and times are their text, metadata is JSON. Only this module knows that.
A read of selected fields (`LiveStore.get_call(call_id, fields=...)`) gives a `LiveCall` whose other
fields hold the defaults below (`PLACEHOLDERS` for the ones a full call always has).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

# Kept by the store beside the fields a writer sets; never written through update_call.
STORE_FIELDS = frozenset({"last_activity", "next_seq", "closing", "finalize_failures", "finalize_retry_at"})
# What a read of selected fields puts in the fields every call has but that were not read.
PLACEHOLDERS: dict[str, Any] = {
    "channel": "",
    "started_at": datetime.fromtimestamp(0, UTC),
    "config_version": 0,
    "prompt_hash": "",
}


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
    def from_meta(cls, meta: Mapping[str, str], *, partial: bool = False) -> LiveCall:
        """Parse the store's strings; ValueError for a meta that is not a readable call. `partial`: a read
        of selected fields, the required ones not read get `PLACEHOLDERS` (org_id is always read)."""
        # Over the stored names, not the class's: a selected read decodes only the few it asked for.
        values: dict[str, Any] = dict(PLACEHOLDERS) if partial else {}
        for name, raw in meta.items():
            if name in FIELD_NAMES:
                values[name] = _decode(name, raw)
        try:
            return cls(**values)
        except TypeError as exc:  # a required field is missing
            raise ValueError("live call meta lacks a required field") from exc

    @classmethod
    def salvage(cls, meta: Mapping[str, str]) -> LiveCall:
        """What still decodes of a meta `from_meta` refuses (a call to dead-letter), field by field; the
        rest hold their defaults (`PLACEHOLDERS`, and the nil UUID for an unreadable org_id)."""
        values: dict[str, Any] = {**PLACEHOLDERS, "org_id": uuid.UUID(int=0)}
        for name, raw in meta.items():
            if name in FIELD_NAMES:
                try:
                    values[name] = _decode(name, raw)
                except ValueError:
                    continue
        return cls(**values)

    def to_meta(self) -> dict[str, str]:
        """The fields a writer owns, as the store keeps them (store bookkeeping left out)."""
        return {
            item.name: encode_value(getattr(self, item.name))
            for item in dataclasses.fields(self)
            if item.name not in STORE_FIELDS
        }


FIELD_NAMES = frozenset(item.name for item in dataclasses.fields(LiveCall))
WRITABLE_FIELDS = FIELD_NAMES - STORE_FIELDS
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
    unknown = set(changes) - WRITABLE_FIELDS
    if unknown:
        raise ValueError(f"not writable live call fields: {sorted(unknown)}")
    return {name: encode_value(value) for name, value in changes.items()}
