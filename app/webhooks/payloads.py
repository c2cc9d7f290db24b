"""The one place a webhook body is assembled: `{type, timestamp, data}`, thin unless the endpoint opts in.

Retention and PII filters will apply here, to every endpoint and event type at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from database.models import CallTranscript, OutboxEvent, WebhookEndpoint

# Events whose body may carry the transcript, when the endpoint set include_transcript.
TRANSCRIPT_EVENTS = frozenset({"call.ended", "call.analyzed"})


async def transcript(session: AsyncSession, org_id: uuid.UUID, call_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(CallTranscript.seq, CallTranscript.speaker, CallTranscript.text, CallTranscript.at)
        .where(CallTranscript.organization_id == org_id, CallTranscript.call_id == call_id)
        .order_by(CallTranscript.seq)
    )
    return [
        {"seq": seq, "speaker": speaker, "text": text, "at": at.isoformat()}
        for seq, speaker, text, at in rows
    ]


def build_payload(
    event: OutboxEvent, endpoint: WebhookEndpoint, *, turns: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    data = dict(event.data)
    if endpoint.include_transcript and event.type in TRANSCRIPT_EVENTS and turns is not None:
        data["transcript"] = turns
    return {"type": event.type, "timestamp": event.created_at.isoformat(), "data": data}


def wants_transcript(event: OutboxEvent, endpoints: list[WebhookEndpoint]) -> bool:
    return (
        event.call_id is not None
        and event.type in TRANSCRIPT_EVENTS
        and any(ep.include_transcript and event.type in ep.events for ep in endpoints)
    )


# What of a call's webhook data survives its erasure: the tombstone's facts (ids, times, status,
# urgency, outcome), never the caller's words or identity (intake, summary, escalation reason,
# transcript). A whitelist, so a field added to an event later is erased until named here.
ERASED_KEEP = frozenset(
    {
        "call_id",
        "channel",
        "status",
        "end_reason",
        "started_at",
        "ended_at",
        "duration_seconds",
        "urgency",
        "escalated",
        "turn_count",
        "category",
        "source",
        "outcome",
        "dial_status",
        "talk_seconds",
        "escalated_at",
        "seconds_to_answer",
        "analysis_version",
        "disposition",
        "follow_up_needed",
        "at",
    }
)


def erased_data(data: dict[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in data.items() if key in ERASED_KEEP}
    return {**kept, "content_erased": True}


def erased_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "data": erased_data(dict(payload.get("data") or {}))}
