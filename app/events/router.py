"""The live event stream routes: GET /api/org/events, GET /api/calls/{id}/events (SSE), and stream tokens."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response, StreamingResponse

from app.calls import errors as call_errors
from app.calls.repository import CallRepository
from app.calls.service import get_call
from app.deps import CallsReader, StateDep
from app.errors import path_uuid
from app.events import tokens
from app.events.errors import CallStreamExpired
from app.events.live import bus_for
from app.events.live_calls import live_summaries
from app.events.schemas import CallSnapshot, OrgSnapshot, StreamToken, stream_responses
from app.events.stream import EventHub, LiveEvent, call_key, org_key, parse_id
from app.orgs.auth import authenticate_with
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
        principal = await authenticate_with(
            state.session_factory, state.live_store, authorization=authorization
        )
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


_HEARTBEAT = _comment("heartbeat")
# An ended call's stream waits this long for a `call.ended` not yet kept (published just after the
# commit), then ends anyway: the client's reconnect gets 204 rather than a stream that never ends.
ENDED_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class Snapshot:
    """What every joiner of one stream shares: the id it is taken at and its encoded body."""

    head: str
    head_type: str | None
    body: bytes  # a JSON object without "type" and "reason", which each joiner adds

    def message(self, reason: str) -> bytes:
        prefix = b'{"type":"snapshot","reason":"' + reason.encode() + b'"'
        rest = self.body[1:] if self.body == b"{}" else b"," + self.body[1:]
        return f"id: {self.head}\nevent: snapshot\ndata: ".encode() + prefix + rest + b"\n\n"


@dataclass
class _Flight:
    task: asyncio.Task[Snapshot] | None = None
    started: bool = False


class SharedSnapshots:
    """Joiners of one stream share a snapshot taken after they subscribed: a reconnect storm of a
    hundred clients costs one or two snapshots, not a hundred. At most one runs per stream key."""

    def __init__(self) -> None:
        self._flights: dict[str, list[_Flight]] = {}

    async def take(self, key: str, compute: Callable[[], Awaitable[Snapshot]]) -> Snapshot:
        flights = self._flights.setdefault(key, [])
        # One not yet started began after this caller subscribed, so it sees all the caller must see.
        flight = next((f for f in flights if not f.started), None)
        if flight is None:
            before = flights[-1].task if flights else None
            flight = _Flight()

            async def run(flight: _Flight = flight) -> Snapshot:
                try:
                    if before is not None:
                        await asyncio.wait([before])
                    flight.started = True
                    return await compute()
                finally:
                    flights.remove(flight)
                    if not flights:
                        self._flights.pop(key, None)

            flight.task = asyncio.create_task(run(), name=f"snapshot:{key}")
            flights.append(flight)
        assert flight.task is not None
        # Shielded: one joiner hanging up must not cancel the snapshot the others wait for.
        return await asyncio.shield(flight.task)


_SHARED = SharedSnapshots()


def _response(messages: AsyncIterator[bytes]) -> EventStream:
    # Pre-encoded bytes (each event encoded once for all subscribers), not a model per message.
    return EventStream(messages, headers=_HEADERS)


def _frames(
    events: list[LiveEvent], position: tuple[int, int], *, until_ended: bool
) -> tuple[bytes, tuple[int, int], bool]:
    """The events after `position` as one write; with `until_ended`, none after `call.ended` (then True)."""
    wires = []
    for event in events:
        if event.position <= position:
            continue
        position = event.position
        wires.append(event.wire)
        if until_ended and event.type == "call.ended":
            return b"".join(wires), position, True
    return b"".join(wires), position, False


async def _stream(
    hub: EventHub,
    key: str,
    last_event_id: str | None,
    snapshot: Callable[[], Awaitable[Snapshot]],
    *,
    per_call: bool = False,
    ended: bool = False,
    still_live: Callable[[], Awaitable[bool]] | None = None,
) -> AsyncIterator[bytes]:
    """A stream's messages: a replay (Last-Event-ID) or a snapshot, then live events, coalesced.

    A per-call stream ends after `call.ended`; one of a call that had `ended` before the request ends
    after its replay (or snapshot) and at most ENDED_GRACE_SECONDS more.
    """
    # Subscribe first, so nothing published during the replay or snapshot is missed.
    sub = await hub.subscribe(key)
    try:
        yield _comment("connected", retry=2000)
        replay = await hub.log.read_after(key, last_event_id) if last_event_id else None
        if replay is None:
            taken = await _SHARED.take(key, snapshot)
            yield taken.message("gap" if last_event_id else "join")
            position = parse_id(taken.head) or (0, 0)
            if per_call and (ended or taken.head_type == "call.ended"):
                return  # the snapshot already shows the call ended
        else:
            position = parse_id(last_event_id or "") or (0, 0)
            while replay:
                chunk, position, done = _frames(replay, position, until_ended=per_call)
                if chunk:
                    yield chunk
                if done:
                    return
                replay = await hub.log.read_after(key, replay[-1].id) if len(replay) >= 1000 else []
        deadline = asyncio.get_running_loop().time() + ENDED_GRACE_SECONDS if ended else None
        while True:
            if deadline is None:
                events, beat = await sub.take()
            else:
                try:
                    async with asyncio.timeout_at(deadline):
                        events, beat = await sub.take()
                except TimeoutError:
                    return
            if sub.dropped:
                return  # too slow: the client reconnects with Last-Event-ID and replays
            if beat:
                if still_live is not None and not await still_live():
                    return  # finalized elsewhere: the reconnect replays what is left, then ends
                yield _HEARTBEAT
                continue
            chunk, position, done = _frames(events, position, until_ended=per_call)
            if chunk:
                yield chunk
            if done:
                return
    except Exception as exc:
        log.warning("event_stream_failed", extra={"error_type": type(exc).__name__})
        raise
    finally:
        sub.close()


@router.post("/api/org/events/token", response_model=StreamToken)
async def create_stream_token(principal: CallsReader, state: StateDep) -> StreamToken:
    token, expires = tokens.issue(
        _token_key(state), principal.org_id, ttl_seconds=state.settings.events.token_ttl_seconds
    )
    return StreamToken(token=token, expires_at=expires)


async def _head(hub: EventHub, key: str) -> tuple[str, str | None]:
    last = await hub.log.last(key)
    return (last.id, last.type) if last else ("0-0", None)


@router.get("/api/org/events", response_class=EventStream, responses=stream_responses(OrgSnapshot))
async def stream_org_events(
    org_id: StreamOrg, state: StateDep, last_event_id: LastEventId = None
) -> EventStream:
    """The org's live events as they happen (all its calls); `snapshot` first, then events."""
    hub, key = _hub(state), org_key(str(org_id))

    async def snapshot() -> Snapshot:
        head, head_type = await _head(hub, key)
        async with _SNAPSHOTS:
            calls = await live_summaries(state.live_store, org_id)
        body = orjson.dumps({"calls": [c.model_dump(mode="json") for c in calls]})
        return Snapshot(head, head_type, body)

    return _response(_stream(hub, key, last_event_id, snapshot))


