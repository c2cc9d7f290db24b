"""The rows a finished call writes, built from its live snapshot: pure, no I/O.

Values are made storable here, the last guard before PostgreSQL: NUL and other C0 controls cleaned
from every text and JSON value, strings cut to their column, a CallSid longer than its column
dropped. A snapshot that cannot be read as a call raises (ValueError, KeyError ...): a failed finalize.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Mapper

from app.calls.live_call import PLACEHOLDERS, LiveCall
from app.calls.live_store import LiveSnapshot
from app.calls.repository import FinalizedRows
from app.calls.text import clean_text, clean_tree
from database.models import Call, CallIntake, CallTranscript
from database.models import CallEvent as CallEventRow

log = logging.getLogger("callintake.finalize")

DEAD_LETTER_STATUS = "finalize_failed"
_CHANNELS = frozenset({"browser", "phone"})
_INT32_MAX = 2**31 - 1


def _storable(values: dict[str, Any], mapper: Mapper[Any]) -> dict[str, Any]:
    """Clean every text and JSON value of one row and cut strings to their column's length."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = clean_text(value)
            column = mapper.columns.get(key)
            length = getattr(column.type, "length", None) if column is not None else None
            if length is not None and len(value) > length:
                value = value[:length]
        elif isinstance(value, dict | list):
            value = clean_tree(value)
        out[key] = value
    return out


def _call_sid(value: str | None) -> str | None:
    sid = clean_text(value or "")
    limit = getattr(Call.__mapper__.columns["twilio_call_sid"].type, "length", None) or 64
    if len(sid) > limit:
        # Not a Twilio CallSid (34 characters); cutting it would make it collide with others.
        log.warning("call_sid_dropped", extra={"length": len(sid)})
        return None
    return sid or None


def build_rows(snapshot: LiveSnapshot, *, status: str, end_reason: str, now: datetime) -> FinalizedRows:
    live = snapshot.call  # ValueError for a meta that is not a readable call: a failed finalize
    call_id = uuid.UUID(snapshot.call_id)
    org_id = live.org_id
    started_at = live.started_at
    ended_at = max(now, started_at)
    call = {
        "id": call_id,
        "organization_id": org_id,
        "channel": live.channel,
        "status": status,
        "started_at": started_at,
        "ended_at": ended_at,
        "duration_seconds": round((ended_at - started_at).total_seconds(), 3),
        "escalated": live.escalated,
        "escalation_reason": live.escalation_reason,
        "escalation_urgency": live.escalation_urgency,
        "urgency": live.urgency,
        "end_reason": end_reason,
        "twilio_call_sid": _call_sid(live.twilio_call_sid),
        "openai_call_id": live.openai_call_id,
        "from_number": live.from_number,
        "caller_name": live.caller_name,
        "config_version": live.config_version,
        "prompt_hash": live.prompt_hash,
        "metadata_": live.metadata,
        "turn_count": len(snapshot.turns),
        "persisted_at": now,
    }
    parse = datetime.fromisoformat
    transcripts = [
        {
            "call_id": call_id,
            "seq": int(turn["seq"]),
            "organization_id": org_id,
            "speaker": turn["speaker"],
            "text": turn["text"],
            "at": parse(turn["at"]),
        }
        for turn in snapshot.turns
    ]
    intake = None
    if snapshot.intake is not None:
        intake = {
            "call_id": call_id,
            "organization_id": org_id,
            "data": snapshot.intake["data"],
            "urgency": snapshot.intake.get("urgency"),
            "summary": snapshot.intake.get("summary"),
            "completed_at": parse(snapshot.intake["completed_at"]),
        }
    timeline = [
        *snapshot.events,
        {"type": "call_ended", "at": ended_at.isoformat(), "data": {"status": status, "reason": end_reason}},
    ]
    events = [
        {
            "call_id": call_id,
            "seq": seq,
            "organization_id": org_id,
            "type": event["type"],
            "at": parse(event["at"]),
            "data": event.get("data") or {},
        }
        for seq, event in enumerate(timeline)
    ]
    # The last guard before PostgreSQL: vendor text was cleaned on the way in, but live state can
    # come from older code or another writer.
    return FinalizedRows(
        call=_storable(call, Call.__mapper__),
        transcripts=[_storable(row, CallTranscript.__mapper__) for row in transcripts],
        intake=_storable(intake, CallIntake.__mapper__) if intake is not None else None,
        events=[_storable(row, CallEventRow.__mapper__) for row in events],
    )


def dead_letter_row(
    snapshot: LiveSnapshot, *, org_id: uuid.UUID, end_reason: str, now: datetime
) -> dict[str, Any]:
    """As much of the calls row as survives a snapshot that build_rows could not turn into rows."""
    live = LiveCall.salvage(snapshot.meta)
    started_at = now if live.started_at == PLACEHOLDERS["started_at"] else live.started_at
    if started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=UTC)
    config_version = min(max(live.config_version, 0), _INT32_MAX)
    ended_at = max(now, started_at)
    call: dict[str, Any] = {
        "id": uuid.UUID(snapshot.call_id),
        "organization_id": org_id,
        "channel": live.channel if live.channel in _CHANNELS else "browser",
        "status": DEAD_LETTER_STATUS,
        "started_at": started_at,
        "ended_at": ended_at,
        "duration_seconds": round((ended_at - started_at).total_seconds(), 3),
        "escalated": live.escalated,
        "escalation_reason": live.escalation_reason,
        "escalation_urgency": live.escalation_urgency,
        "urgency": live.urgency,
        "end_reason": end_reason,
        "from_number": live.from_number,
        "caller_name": live.caller_name,
        "config_version": config_version,
        "prompt_hash": live.prompt_hash,
        "metadata_": {},
        "turn_count": len(snapshot.turns),
        "persisted_at": now,
    }
    return _storable(call, Call.__mapper__)


def raw_snapshot(snapshot: LiveSnapshot) -> bytes:
    return orjson.dumps(
        {
            "call_id": snapshot.call_id,
            "meta": snapshot.meta,
            "turns": snapshot.turns,
            "intake": snapshot.intake,
            "events": snapshot.events,
        },
        default=str,
        option=orjson.OPT_NON_STR_KEYS,
    )


def parse_org(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None
