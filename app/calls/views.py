"""Call views: the API's call shapes from live state or from stored rows."""

from __future__ import annotations

import uuid
from typing import Any

from app.calls.live_call import LiveCall
from app.calls.live_store import LiveSnapshot
from app.calls.repository import StoredCall
from app.calls.schemas import CallDetail, CallEvent, CallSummary, Intake, Turn


def summary_from_live(call_id: str, call: LiveCall, *, turn_count: int) -> CallSummary:
    return CallSummary(
        call_id=uuid.UUID(call_id),
        channel=call.channel,
        status=call.status or "active",
        started_at=call.started_at,
        ended_at=None,
        duration_seconds=None,
        escalated=call.escalated,
        escalation_reason=call.escalation_reason,
        escalation_urgency=call.escalation_urgency,
        urgency=call.urgency,
        end_reason=call.end_reason,
        from_number=call.from_number,
        caller_name=call.caller_name,
        config_version=call.config_version,
        prompt_hash=call.prompt_hash,
        turn_count=turn_count,
        live=True,
    )


def detail_from_snapshot(snapshot: LiveSnapshot) -> CallDetail:
    call = snapshot.call
    intake = snapshot.intake
    summary = summary_from_live(snapshot.call_id, call, turn_count=len(snapshot.turns))
    return CallDetail(
        **summary.model_dump(),
        metadata=call.metadata,
        transcript=[
            Turn(seq=t["seq"], speaker=t["speaker"], text=t["text"], at=t["at"]) for t in snapshot.turns
        ],
        intake=Intake.model_validate(intake) if intake else None,
        events=[
            CallEvent(seq=i, type=e["type"], at=e["at"], data=e.get("data") or {})
            for i, e in enumerate(snapshot.events)
        ],
    )


def summary_from_row(call: Any) -> CallSummary:
    return CallSummary(
        call_id=call.id,
        channel=call.channel,
        status=call.status,
        started_at=call.started_at,
        ended_at=call.ended_at,
        duration_seconds=call.duration_seconds,
        escalated=call.escalated,
        escalation_reason=call.escalation_reason,
        escalation_urgency=call.escalation_urgency,
        urgency=call.urgency,
        end_reason=call.end_reason,
        from_number=call.from_number,
        caller_name=call.caller_name,
        config_version=call.config_version,
        prompt_hash=call.prompt_hash,
        turn_count=call.turn_count,
        live=False,
        recording_url=call.recording_url,
        transcript_purged_at=call.transcript_purged_at,
        content_erased_at=call.content_erased_at,
    )


def detail_from_stored(stored: StoredCall) -> CallDetail:
    summary = summary_from_row(stored.call)
    intake = stored.intake
    return CallDetail(
        **summary.model_dump(),
        metadata=stored.call.metadata_ or {},
        transcript=[Turn.model_validate(t, from_attributes=True) for t in stored.transcripts],
        intake=Intake.model_validate(intake, from_attributes=True) if intake else None,
        events=[CallEvent.model_validate(e, from_attributes=True) for e in stored.events],
    )
