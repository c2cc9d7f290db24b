"""Finalize calls left behind: idle past the timeout (abandoned) or past the maximum duration.

Safe with several app processes: each call is finalized under its live-store lock, and the insert
is idempotent, so two sweepers racing for one call write it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import datetime

from app.calls import errors
from app.calls.finalize import finalize_call
from app.state import AppState

log = logging.getLogger("callintake.sweeper")


def _verdict(meta: dict[str, str], *, now: float, max_duration: float) -> tuple[str, str]:
    started = datetime.fromisoformat(meta["started_at"]).timestamp()
    if started <= now - max_duration:
        return "completed", "max_duration"
    if meta.get("status") == "ending":
        return "completed", meta.get("end_reason") or "agent_end_call"
    return "abandoned", "idle_timeout"


async def sweep_once(state: AppState, *, now: float | None = None) -> int:
    """One pass; returns how many calls it finalized."""
    settings = state.settings.calls
    live = state.live_store
    now = now if now is not None else time.time()
    stale = await live.list_stale(
        idle_before=now - settings.idle_timeout_seconds, started_before=now - settings.max_duration_seconds
    )
    finalized = 0
    for call_id in stale:
        meta = await live.get_meta(call_id)
        if meta is None:
            await live.delete_call(call_id)  # an index entry whose call expired or was finalized
            continue
        status, reason = _verdict(meta, now=now, max_duration=settings.max_duration_seconds)
        try:
            result = await finalize_call(
                state.session_factory,
                live,
                call_id=uuid.UUID(call_id),
                org_id=None,
                status=status,
                end_reason=reason,
                lock_seconds=settings.finalize_lock_seconds,
            )
        except errors.PersistenceUnavailable:
            log.warning("sweep_deferred", extra={"pending": len(stale) - finalized})
            break
        except errors.FinalizeInProgress:
            continue
        if result is not None:
            finalized += 1
            log.info("call_swept", extra={"call": call_id, "status": status, "reason": reason})
    return finalized


async def run_sweeper(state: AppState, stop: asyncio.Event) -> None:
    interval = state.settings.calls.sweep_interval_seconds
    while not stop.is_set():
        try:
            await sweep_once(state)
        except Exception as exc:  # a bad pass must not kill the loop; the next one retries
            log.error("sweep_failed", extra={"error_type": type(exc).__name__})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
