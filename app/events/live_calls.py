"""The org's live calls, from the live-call index the stream hooks keep: for GET /api/calls and snapshots."""

from __future__ import annotations

import logging
import uuid

from app.calls.live_store import LiveStore
from app.calls.repository import CallFilters
from app.calls.schemas import CallSummary
from app.calls.views import summary_from_live
from app.events.live import bus_for

log = logging.getLogger("callintake.events")

MAX_LIVE_LISTED = 500


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
        try:
            call = await live.get_call(call_id)
        except ValueError:  # a broken call waits for the sweeper to quarantine it; the list goes on
            log.warning("live_call_unreadable", extra={"call": call_id})
            continue
        if call is None or call.org_id != org_id:
            await bus.log.set_live(org, call_id, None)
            continue
        found.append(summary_from_live(call_id, call, turn_count=call.next_seq))
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
