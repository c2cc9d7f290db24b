"""Move a finished call from the live store to PostgreSQL in one transaction, exactly once.

Exactly once, in four layers: a live-store lock serializes finalizers of one call; the call is marked
closing before its snapshot is taken, so every later write is refused (409) instead of lost; the calls
row is inserted with ON CONFLICT DO NOTHING so a second writer (an expired lock, a crash after commit)
writes nothing; and live keys are deleted only after the commit.

What can go wrong, and what happens (one policy; `calls.end.end_call` is the entry point):
- PostgreSQL unreachable or timing out: the live state stays, reopened for writes, and
  `PersistenceUnavailable` is raised; a later end or the sweeper persists it.
- Anything else (a bug, a value PostgreSQL refuses despite the guards below): the failure is counted
  on the live call and `FinalizeFailed` (500) is raised; the sweeper retries with backoff. At
  `max_attempts` the call is dead-lettered: a minimal `calls` row with status `finalize_failed` and
  its raw live snapshot in `call_quarantine`, then the live state is deleted.
- Values are made storable on the way (calls/rows.py: NUL/C0 cleaned, strings cut to their column,
  an over-long CallSid dropped), and a CallSid another stored call holds (a replayed webhook after
  its binding expired) is dropped from this call by the repository.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import metrics, tracing
from app.calls import errors
from app.calls.live_call import LiveCall
from app.calls.live_store import LiveSnapshot, LiveStore
from app.calls.repository import CallRepository, FinalizedRows, org_exists, quarantine
from app.calls.rows import DEAD_LETTER_STATUS, build_rows, dead_letter_row, raw_snapshot
from app.calls.schemas import CallDetail, CallEvent, Turn
from app.calls.views import detail_from_snapshot, detail_from_stored
from app.errors import is_database_outage
from app.events import live as live_events
from app.privacy.modes import apply_to_finalized, org_privacy

__all__ = ["DEAD_LETTER_STATUS", "FINAL_STATUSES", "EndHook", "EndedCall", "build_rows", "finalize_call"]

log = logging.getLogger("callintake.finalize")

FINAL_STATUSES = frozenset({"completed", "abandoned", "failed"})


@dataclass(frozen=True, slots=True)
class EndedCall:
    """What an end hook sees: the call just written, inside the transaction that writes it."""

    call_id: uuid.UUID
    org_id: uuid.UUID
    status: str
    end_reason: str
    ended_at: datetime
    source: str
    rows: FinalizedRows


EndHook = Callable[[AsyncSession, EndedCall], Awaitable[None]]


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


async def _dead_letter(
    session_factory: async_sessionmaker[AsyncSession],
    snapshot: LiveSnapshot,
    *,
    attempts: int,
    error_type: str,
    end_reason: str,
    now: datetime,
) -> CallDetail | None:
    """Quarantine the raw snapshot and store what can be stored; the live state may then go."""
    key = snapshot.call_id
    org_id = snapshot.org_id
    stored_row = False
    try:
        async with session_factory() as session, session.begin():
            if org_id is not None and not await org_exists(session, org_id):
                org_id = None
            await quarantine(
                session,
                call_id=uuid.UUID(key),
                org_id=org_id,
                error_type=error_type,
                attempts=attempts,
                snapshot=raw_snapshot(snapshot),
            )
            if org_id is not None:
                try:
                    async with session.begin_nested():
                        row = dead_letter_row(snapshot, org_id=org_id, end_reason=end_reason, now=now)
                        stored_row = await CallRepository(session, org_id).insert_dead_letter(row)
                except Exception as exc:
                    if is_database_outage(exc):
                        raise
                    log.error("dead_letter_row_failed", extra={"call": key, "error_type": type(exc).__name__})
    except Exception as exc:
        if is_database_outage(exc):
            raise errors.PersistenceUnavailable() from exc
        log.error("quarantine_failed", extra={"call": key, "error_type": type(exc).__name__})
        raise errors.FinalizeFailed(attempts=attempts) from exc
    log.error(
        "call_quarantined",
        extra={
            "call": key,
            "org": str(org_id) if org_id else None,
            "attempts": attempts,
            "error_type": error_type,
            "stored": stored_row,
        },
    )
    metrics.call_dead_lettered(snapshot.meta.get("channel"), org_id)
    if org_id is None:
        return None
    return await _stored(session_factory, org_id, uuid.UUID(key))


@tracing.traced("call.finalize", "call_id")
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
    hooks: Sequence[EndHook] = (),
    max_attempts: int | None = None,
    source: str = "api",
) -> CallDetail | None:
    """Persist the call and clear its live state; returns the stored call. Prefer `calls.end.end_call`.

    `org_id` None is the sweeper or a webhook (no tenant yet); it gets None back when there is nothing
    to do. `hooks` run in the transaction that inserts the call, only the first time it is inserted.
    `max_attempts` None never dead-letters.
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
        try:
            live_call = await live.get_call(key, ("org_id",))
            found, owner = live_call is not None, live_call.org_id if live_call is not None else None
        except ValueError:  # an unreadable org: nobody's to end by org, the sweeper's to dead-letter
            found, owner = True, None
        if found and org_id is not None and owner != org_id:
            raise errors.CallNotFound()
        # Closing before the snapshot: from here every write is refused, so the snapshot is final.
        snapshot = await live.snapshot(key) if await live.begin_close(key) else None
        if snapshot is None:
            if org_id is None:
                return None
            stored = await _stored(session_factory, org_id, call_id)
            if stored is None:
                raise errors.CallNotFound()
            return stored
        done = False
        try:
            detail = await _persist(
                session_factory,
                live,
                snapshot,
                status=status or "completed",
                end_reason=end_reason or LiveCall.salvage(snapshot.meta).end_reason or "ended",
                now=now or datetime.now(UTC),
                hooks=hooks,
                max_attempts=max_attempts,
                source=source,
            )
            done = True
        finally:
            if not done:
                try:
                    await live.reopen(key)
                except Exception:  # the sweeper finalizes a call left closing once it is idle
                    log.warning("finalize_reopen_failed", extra={"call": key})
        await live.delete_call(key)
        if detail is not None:  # issue 10: call.ended on the live stream, after the commit
            await live_events.call_ended(
                live,
                org_id=snapshot.meta["org_id"],
                call_id=key,
                status=detail.status,
                end_reason=detail.end_reason,
            )
        return detail
    finally:
        try:
            await live.release_lock(lock, token)
        except Exception:  # the lock expires by itself; never mask the real outcome
            log.warning("finalize_lock_release_failed", extra={"call": key})