async def stream_call(org_id: StreamOrg, state: StateDep, call_id: str) -> uuid.UUID:
    """The call, if it is this org's (live or stored); 404 otherwise, before the stream starts."""
    wanted = path_uuid(call_id, call_errors.CallNotFound)
    try:
        call = await state.live_store.get_call(str(wanted), ("org_id",))
    except ValueError:
        raise call_errors.CallNotFound() from None  # an unreadable owner: nobody's call
    if call is not None:
        if call.org_id != org_id:
            raise call_errors.CallNotFound()
        return wanted
    async with state.session_factory() as session:
        if not await CallRepository(session, org_id).exists(wanted):
            raise call_errors.CallNotFound()
    return wanted


async def _is_live(state: AppState, call_id: uuid.UUID) -> bool:
    try:
        return await state.live_store.get_call(str(call_id), ("org_id",)) is not None
    except ValueError:
        return True  # unreadable, but still there: the sweeper deals with it


@router.get(
    "/api/calls/{call_id}/events",
    response_class=EventStream,
    responses=stream_responses(CallSnapshot, per_call=True),
)
async def stream_call_events(
    org_id: StreamOrg,
    call: Annotated[uuid.UUID, Depends(stream_call)],
    state: StateDep,
    last_event_id: LastEventId = None,
) -> Response:
    """One call's live events; `snapshot` (the call so far) first, then events until `call.ended`,
    after which the stream ends. An ended call's stream replays what is kept and ends (204 once there
    is nothing after Last-Event-ID; 410 `call_stream_expired` once nothing is kept)."""
    hub, key = _hub(state), call_key(str(call))
    ended = not await _is_live(state, call)
    if ended:
        last = await hub.log.last(key)
        if last is None:
            raise CallStreamExpired()
        after = parse_id(last_event_id) if last_event_id else None
        if after is not None and after >= last.position:
            return Response(status_code=204)  # nothing more will come: EventSource stops reconnecting

    async def snapshot() -> Snapshot:
        head, head_type = await _head(hub, key)
        async with state.session_factory() as session:
            try:
                detail = await get_call(session, state.live_store, org_id=org_id, call_id=call)
            except call_errors.CallNotFound:
                detail = None
        body = orjson.dumps({"call": detail.model_dump(mode="json") if detail else None})
        return Snapshot(head, head_type, body)

    async def still_live() -> bool:
        return await _is_live(state, call)

    return _response(
        _stream(hub, key, last_event_id, snapshot, per_call=True, ended=ended, still_live=still_live)
    )
