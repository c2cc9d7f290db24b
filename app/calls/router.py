"""REST routes of the call lifecycle (browser calls; phone calls use the same service)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime

from app.calls import errors, service
from app.calls.finalize import finalize_call
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
    Urgency,
)
from app.deps import CallsReader, CallsWriter, DbSession, LiveStoreDep, StateDep
from app.errors import path_uuid

router = APIRouter(tags=["calls"])


def _call_uuid(call_id: str) -> uuid.UUID:
    return path_uuid(call_id, errors.CallNotFound)


@router.post("/api/call/start", status_code=status.HTTP_201_CREATED, response_model=CallStarted)
async def start_call(principal: CallsWriter, state: StateDep, body: CallStart) -> CallStarted:
    started = await service.start_call(
        state.live_store,
        org=service.OrgContext.from_principal(principal),
        settings=state.settings,
        channel=body.channel,
        from_number=body.from_number,
        caller_name=body.caller_name,
        metadata=body.metadata,
    )
    return CallStarted(call_id=started.call_id, status="active", started_at=started.started_at)


@router.post("/api/calls/{call_id}/transcript", response_model=TranscriptAppended)
async def append_transcript(
    principal: CallsWriter, session: DbSession, live: LiveStoreDep, call_id: str, body: TranscriptAppend
) -> TranscriptAppended:
    return await service.append_transcript(
        session,
        live,
        org=service.OrgContext.from_principal(principal),
        call_id=_call_uuid(call_id),
        turns=body.turns,
    )


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
    )
    return ToolCallOut(output=output, repeated=repeated)


@router.post("/api/call/end", response_model=CallSummary)
async def end_call(principal: CallsWriter, state: StateDep, body: CallEnd) -> CallDetail:
    """The stored call's summary; reading its transcript and intake needs calls:read (GET /api/calls/{id})."""
    detail = await finalize_call(
        state.session_factory,
        state.live_store,
        call_id=body.call_id,
        org_id=principal.org_id,
        end_reason=body.reason,
        lock_seconds=state.settings.calls.finalize_lock_seconds,
    )
    if detail is None:  # only the sweeper (org_id None) gets None back
        raise errors.CallNotFound()
    return detail


@router.get("/api/calls", response_model=CallPage)
async def list_calls(
    principal: CallsReader,
    session: DbSession,
    status_: Annotated[CallStatus | None, Query(alias="status")] = None,
    channel: Channel | None = None,
    escalated: bool | None = None,
    urgency: Urgency | None = None,
    started_after: AwareDatetime | None = None,
    started_before: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> CallPage:
    filters = CallFilters(
        status=status_,
        channel=channel,
        escalated=escalated,
        urgency=urgency,
        started_after=started_after,
        started_before=started_before,
    )
    items, next_cursor = await service.list_calls(
        session, org_id=principal.org_id, filters=filters, limit=limit, cursor=cursor
    )
    return CallPage(items=items, next_cursor=next_cursor)


@router.get("/api/calls/{call_id}", response_model=CallDetail)
async def get_call(
    principal: CallsReader, session: DbSession, live: LiveStoreDep, call_id: str
) -> CallDetail:
    return await service.get_call(session, live, org_id=principal.org_id, call_id=_call_uuid(call_id))
