"""The hooks the call lifecycle calls as it records live events (one line each at the call site).

Each publishes the event to the live stream (SSE); escalation, intake and call start also go to the
outbox, in a short transaction of their own, so a pager hears about an emergency during the call.
The hooks never raise into a call: a failure is logged (without content) and the call goes on.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.calls.live_store import LiveStore
from app.errors import is_database_outage
from app.events import outbox
from app.events.stream import EventHub, EventLog
from app.observability import observe_call_event

log = logging.getLogger("callintake.events")

# Live-store event type -> live stream event type.
STREAM_TYPES = {
    "call_started": "call.started",
    "detection": "call.detection",
    "escalated": "call.escalated",
    "intake_completed": "intake.completed",
    "end_requested": "call.ending",
    "transfer_finished": "call.transfer_finished",
    "call_ended": "call.ended",
}
OUTBOX_TYPES = {
    "call_started": "call.started",
    "escalated": "call.escalated",
    "intake_completed": "intake.completed",
    "transfer_finished": "call.transfer_finished",
}


class OutboxWriter:
    """Outbox rows from concurrent hooks, committed together: every row that arrives while a commit is
    in flight goes into the next transaction (one pool checkout, one BEGIN/COMMIT, one dispatcher wake),
    and each caller still returns only once its own row has committed. Under 50 concurrent mints this
    turned ~150 transactions a second (each with a pre-ping and, past the pool size, a new connection)
    into a few. A batch that fails for a reason other than an outage is retried row by row, so one bad
    row costs only itself, as when every row had its own transaction."""

    MAX_BATCH = 200

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory
        self._queue: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flusher: asyncio.Future[None] | None = None

    async def write(self, **row: Any) -> None:
        """`outbox.enqueue(session, **row)` in a shared transaction; returns after it committed."""
        await self.submit(**row)

    def submit(self, **row: Any) -> asyncio.Future[None]:
        """Queue `row` for the next shared transaction: the future settles once it committed or failed."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((row, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return future

    async def _flush(self) -> None:
        batch: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        try:
            while self._queue:
                batch, self._queue = self._queue[: self.MAX_BATCH], self._queue[self.MAX_BATCH :]
                try:
                    await self._commit([row for row, _ in batch])
                except Exception as exc:
                    if len(batch) == 1 or is_database_outage(exc):
                        _settle(batch, exc)
                        continue
                    for one in batch:
                        try:
                            await self._commit([one[0]])
                        except Exception as single:
                            _settle([one], single)
                        else:
                            _settle([one], None)
                else:
                    _settle(batch, None)
        finally:  # cancelled (shutdown): no caller is left waiting for a commit that will not come
            for _, future in (*batch, *self._queue):
                future.cancel()
            self._queue = []

    async def _commit(self, rows: Sequence[dict[str, Any]]) -> None:
        async with self._sessions() as session, session.begin():
            # An event no endpoint of its org takes is written fanned out: for an org without
            # webhooks a mint's `call.started` then costs no dispatcher a fan-out transaction (on
            # PostgreSQL it sends no NOTIFY either, migration 0008).
            orgs = [uuid.UUID(str(row["org_id"])) for row in rows]
            wanted = await outbox.subscribed_types(session, set(orgs))
            # One INSERT for the batch (one statement trigger run, one round trip), not one per row.
            subscribed = [row["type_"] in wanted[org_id] for org_id, row in zip(orgs, rows, strict=True)]
            await outbox.enqueue_live(session, list(zip(rows, subscribed, strict=True)))


def _settle(batch: Sequence[tuple[dict[str, Any], asyncio.Future[None]]], exc: Exception | None) -> None:
    for _, future in batch:
        if future.done():  # its caller was cancelled; the row itself was written (or failed) anyway
            continue
        if exc is None:
            future.set_result(None)
        else:
            future.set_exception(exc)


