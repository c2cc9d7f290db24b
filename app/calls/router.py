"""REST routes of the call lifecycle (browser calls; phone calls use the same service)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.analysis.jobs import analysis_view
from app.calls import errors, service
from app.calls.end import end_call as end_the_call
from app.calls.overflows import require_slot
from app.calls.owner import ask_owner_to_end, call_owners
from app.calls.repository import CallFilters
from app.calls.schemas import (
    CallDetail,
    CallEnd,
    CallPage,
    CallStart,
    CallStarted,
    CallStatus,
    CallSummary,
    Channel,
    ToolCallIn,
    ToolCallOut,
    TranscriptAppend,
    TranscriptAppended,
    TransferRequested,
    Urgency,
)
from app.calls.second_opinion import EXTRAS_KEY as SECOND_OPINION_KEY
from app.calls.slots import release_slot, renew_slot
from app.deps import CallsReader, CallsWriter, DbSession, LiveStoreDep, StateDep
from app.errors import path_uuid
from app.events import live_calls
from app.logging import bind_call_context
from app.validation import Moment

router = APIRouter(tags=["calls"])


def _call_uuid(call_id: str) -> uuid.UUID:
    return path_uuid(call_id, errors.CallNotFound)


@router.post("/api/call/start", status_code=status.HTTP_201_CREATED, response_model=CallStarted)
async def start_call(principal: CallsWriter, state: StateDep, body: CallStart) -> CallStarted:
    org = service.OrgContext.from_principal(principal)
    call_id = uuid.uuid4()
    await require_slot(
        state, org_id=org.org_id, call_id=call_id, max_concurrent_calls=org.config.limits.max_concurrent_calls
    )
    try:
        started = await service.start_call(
            state.live_store,
            org=org,
            settings=state.settings,
            channel=body.channel,
            from_number=body.from_number,
            caller_name=body.caller_name,
            metadata=body.metadata,
            call_id=call_id,
        )
    except BaseException:
        await release_slot(state, org_id=org.org_id, call_id=call_id)
        raise
    return CallStarted(call_id=started.call_id, status="active", started_at=started.started_at)


@router.post("/api/calls/{call_id}/transcript", response_model=TranscriptAppended)
async def append_transcript(
    principal: CallsWriter,
    session: DbSession,
    state: StateDep,
    live: LiveStoreDep,
    call_id: str,
    body: TranscriptAppend,
) -> TranscriptAppended:
    org = service.OrgContext.from_principal(principal)
    call_uuid = _call_uuid(call_id)
    answer = await service.append_transcript(
        session,
        live,
        org=org,
        call_id=call_uuid,
        turns=body.turns,
        second_opinion=state.extras.get(SECOND_OPINION_KEY),
    )
    # A browser call on the client-secret path has no owner renewing its slot: its lines do.
    await renew_slot(state, org_id=org.org_id, call_id=call_uuid)
    return answer


@router.post("/api/calls/{call_id}/tool-calls", response_model=ToolCallOut)
async def apply_tool_call(
    principal: CallsWriter, session: DbSession, live: LiveStoreDep, call_id: str, body: ToolCallIn
) -> ToolCallOut:
    _, output, repeated = await service.apply_tool_call(
        session,
        live,
        org=service.OrgContext.from_principal(principal),
        call_id=_call_uuid(call_id),
        name=body.name,
        arguments=body.arguments,
        tool_call_id=body.tool_call_id,
        source="client",  # the browser ran this tool call: recorded as what it reported
    )
    return ToolCallOut(output=output, repeated=repeated)


@router.post("/api/call/end", response_model=CallSummary)
async def end_call(principal: CallsWriter, state: StateDep, body: CallEnd) -> CallDetail:
    """The stored call's summary; reading its transcript and intake needs calls:read (GET /api/calls/{id})."""
    bind_call_context(body.call_id)  # issue 12
    # A call run by a channel (on any worker) is ended by its owner; then this finds it stored.
    await ask_owner_to_end(state, call_id=str(body.call_id), org_id=principal.org_id, reason=body.reason)
    detail = await end_the_call(
        state, call_id=body.call_id, org_id=principal.org_id, source="api", reason=body.reason
    )
    if detail is None:  # only the sweeper (org_id None) gets None back
        raise errors.CallNotFound()
    return detail


@router.post(
    "/api/calls/{call_id}/transfer",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TransferRequested,
    responses={404: {"description": "unknown or another org's call"}, 409: {"description": "ended"}},
)
async def transfer_call(
    principal: CallsWriter, session: DbSession, state: StateDep, call_id: str
) -> TransferRequested:
    """Hand a live call to a person, from any worker: the worker that runs the call says a short hand-off
    line and transfers a phone call to the escalation phone; a browser call is promised a call back."""
    call_uuid = _call_uuid(call_id)
    bind_call_context(call_uuid)  # issue 12
    return await service.request_transfer(
        session,
        state.live_store,
        call_owners(state),
        org=service.OrgContext.from_principal(principal),
        call_id=call_uuid,
    )


@router.get("/api/calls", response_model=CallPage)
async def list_calls(
    principal: CallsReader,
    session: DbSession,
    live_store: LiveStoreDep,
    status_: Annotated[CallStatus | None, Query(alias="status")] = None,
    channel: Channel | None = None,
    escalated: bool | None = None,
    urgency: Urgency | None = None,
    started_after: Moment | None = None,
    started_before: Moment | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    live: Annotated[bool | None, Query(description="true: live calls only; false: stored only")] = None,
) -> CallPage:
    filters = CallFilters(
        status=status_,
        channel=channel,
        escalated=escalated,
        urgency=urgency,
        started_after=started_after,
        started_before=started_before,
    )
    # Issue 10: live calls (at most 500) come first, on the first page only.
    first_page = live is not False and not cursor
    live_items = await live_calls.matching(live_store, principal.org_id, filters) if first_page else []
    if live:
        return CallPage(items=live_items[:limit], next_cursor=None)
    items, next_cursor = await service.list_calls(
        session, org_id=principal.org_id, filters=filters, limit=limit, cursor=cursor
    )
    return CallPage(items=live_calls.merged(live_items, items), next_cursor=next_cursor)


@router.get("/api/calls/{call_id}", response_model=CallDetail)
async def get_call(
    principal: CallsReader, session: DbSession, live: LiveStoreDep, call_id: str
) -> CallDetail:
    detail = await service.get_call(session, live, org_id=principal.org_id, call_id=_call_uuid(call_id))
    if not detail.live:  # issue 10
        detail.analysis = await analysis_view(session, org_id=principal.org_id, call_id=detail.call_id)
    return detail
