"""The daily retention job: each org's transcripts and events, and its intakes, older than its retention
are deleted in small batches; the calls rows stay, marked `transcript_purged_at` / `intake_purged_at`.

Each batch is its own short transaction over indexed columns: pick up to `batch_size` transcript rows'
worth of calls (ix_calls_org_started_unpurged), delete their transcript and event rows by primary-key
prefix, and mark the calls last, so the row locks on `calls` are held only from that UPDATE to the
commit (bench_retention measures it). Live calls are not in `calls` yet, so nothing live is touched.
One `privacy_audit` row per org per run says what went and how many rows. Safe to run on several
workers at once: a run skips an org audited within half an interval, and a second deleter finds nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.orgs.config import PrivacyConfig
from app.privacy.repository import PrivacyRepository
from app.privacy.retention_webhooks import run_webhook_retention
from app.settings import RetentionSettings
from database.base import utcnow
from database.models import CallEvent, CallIntake, CallTranscript, Organization, PrivacyAudit

if TYPE_CHECKING:
    from app.state import AppState

log = logging.getLogger("callintake.retention")

ACTOR = "retention_job"
# Calls looked at per batch; the transcript-row budget (batch_size) usually cuts it shorter.
_CALLS_PER_BATCH = 2000


@dataclass(slots=True)
class Batch:
    rows: int
    seconds: float
    lock_seconds: float  # from the UPDATE of `calls` to the end of the commit


@dataclass(slots=True)
class OrgRun:
    org_id: uuid.UUID
    deleted: dict[str, int] = field(
        default_factory=lambda: {
            "call_transcripts": 0,
            "call_events": 0,
            "call_intakes": 0,
            "calls_marked": 0,
        }
    )
    batches: list[Batch] = field(default_factory=list)


def _cut(calls: list[tuple[uuid.UUID, int]], budget: int) -> list[uuid.UUID]:
    """The first calls whose transcripts fit in `budget` rows (always at least one)."""
    taken: list[uuid.UUID] = []
    rows = 0
    for call_id, turns in calls:
        if taken and rows + turns > budget:
            break
        taken.append(call_id)
        rows += turns
    return taken


async def _transcript_batch(
    session_factory: async_sessionmaker[AsyncSession],
    run: OrgRun,
    cutoff: datetime,
    now: datetime,
    budget: int,
) -> bool:
    started = time.perf_counter()
    async with session_factory() as session, session.begin():
        repo = PrivacyRepository(session, run.org_id)
        call_ids = _cut(await repo.unpurged_calls_before(cutoff, limit=min(_CALLS_PER_BATCH, budget)), budget)
        if not call_ids:
            return False
        counts = await repo.delete_content(call_ids, (CallTranscript, CallEvent))
        locked = time.perf_counter()
        marked = await repo.mark_calls(call_ids, transcript_purged_at=now)
    done = time.perf_counter()
    run.deleted["call_transcripts"] += counts["call_transcripts"]
    run.deleted["call_events"] += counts["call_events"]
    run.deleted["calls_marked"] += marked
    run.batches.append(Batch(counts["call_transcripts"], done - started, done - locked))
    return True


async def _intake_batch(
    session_factory: async_sessionmaker[AsyncSession],
    run: OrgRun,
    cutoff: datetime,
    now: datetime,
    budget: int,
) -> bool:
    started = time.perf_counter()
    async with session_factory() as session, session.begin():
        repo = PrivacyRepository(session, run.org_id)
        call_ids = await repo.intake_calls_before(cutoff, limit=budget)
        if not call_ids:
            return False
        counts = await repo.delete_content(call_ids, (CallIntake,))
        locked = time.perf_counter()
        await repo.mark_calls(call_ids, intake_purged_at=now)
    done = time.perf_counter()
    run.deleted["call_intakes"] += counts["call_intakes"]
    run.batches.append(Batch(counts["call_intakes"], done - started, done - locked))
    return True


async def purge_org(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    org_id: uuid.UUID,
    privacy: PrivacyConfig,
    settings: RetentionSettings,
    now: datetime | None = None,
    on_batch: Callable[[Batch], None] | None = None,
) -> OrgRun:
    """Delete one org's content past its retention, batch by batch, and audit the run."""
    now = now or utcnow()
    run = OrgRun(org_id)
    budget = settings.batch_size
    steps: list[tuple[Any, datetime]] = []
    if privacy.transcript_retention_days is not None:
        steps.append((_transcript_batch, now - timedelta(days=privacy.transcript_retention_days)))
    if privacy.intake_retention_days is not None:
        steps.append((_intake_batch, now - timedelta(days=privacy.intake_retention_days)))
    for step, cutoff in steps:
        while await step(session_factory, run, cutoff, now, budget):
            if on_batch is not None:
                on_batch(run.batches[-1])
            if settings.batch_pause_seconds:
                await asyncio.sleep(settings.batch_pause_seconds)  # let other writers in between batches
    details = {
        "transcript_retention_days": privacy.transcript_retention_days,
        "intake_retention_days": privacy.intake_retention_days,
        "batches": len(run.batches),
    }
    async with session_factory() as session, session.begin():
        PrivacyRepository(session, org_id).audit(
            at=now, action="retention", actor=ACTOR, call_id=None, deleted=dict(run.deleted), details=details
        )
    log.info("retention_org_done", extra={"org": str(org_id), **run.deleted, "batches": len(run.batches)})
    return run


async def _orgs_with_retention(
    session_factory: async_sessionmaker[AsyncSession], *, skip_since: datetime
) -> list[tuple[uuid.UUID, PrivacyConfig]]:
    async with session_factory() as session:
        orgs = (await session.execute(select(Organization.id, Organization.config))).all()
        recent = set(
            (
                await session.scalars(
                    select(PrivacyAudit.organization_id)
                    .where(PrivacyAudit.action == "retention", PrivacyAudit.at >= skip_since)
                    .group_by(PrivacyAudit.organization_id)
                    .having(func.count() > 0)
                )
            ).all()
        )
    due = []
    for org_id, config in orgs:
        privacy = PrivacyConfig.model_validate((config or {}).get("privacy") or {})
        if org_id in recent:
            continue
        if privacy.transcript_retention_days is not None or privacy.intake_retention_days is not None:
            due.append((org_id, privacy))
    return due


async def run_retention(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    settings: RetentionSettings,
    now: datetime | None = None,
) -> list[OrgRun]:
    """One run over every org with a retention policy not already run within half an interval."""
    now = now or utcnow()
    skip_since = now - timedelta(seconds=settings.interval_seconds / 2)
    runs = []
    for org_id, privacy in await _orgs_with_retention(session_factory, skip_since=skip_since):
        runs.append(
            await purge_org(session_factory, org_id=org_id, privacy=privacy, settings=settings, now=now)
        )
    return runs


async def run_retention_loop(state: AppState, stop: asyncio.Event) -> None:
    """The daily job in the app process: first run a few minutes after start-up, then every interval."""
    settings = state.settings.retention
    delay = min(settings.interval_seconds, 300.0)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return
        except TimeoutError:
            pass
        try:
            await run_retention(state.session_factory, settings=settings)
        except Exception as exc:  # an outage or a bug: logged, and the next run tries again
            log.error("retention_run_failed", extra={"error_type": type(exc).__name__})
        try:
            await run_webhook_retention(state.session_factory, settings=settings)
        except Exception as exc:
            log.error("webhook_retention_run_failed", extra={"error_type": type(exc).__name__})
        delay = settings.interval_seconds