@dataclass
class LiveBus:
    log: EventLog
    hub: EventHub
    session_factory: async_sessionmaker[AsyncSession]
    outbox: OutboxWriter = field(init=False)

    def __post_init__(self) -> None:
        self.outbox = OutboxWriter(self.session_factory)


_BUSES: weakref.WeakKeyDictionary[LiveStore, LiveBus] = weakref.WeakKeyDictionary()


def bind(live: LiveStore, bus: LiveBus) -> None:
    _BUSES[live] = bus


def unbind(live: LiveStore) -> None:
    _BUSES.pop(live, None)


def bus_for(live: LiveStore) -> LiveBus | None:
    return _BUSES.get(live)


def _outbox_data(
    type_: str, call_id: str, data: Mapping[str, Any], intake: Mapping[str, Any] | None
) -> dict[str, Any]:
    if type_ == "escalated":
        urgency = data.get("urgency")
        source = data.get("source") or "tool"
        category = data.get("category") or (
            "emergency" if urgency == "emergency" else "human_request" if source == "detection" else "urgent"
        )
        return {"call_id": call_id, "category": category, "source": source, "urgency": urgency}
    if type_ == "intake_completed":
        return {
            "call_id": call_id,
            "urgency": (intake or {}).get("urgency", data.get("urgency")),
            "summary": (intake or {}).get("summary"),
            "data": (intake or {}).get("data"),
        }
    return {"call_id": call_id, **{k: v for k, v in data.items() if k not in ("prompt_hash",)}}


async def record(
    live: LiveStore,
    *,
    org_id: uuid.UUID | str,
    call_id: uuid.UUID | str,
    event: Mapping[str, Any],
    intake: Mapping[str, Any] | None = None,
    await_outbox: bool = True,
) -> None:
    """After `live.add_event(...)` (or create_call): publish it, and write the outbox row it implies.
    With `await_outbox=False` the row is queued for the next shared commit and not waited for: the
    event is on the live stream on return, and a row that never commits is written by finalize."""
    observe_call_event(org_id, event)  # issue 12: escalation metrics and trace event
    bus = _BUSES.get(live)
    if bus is None:
        return
    org, call, type_ = str(org_id), str(call_id), str(event["type"])
    data = dict(event.get("data") or {})
    at = event.get("at")
    at_text = at.isoformat() if isinstance(at, datetime) else str(at or datetime.now(UTC).isoformat())
    try:
        payload = {"call_id": call, "at": at_text, **data}
        if type_ == "intake_completed" and intake is not None:
            payload["intake"] = {"data": intake.get("data"), "summary": intake.get("summary")}
        await bus.log.append(org, call, STREAM_TYPES.get(type_, f"call.{type_}"), payload)
        if type_ == "call_started":
            await bus.log.set_live(org, call, datetime.fromisoformat(at_text).timestamp())
        elif type_ == "call_ended":
            await bus.log.set_live(org, call, None)
    except Exception as exc:
        log.warning(
            "live_event_publish_failed", extra={"event_type": type_, "error_type": type(exc).__name__}
        )
    outbox_type = OUTBOX_TYPES.get(type_)
    if outbox_type is None:
        return
    moment = datetime.fromisoformat(at_text)
    written = bus.outbox.submit(
        org_id=uuid.UUID(org),
        type_=outbox_type,
        call_id=uuid.UUID(call),
        data=_outbox_data(type_, call, {**data, "at": at_text}, intake),
        at=moment,
        event_id=outbox.live_event_id(call, type_, moment),
    )
    if not await_outbox:
        written.add_done_callback(lambda done: _outbox_written(done, type_))
        return
    try:
        await written
    except Exception as exc:
        _log_outbox_failure(type_, exc)


def _outbox_written(written: asyncio.Future[None], type_: str) -> None:
    if not written.cancelled() and (exc := written.exception()) is not None:
        _log_outbox_failure(type_, exc)


def _log_outbox_failure(type_: str, exc: BaseException) -> None:
    # Not lost: finalize writes every live event again under the same id (`rewrite_live_events`).
    log.warning("live_outbox_write_failed", extra={"event_type": type_, "error_type": type(exc).__name__})