async def _persist(
    session_factory: async_sessionmaker[AsyncSession],
    live: LiveStore,
    snapshot: LiveSnapshot,
    *,
    status: str,
    end_reason: str,
    now: datetime,
    hooks: Sequence[EndHook],
    max_attempts: int | None,
    source: str,
) -> CallDetail | None:
    """One attempt; returns the stored call, or raises with the live state untouched."""
    key = snapshot.call_id
    started = time.perf_counter()
    try:
        rows = build_rows(snapshot, status=status, end_reason=end_reason, now=now)
        owner: uuid.UUID = rows.call["organization_id"]
        async with session_factory() as session, session.begin():
            mode, region = await org_privacy(session, owner)
            apply_to_finalized(rows, mode, region=region)  # issue 11: redact / no_transcripts
            inserted = await CallRepository(session, owner).insert_finalized(rows)
            if inserted:
                ended = EndedCall(
                    call_id=rows.call["id"],
                    org_id=owner,
                    status=rows.call["status"],
                    end_reason=rows.call["end_reason"],
                    ended_at=rows.call["ended_at"],
                    source=source,
                    rows=rows,
                )
                for hook in hooks:
                    await hook(session, ended)
    except Exception as exc:
        if is_database_outage(exc):
            log.warning("finalize_deferred", extra={"call": key, "error_type": type(exc).__name__})
            metrics.finalize_deferred()
            raise errors.PersistenceUnavailable() from exc
        attempts = await live.record_finalize_failure(key)
        error_type = type(exc).__name__
        log.error("finalize_failed", extra={"call": key, "error_type": error_type, "attempts": attempts})
        metrics.finalize_failed()
        if max_attempts is not None and attempts >= max_attempts:
            return await _dead_letter(
                session_factory,
                snapshot,
                attempts=attempts,
                error_type=error_type,
                end_reason=end_reason,
                now=now,
            )
        raise errors.FinalizeFailed(attempts=attempts) from exc
    log.info(
        "call_finalized",
        extra={
            "call": key,
            "status": rows.call["status"],
            "turns": len(rows.transcripts),
            "inserted": inserted,
            "source": source,
            "persist_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
    elapsed = time.perf_counter() - started
    metrics.call_finalized(
        rows.call["channel"], rows.call["status"], owner, seconds=elapsed, inserted=inserted
    )
    if not inserted:
        return await _stored(session_factory, owner, rows.call["id"])
    return _detail_from_rows(snapshot, rows)


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
            # The stored (cleaned) values, not the raw live ones.
            "caller_name": call["caller_name"],
            "escalation_reason": call["escalation_reason"],
            "metadata": call["metadata_"],
            "transcript": [
                Turn(seq=t["seq"], speaker=t["speaker"], text=t["text"], at=t["at"]) for t in rows.transcripts
            ],
            "events": [
                CallEvent(seq=e["seq"], type=e["type"], at=e["at"], data=e["data"]) for e in rows.events
            ],
        }
    )
