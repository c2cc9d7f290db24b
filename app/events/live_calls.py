"""The org's live calls, from the live-call index the stream hooks keep: for GET /api/calls and snapshots."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.calls.live_store import LiveStore
from app.calls.repository import CallFilters
from app.calls.schemas import CallSummary
from app.events.live import bus_for

MAX_LIVE_LISTED = 500


def _none_if_empty(value: str | None) -> str | None:
    return value or None


def summary_from_meta(call_id: str, meta: dict[str, str]) -> CallSummary:
    return CallSummary(
        call_id=uuid.UUID(call_id),
        channel=meta["channel"],
        status=meta.get("status") or "active",
        started_at=datetime.fromisoformat(meta["started_at"]),
        ended_at=None,
        duration_seconds=None,
        escalated=meta.get("escalated") == "1",
        escalation_reason=_none_if_empty(meta.get("escalation_reason")),
        escalation_urgency=_none_if_empty(meta.get("escalation_urgency")),
        urgency=_none_if_empty(meta.get("urgency")),
        end_reason=_none_if_empty(meta.get("end_reason")),
        from_number=_none_if_empty(meta.get("from_number")),
        caller_name=_none_if_empty(meta.get("caller_name")),
        config_version=int(meta["config_version"]),
        prompt_hash=meta["prompt_hash"],
        turn_count=int(meta.get("next_seq") or 0),
        live=True,
    )


async def live_summaries(
    live: LiveStore, org_id: uuid.UUID, *, limit: int = MAX_LIVE_LISTED
) -> list[CallSummary]:
    """The org's live calls, newest first; entries whose call is gone are dropped from the index."""
    bus = bus_for(live)
    if bus is None:
        return []
    org = str(org_id)
    found: list[CallSummary] = []
    for call_id in await bus.log.live_calls(org, limit):
        meta = await live.get_meta(call_id)
        if meta is None or meta.get("org_id") != org:
            await bus.log.set_live(org, call_id, None)
            continue
        found.append(summary_from_meta(call_id, meta))
    return found


async def matching(live: LiveStore, org_id: uuid.UUID, filters: CallFilters) -> list[CallSummary]:
    """The org's live calls that pass the listing's filters (for GET /api/calls; first page only)."""
    found = []
    for call in await live_summaries(live, org_id):
        if filters.status is not None and call.status != filters.status:
            continue
        if filters.channel is not None and call.channel != filters.channel:
            continue
        if filters.escalated is not None and call.escalated != filters.escalated:
            continue
        if filters.urgency is not None and call.urgency != filters.urgency:
            continue
        if filters.started_after is not None and call.started_at < filters.started_after:
            continue
        if filters.started_before is not None and call.started_at >= filters.started_before:
            continue
        found.append(call)
    return found


def merged(live_calls: list[CallSummary], stored: list[CallSummary]) -> list[CallSummary]:
    """Live calls first; a call just finalized and still in the live index shows once, as stored."""
    stored_ids = {call.call_id for call in stored}
    return [*(c for c in live_calls if c.call_id not in stored_ids), *stored]
