"""Finalize calls left behind: idle past the timeout (abandoned) or past the maximum duration.

Safe with several app processes: each call is finalized under its live-store lock, and the insert
is idempotent, so two sweepers racing for one call write it once. Each call is ended on its own: a
call that fails is retried with exponential backoff (and dead-lettered by `end_call` after
CALL_FINALIZE_MAX_ATTEMPTS), and never stops the pass for the calls behind it. Only an outage, which
every call would hit alike, ends the pass early.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from app import metrics
from app.calls import errors
from app.calls.end import end_call
from app.calls.live_call import LiveCall
from app.calls.owner import call_owners
from app.errors import is_database_outage, is_live_store_outage
from app.state import AppState

log = logging.getLogger("callintake.sweeper")

# A stale call deferred by backoff still shows up in the stale index; read past those.
_STALE_PAGE = 1000
# Consecutive outages before the pass gives up (PostgreSQL or Redis is down for every call alike).
_OUTAGES_BEFORE_STOP = 2


# What the verdict reads of a stale call (one HMGET, not the whole meta).
_VERDICT_FIELDS = ("status", "end_status", "end_reason", "started_at", "finalize_retry_at")


def _verdict(call: LiveCall | None, *, now: float, max_duration: float) -> tuple[str, str]:
    """`call` None: its meta is unreadable, and finalize decides what it can store of it."""
    if call is None:
        return "abandoned", "idle_timeout"
    if call.status == "ending":
        # An end was asked for (the agent, or an end path that found PostgreSQL down): keep its words.
        return call.end_status or "completed", call.end_reason or "agent_end_call"
    if call.started_at.timestamp() <= now - max_duration:
        return "completed", "max_duration"
    return "abandoned", "idle_timeout"


def _deferred(call: LiveCall | None, now: float) -> bool:
    return call is not None and (call.finalize_retry_at or 0) > now


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    return float(min(cap, base * 2 ** max(attempts - 1, 0)))


async def sweep_once(state: AppState, *, now: float | None = None) -> int:
    """One pass; returns how many calls it finalized."""
    metrics.sweeper_pass()
    settings = state.settings.calls
    live = state.live_store
    now = now if now is not None else time.time()
    owners = call_owners(state)
    orphaned = set(await owners.orphans())  # their owner died: finalized now, not after the idle timeout
    stale = await live.list_stale(
        idle_before=now - settings.idle_timeout_seconds,
        started_before=now - settings.max_duration_seconds,
        limit=_STALE_PAGE,
    )
    stale = list(dict.fromkeys([*orphaned, *stale]))
    finalized = outages = 0
    for call_id in stale:
        if outages >= _OUTAGES_BEFORE_STOP:
            log.warning("sweep_stopped_by_outage", extra={"pending": len(stale) - finalized})
            break
        try:
            if await owners.owner_alive(call_id):
                continue  # a running call: its owner ends it (at the maximum duration too)
            try:
                call = await live.get_call(call_id, _VERDICT_FIELDS)
                readable = True
            except ValueError:
                call, readable = None, False
            if call is None and readable:
                await live.delete_call(call_id)  # an index entry whose call expired or was finalized
                await owners.forget(call_id)
                continue
            if _deferred(call, now):
                continue
            status, reason = _verdict(call, now=now, max_duration=settings.max_duration_seconds)
            if call_id in orphaned and reason == "idle_timeout":
                status, reason = "failed", "owner_lost"
            result = await end_call(
                state, call_id=call_id, org_id=None, source="sweeper", reason=reason, status=status
            )
            await owners.forget(call_id)
        except errors.PersistenceUnavailable:
            outages += 1
            continue
        except errors.FinalizeInProgress:
            continue
        except errors.FinalizeFailed as failed:
            delay = backoff_seconds(
                failed.attempts,
                base=settings.finalize_retry_base_seconds,
                cap=settings.finalize_retry_max_seconds,
            )
            with contextlib.suppress(Exception):
                await live.defer_finalize(call_id, now + delay)
            log.warning("sweep_retry_later", extra={"call": call_id, "attempts": failed.attempts})
            continue
        except Exception as exc:  # one call's bug must not stop the others
            if is_live_store_outage(exc) or is_database_outage(exc):
                outages += 1
            else:
                log.error("sweep_call_failed", extra={"call": call_id, "error_type": type(exc).__name__})
            continue
        outages = 0
        if result is not None:
            finalized += 1
            log.info("call_swept", extra={"call": call_id, "status": result.status, "reason": reason})
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
