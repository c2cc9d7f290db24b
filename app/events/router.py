"""The live event stream routes: GET /api/org/events, GET /api/calls/{id}/events (SSE), and stream tokens."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import StreamingResponse

from app.calls import errors as call_errors
from app.calls.repository import CallRepository
from app.calls.service import get_call
from app.deps import CallsReader, StateDep
from app.errors import path_uuid
from app.events import tokens
from app.events.live import bus_for
from app.events.live_calls import live_summaries
from app.events.schemas import CallSnapshot, OrgSnapshot, StreamToken, stream_responses
from app.events.stream import EventHub, call_key, org_key, parse_id
from app.orgs.auth import authenticate_org_key
from app.orgs.errors import MissingCredentials
from app.state import AppState

log = logging.getLogger("callintake.events")

router = APIRouter(tags=["live events"])

# Snapshots read every live call: a reconnect storm must not take all of the live store's connections.
_SNAPSHOTS = asyncio.Semaphore(8)

LastEventId = Annotated[str | None, Header(alias="last-event-id", max_length=64)]
TokenQuery = Annotated[
    str | None, Query(max_length=512, description="A stream token (POST /api/org/events/token)")
]


def _token_key(state: AppState) -> bytes:
    secret = state.settings.events.token_secret
    return tokens.key_from(secret.get_secret_value() if secret else None)


async def stream_org(
    state: StateDep, authorization: Annotated[str | None, Header()] = None, token: TokenQuery = None
) -> uuid.UUID:
    """The org of a stream request: a calls:read key, or a stream token (these two routes only).

    Its own short session: a stream lasts for hours and must not hold a pooled connection.
    """
    if authorization:
        async with state.session_factory() as session:
            principal = await authenticate_org_key(session, state.live_store, authorization=authorization)
        principal.require_scope("calls:read")
        return principal.org_id
    if token:
        return tokens.verify(_token_key(state), token)
    raise MissingCredentials()


StreamOrg = Annotated[uuid.UUID, Depends(stream_org)]


def _hub(state: AppState) -> EventHub:
    bus = bus_for(state.live_store)
    if bus is None:
        raise RuntimeError("the live event stream is not running")
    return bus.hub


_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class EventStream(StreamingResponse):
    """text/event-stream of pre-encoded messages (fastapi.sse would build a model per message)."""

    media_type = "text/event-stream"


def _comment(text: str, retry: int | None = None) -> bytes:
    return (f"retry: {retry}\n" if retry else "").encode() + f": {text}\n\n".encode()


def _snapshot_message(head: str, body: dict[str, Any]) -> bytes:
    return f"id: {head}\nevent: snapshot\ndata: ".encode() + orjson.dumps(body) + b"\n\n"


def _response(messages: AsyncIterator[bytes]) -> EventStream:
    # Pre-encoded bytes (each event encoded once for all subscribers), not a model per message.
    return EventStream(messages, headers=_HEADERS)


async def _stream(
    hub: EventHub,
    key: str,
    last_event_id: str | None,
    snapshot: Callable[[str], Awaitable[dict[str, Any]]],
    heartbeat: float,
) -> AsyncIterator[bytes]:
    # Subscribe first, so nothing published during the replay or snapshot is missed.
    sub = await hub.subscribe(key)
    try:
        yield _comment("connected", retry=2000)
        replay = await hub.log.read_after(key, last_event_id) if last_event_id else None
        if replay is None:
            head = await hub.log.last_id(key)
            body = await snapshot("gap" if last_event_id else "join")
            yield _snapshot_message(head, body)
            position = parse_id(head) or (0, 0)
        else:
            position = parse_id(last_event_id or "") or (0, 0)
            while replay:
                for event in replay:
                    position = event.position
                    yield event.wire
                replay = await hub.log.read_after(key, replay[-1].id) if len(replay) >= 1000 else []
        while True:
            try:
                event = await asyncio.wait_for(sub.queue.get(), heartbeat)
            except TimeoutError:
                if sub.dropped:
                    return
                yield _comment("heartbeat")
                continue
            if sub.dropped:
                return  # too slow: the client reconnects with Last-Event-ID and replays
            if event.position <= position:
                continue
            position = event.position
            yield event.wire
    except Exception as exc:
        log.warning("event_stream_failed", extra={"error_type": type(exc).__name__, "error": str(exc)[:200]})
        raise
    finally:
        sub.close()


@router.post("/api/org/events/token", response_model=StreamToken)
async def create_stream_token(principal: CallsReader, state: StateDep) -> StreamToken:
    token, expires = tokens.issue(
        _token_key(state), principal.org_id, ttl_seconds=state.settings.events.token_ttl_seconds
    )
    return StreamToken(token=token, expires_at=expires)


@router.get("/api/org/events", response_class=EventStream, responses=stream_responses(OrgSnapshot))
async def stream_org_events(
    org_id: StreamOrg, state: StateDep, last_event_id: LastEventId = None
) -> EventStream:
    """The org's live events as they happen (all its calls); `snapshot` first, then events."""

    async def snapshot(reason: str) -> dict[str, Any]:
        async with _SNAPSHOTS:
            calls = await live_summaries(state.live_store, org_id)
        return {"type": "snapshot", "reason": reason, "calls": [c.model_dump(mode="json") for c in calls]}

    return _response(
        _stream(
            _hub(state),
            org_key(str(org_id)),
            last_event_id,
            snapshot,
            state.settings.events.heartbeat_seconds,
        )
    )


async def stream_call(org_id: StreamOrg, state: StateDep, call_id: str) -> uuid.UUID:
    """The call, if it is this org's (live or stored); 404 otherwise, before the stream starts."""
    wanted = path_uuid(call_id, call_errors.CallNotFound)
    meta = await state.live_store.get_meta(str(wanted), ("org_id",))
    if meta is not None:
        if meta.get("org_id") != str(org_id):
            raise call_errors.CallNotFound()
        return wanted
    async with state.session_factory() as session:
        if not await CallRepository(session, org_id).exists(wanted):
            raise call_errors.CallNotFound()
    return wanted


@router.get(
    "/api/calls/{call_id}/events",
    response_class=EventStream,
    responses=stream_responses(CallSnapshot),
)
async def stream_call_events(
    org_id: StreamOrg,
    call: Annotated[uuid.UUID, Depends(stream_call)],
    state: StateDep,
    last_event_id: LastEventId = None,
) -> EventStream:
    """One call's live events; `snapshot` (the call so far) first, then events until it ends."""

    async def snapshot(reason: str) -> dict[str, Any]:
        async with state.session_factory() as session:
            try:
                detail = await get_call(session, state.live_store, org_id=org_id, call_id=call)
            except call_errors.CallNotFound:
                detail = None
        return {
            "type": "snapshot",
            "reason": reason,
            "call": detail.model_dump(mode="json") if detail else None,
        }

    return _response(
        _stream(
            _hub(state), call_key(str(call)), last_event_id, snapshot, state.settings.events.heartbeat_seconds
        )
    )
