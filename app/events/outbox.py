"""The durable outbox: events written inside the caller's transaction, fanned out to webhooks later.

A row exists only if the transaction that wrote it committed, so nothing is sent for a rollback;
once committed the dispatcher delivers it eventually, whichever process dies. A commit also wakes
the in-process dispatcher at once (no wait for its next poll).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from sqlalchemy import event, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from database.base import utcnow
from database.models import OutboxEvent, WebhookEndpoint

# What an endpoint may subscribe to; `webhook.test` is sent only by the test route.
EVENT_TYPES: Final = (
    "call.started",
    "call.escalated",
    "call.transfer_finished",
    "intake.completed",
    "call.ended",
    "call.analyzed",
    "webhook_endpoint.disabled",
)
TEST_EVENT: Final = "webhook.test"

# PostgreSQL: a trigger on outbox_events notifies this channel on commit (migration 0007; since 0008
# only for an insert with an event still to fan out), so a dispatcher in another process
# (python -m app.worker) is woken too; see Dispatcher._listen.
NOTIFY_CHANNEL: Final = "callintake_outbox"

# The payload of a NOTIFY sent when deliveries were made due directly (a redeliver, a test send): a
# dispatcher woken by it claims even when its fan-out found no new event.
DELIVERIES_CHANGED: Final = "deliveries"


class Waker(Protocol):
    """What a dispatcher registers: `deliveries` says a due delivery was written directly (not by fan-out)."""

    def wake(self, *, deliveries: bool) -> None: ...


_wakers: set[Waker] = set()
_WAKE_FLAG = "callintake_outbox_wake"


def add_waker(waker: Waker) -> None:
    _wakers.add(waker)


def remove_waker(waker: Waker) -> None:
    _wakers.discard(waker)


def wake_dispatchers(*, deliveries: bool = False) -> None:
    for waker in list(_wakers):
        waker.wake(deliveries=deliveries)


def _on_commit(session: Session) -> None:
    flag = session.info.pop(_WAKE_FLAG, None)
    if flag is not None:
        wake_dispatchers(deliveries=flag)


def _on_rollback(session: Session) -> None:
    session.info.pop(_WAKE_FLAG, None)


def wake_after_commit(session: AsyncSession, *, deliveries: bool = False) -> None:
    """Wake the in-process dispatchers once this session commits (never on a rollback)."""
    sync = session.sync_session
    sync.info[_WAKE_FLAG] = bool(sync.info.get(_WAKE_FLAG)) or deliveries
    if not event.contains(sync, "after_commit", _on_commit):
        event.listen(sync, "after_commit", _on_commit)
        event.listen(sync, "after_rollback", _on_rollback)


async def deliveries_changed(session: AsyncSession) -> None:
    """This transaction made a delivery due without an outbox insert of its own to fan out: tell every
    dispatcher when it commits: in process through the wakers, on PostgreSQL also through a NOTIFY
    (sent by PostgreSQL only on commit), so `python -m app.worker` claims it now, not at its next poll."""
    wake_after_commit(session, deliveries=True)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": NOTIFY_CHANNEL, "payload": DELIVERIES_CHANGED},
        )


def message_id(event_id: uuid.UUID) -> str:
    """The Standard Webhooks `webhook-id`: derived from the event, so every attempt carries the same."""
    return f"msg_{event_id.hex}"


async def enqueue(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    type_: str,
    data: Mapping[str, Any],
    call_id: uuid.UUID | None = None,
    at: datetime | None = None,
    event_id: uuid.UUID | None = None,
    subscribed: bool = True,
) -> uuid.UUID:
    """Write one event in the session's transaction; the caller commits (or rolls back) it. With an
    `event_id` the write happens only if no event has that id yet (a live event written again).
    `subscribed=False`: no enabled endpoint of the org takes this type (`subscribed_types`, read in
    this transaction), so the event is written fanned out already and wakes no dispatcher."""
    row = _enqueued_row(org_id, type_, data, call_id, at, event_id or uuid.uuid4(), subscribed)
    if event_id is None:
        await session.execute(insert(OutboxEvent).values(**row))
    else:
        await insert_if_absent(session, [row])
    if subscribed:
        wake_after_commit(session)
    return row["id"]  # type: ignore[no-any-return]


async def enqueue_live(session: AsyncSession, events: Sequence[tuple[Mapping[str, Any], bool]]) -> None:
    """Events (`enqueue`'s keyword arguments), each with whether an endpoint takes it, written as
    `enqueue` writes them but in one statement: an `event_id` already there is left alone."""
    now = utcnow()
    rows = [
        _enqueued_row(
            event["org_id"],
            event["type_"],
            event["data"],
            event.get("call_id"),
            event.get("at"),
            event.get("event_id") or uuid.uuid4(),
            subscribed,
            now=now,
        )
        for event, subscribed in events
    ]
    await insert_if_absent(session, rows)
    if any(subscribed for _, subscribed in events):
        wake_after_commit(session)


def _enqueued_row(
    org_id: uuid.UUID,
    type_: str,
    data: Mapping[str, Any],
    call_id: uuid.UUID | None,
    at: datetime | None,
    event_id: uuid.UUID,
    subscribed: bool,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    if type_ not in EVENT_TYPES and type_ != TEST_EVENT:
        raise ValueError(f"unknown outbox event type: {type_}")
    row = event_row(org_id=org_id, type_=type_, data=data, call_id=call_id, at=at, event_id=event_id)
    # Keyed alike whether fanned out or not: rows of one multi-row INSERT must share their columns.
    row["fanned_out_at"] = None if subscribed else (now or utcnow())
    return row


async def subscribed_types(session: AsyncSession, org_ids: set[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    """The event types each org's enabled endpoints subscribe to. An endpoint that commits after this
    read misses the events written with it: it was created at the same moment as they happened."""
    wanted: dict[uuid.UUID, set[str]] = {org_id: set() for org_id in org_ids}
    rows = await session.execute(
        select(WebhookEndpoint.organization_id, WebhookEndpoint.events).where(
            WebhookEndpoint.organization_id.in_(org_ids), WebhookEndpoint.enabled.is_(True)
        )
    )
    for org_id, events in rows:
        wanted[org_id].update(events or ())
    return wanted


def event_row(
    *,
    event_id: uuid.UUID,
    org_id: uuid.UUID,
    type_: str,
    data: Mapping[str, Any],
    call_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The outbox_events row of one event, as `enqueue` and finalize's re-write insert it."""
    return {
        "id": event_id,
        "organization_id": org_id,
        "call_id": call_id,
        "type": type_,
        "data": dict(data),
        "created_at": at or utcnow(),
    }


async def insert_if_absent(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Outbox rows whose ids may already be there: one statement, existing ids left as they are."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutboxEvent)
    await session.execute(statement.values([dict(row) for row in rows]).on_conflict_do_nothing())


# Live events get ids derived from what the live store recorded (call, type, time), so the copy
# finalize writes again for every live event is a no-op for those whose live write committed.
_LIVE_EVENT_NAMESPACE: Final = uuid.UUID("5b0f7a52-8d7e-4c55-9b1e-2f4c61d3a0e7")


def live_event_id(call_id: uuid.UUID | str, type_: str, at: datetime) -> uuid.UUID:
    moment = at.astimezone(UTC).isoformat() if at.tzinfo is not None else at.isoformat()
    return uuid.uuid5(_LIVE_EVENT_NAMESPACE, f"{call_id}|{type_}|{moment}")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def call_ended_data(call: Mapping[str, Any], intake: Mapping[str, Any] | None) -> dict[str, Any]:
    """The thin `call.ended` data: ids, outcome, escalation and intake; never the caller's number."""
    escalation = None
    if call.get("escalated"):
        escalation = {"reason": call.get("escalation_reason"), "urgency": call.get("escalation_urgency")}
    return {
        "call_id": str(call["id"]),
        "channel": call.get("channel"),
        "status": call.get("status"),
        "end_reason": call.get("end_reason"),
        "started_at": _iso(call.get("started_at")),
        "ended_at": _iso(call.get("ended_at")),
        "duration_seconds": call.get("duration_seconds"),
        "urgency": call.get("urgency"),
        "escalated": bool(call.get("escalated")),
        "escalation": escalation,
        "turn_count": call.get("turn_count"),
        "intake": None
        if intake is None
        else {
            "data": intake.get("data"),
            "urgency": intake.get("urgency"),
            "summary": intake.get("summary"),
            "completed_at": _iso(intake.get("completed_at")),
        },
    }


async def enqueue_call_ended(
    session: AsyncSession, *, call: Mapping[str, Any], intake: Mapping[str, Any] | None
) -> uuid.UUID:
    """`call.ended`, from the rows finalize inserts, inside finalize's transaction."""
    return await enqueue(
        session,
        org_id=call["organization_id"],
        type_="call.ended",
        call_id=call["id"],
        data=call_ended_data(call, intake),
        at=call.get("ended_at"),
    )


async def call_ended_hook(session: AsyncSession, ended: Any) -> None:
    """`call.ended`, as an end hook: written in the transaction that stores the call."""
    await enqueue_call_ended(session, call=ended.rows.call, intake=ended.rows.intake)