async def rewrite_live_events(session: AsyncSession, ended: Any) -> None:
    """An end hook: in the finalize transaction, the outbox row of every live event again, under the id
    its live write used, so one whose live write failed (PostgreSQL away, or the process died between
    the live store and the outbox) is delivered now, and one that committed is left alone."""
    call = str(ended.call_id)
    intake = ended.rows.intake
    rows = []
    for event in ended.rows.events:
        outbox_type = OUTBOX_TYPES.get(str(event["type"]))
        if outbox_type is None:
            continue
        at: datetime = event["at"]
        data = dict(event.get("data") or {})
        rows.append(
            outbox.event_row(
                org_id=ended.org_id,
                type_=outbox_type,
                data=_outbox_data(str(event["type"]), call, {**data, "at": at.isoformat()}, intake),
                call_id=ended.call_id,
                at=at,
                event_id=outbox.live_event_id(call, str(event["type"]), at),
            )
        )
    await outbox.insert_if_absent(session, rows)
    if rows:
        outbox.wake_after_commit(session)


def turns(
    live: LiveStore,
    *,
    org_id: uuid.UUID | str,
    call_id: uuid.UUID | str,
    rows: Sequence[Mapping[str, Any]],
    accepted: Sequence[int],
) -> Awaitable[None]:
    """After `live.append_turns`: one `transcript.turn` per accepted turn (repeats are not re-sent),
    queued on the live stream now, so ahead of whatever the line records next (its detection, an
    escalation); detection need not wait for the write. Await the result for it to be written; it
    never raises (a failure is logged)."""
    bus = _BUSES.get(live)
    if bus is None or not accepted:
        return _settled(None)
    taken = set(accepted)
    pending = iter(accepted)
    events: list[tuple[str, dict[str, Any]]] = []
    for row in rows:
        seq = row.get("seq")
        if seq is None:
            seq = next(pending, None)
        elif seq not in taken:
            continue
        else:
            next(pending, None)
        if seq is None:
            continue
        text = {"seq": seq, "speaker": row["speaker"], "text": row["text"], "at": row["at"]}
        events.append(("transcript.turn", {"call_id": str(call_id), **text}))
    try:
        written: asyncio.Future[None] | None = bus.log.append_soon(str(org_id), str(call_id), events)
    except Exception as exc:
        _log_publish_failure("turn", exc)
        written = None
    return _settled(written)


async def _settled(written: asyncio.Future[None] | None) -> None:
    if written is None:
        return
    try:
        await written
    except Exception as exc:
        _log_publish_failure("turn", exc)


def _log_publish_failure(type_: str, exc: BaseException) -> None:
    log.warning("live_event_publish_failed", extra={"event_type": type_, "error_type": type(exc).__name__})


async def tool_called(
    live: LiveStore,
    *,
    org_id: uuid.UUID | str,
    call_id: uuid.UUID | str,
    name: str,
    tool_call_id: str | None,
    at: datetime,
) -> None:
    """After a tool call is applied: `tool.called` with its name (arguments travel in their own events)."""
    bus = _BUSES.get(live)
    if bus is None:
        return
    data = {"call_id": str(call_id), "at": at.isoformat(), "name": name, "tool_call_id": tool_call_id}
    try:
        await bus.log.append(str(org_id), str(call_id), "tool.called", data)
    except Exception as exc:
        log.warning(
            "live_event_publish_failed", extra={"event_type": "tool", "error_type": type(exc).__name__}
        )


async def call_ended(
    live: LiveStore, *, org_id: uuid.UUID | str, call_id: uuid.UUID | str, status: str, end_reason: str | None
) -> None:
    """After finalize committed: `call.ended` on the stream and the call leaves the org's live list."""
    event = {
        "type": "call_ended",
        "at": datetime.now(UTC).isoformat(),
        "data": {"status": status, "end_reason": end_reason},
    }
    await record(live, org_id=org_id, call_id=call_id, event=event)
