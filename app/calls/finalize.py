"""Move a finished call from the live store to PostgreSQL in one transaction, exactly once.

Exactly once, in three layers: a live-store lock serializes finalizers of one call; the calls row is
inserted with ON CONFLICT DO NOTHING so a second writer (an expired lock, a crash after commit)
writes nothing; and live keys are deleted only after the commit. If PostgreSQL is down the live
state stays untouched and a later end or the sweeper persists it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.calls import errors
from app.calls.live_store import LiveSnapshot, LiveStore
from app.calls.repository import CallRepository, FinalizedRows
from app.calls.schemas import CallDetail, CallEvent
from app.calls.views import detail_from_snapshot, detail_from_stored
from app.errors import is_database_outage

log = logging.getLogger("callintake.finalize")

FINAL_STATUSES = frozenset({"completed", "abandoned", "failed"})


def _none_if_empty(value: str | None) -> str | None:
    return value or None


def build_rows(snapshot: LiveSnapshot, *, status: str, end_reason: str, now: datetime) -> FinalizedRows:
    meta = snapshot.meta
    call_id = uuid.UUID(snapshot.call_id)
    org_id = uuid.UUID(meta["org_id"])
    started_at = datetime.fromisoformat(meta["started_at"])
    ended_at = max(now, started_at)
    call = {
        "id": call_id,
        "organization_id": org_id,
        "channel": meta["channel"],
        "status": status,
        "started_at": started_at,
        "ended_at": ended_at,
        "duration_seconds": round((ended_at - started_at).total_seconds(), 3),
        "escalated": meta.get("escalated") == "1",
        "escalation_reason": _none_if_empty(meta.get("escalation_reason")),
        "escalation_urgency": _none_if_empty(meta.get("escalation_urgency")),
        "urgency": _none_if_empty(meta.get("urgency")),
        "end_reason": end_reason,
        "twilio_call_sid": _none_if_empty(meta.get("twilio_call_sid")),
        "from_number": _none_if_empty(meta.get("from_number")),
        "caller_name": _none_if_empty(meta.get("caller_name")),
        "config_version": int(meta["config_version"]),
        "prompt_hash": meta["prompt_hash"],
        "metadata_": orjson.loads(meta.get("metadata") or "{}"),
        "turn_count": len(snapshot.turns),
        "persisted_at": now,
    }
    parse = datetime.fromisoformat
    transcripts = [
        {
            "call_id": call_id,
            "seq": int(turn["seq"]),
            "organization_id": org_id,
            "speaker": turn["speaker"],
            "text": turn["text"],
            "at": parse(turn["at"]),
        }
        for turn in snapshot.turns
    ]
    intake = None
    if snapshot.intake is not None:
        intake = {
            "call_id": call_id,
            "organization_id": org_id,
            "data": snapshot.intake["data"],
            "urgency": snapshot.intake.get("urgency"),
            "summary": snapshot.intake.get("summary"),
            "completed_at": parse(snapshot.intake["completed_at"]),
        }
    timeline = [
        *snapshot.events,
        {"type": "call_ended", "at": ended_at.isoformat(), "data": {"status": status, "reason": end_reason}},
    ]
    events = [
        {
            "call_id": call_id,
            "seq": seq,
            "organization_id": org_id,
            "type": event["type"],
            "at": parse(event["at"]),
            "data": event.get("data") or {},
        }
        for seq, event in enumerate(timeline)
    ]
    return FinalizedRows(call=call, transcripts=transcripts, intake=intake, events=events)


async def _stored(
    session_factory: async_sessionmaker[AsyncSession], org_id: uuid.UUID, call_id: uuid.UUID
) -> CallDetail | None:
    try:
        async with session_factory() as session:
            stored = await CallRepository(session, org_id).get(call_id)
    except Exception as exc:
        if is_database_outage(exc):
            raise errors.PersistenceUnavailable() from exc
        raise
    return detail_from_stored(stored) if stored is not None else None


async def finalize_call(
    session_factory: async_sessionmaker[AsyncSession],
    live: LiveStore,
    *,
    call_id: uuid.UUID,
    org_id: uuid.UUID | None,
    end_reason: str | None = None,
    status: str | None = None,
    lock_seconds: float = 30.0,
    now: datetime | None = None,
) -> CallDetail | None:
    """Persist the call and clear its live state; returns the stored call.

    `org_id` None is the sweeper (no tenant yet); it gets None back when there is nothing to do.
    """
    if status is not None and status not in FINAL_STATUSES:
        raise ValueError(f"not a final status: {status}")
    key = str(call_id)
    lock = f"finalize:{key}"
    token = secrets.token_hex(8)
    deadline = time.monotonic() + lock_seconds
    while not await live.acquire_lock(lock, token, lock_seconds):
        # Another finalizer holds the call; wait for it, then answer with what it stored.
        if time.monotonic() > deadline:
            raise errors.FinalizeInProgress()
        await asyncio.sleep(0.02)
    try:
        snapshot = await live.snapshot(key)
        if snapshot is None:
            if org_id is None:
                return None
            stored = await _stored(session_factory, org_id, call_id)
            if stored is None:
                raise errors.CallNotFound()
            return stored
        owner = uuid.UUID(snapshot.meta["org_id"])
        if org_id is not None and owner != org_id:
            raise errors.CallNotFound()
        now = now or datetime.now(UTC)
        reason = end_reason or snapshot.meta.get("end_reason") or "ended"
        rows = build_rows(snapshot, status=status or "completed", end_reason=reason, now=now)
        started = time.perf_counter()
        try:
            async with session_factory() as session, session.begin():
                inserted = await CallRepository(session, owner).insert_finalized(rows)
        except Exception as exc:
            if is_database_outage(exc):
                log.warning("finalize_deferred", extra={"call": key, "error_type": type(exc).__name__})
                raise errors.PersistenceUnavailable() from exc
            raise
        await live.delete_call(key)
        log.info(
            "call_finalized",
            extra={
                "call": key,
                "status": rows.call["status"],
                "turns": len(rows.transcripts),
                "inserted": inserted,
                "persist_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        if not inserted:
            return await _stored(session_factory, owner, call_id)
        return _detail_from_rows(snapshot, rows)
    finally:
        try:
            await live.release_lock(lock, token)
        except Exception:  # the lock expires by itself; never mask the real outcome
            log.warning("finalize_lock_release_failed", extra={"call": key})


def _detail_from_rows(snapshot: LiveSnapshot, rows: FinalizedRows) -> CallDetail:
    detail = detail_from_snapshot(snapshot)
    call: dict[str, Any] = rows.call
    return detail.model_copy(
        update={
            "status": call["status"],
            "ended_at": call["ended_at"],
            "duration_seconds": call["duration_seconds"],
            "end_reason": call["end_reason"],
            "live": False,
            "events": [
                CallEvent(seq=e["seq"], type=e["type"], at=e["at"], data=e["data"]) for e in rows.events
            ],
        }
    )
