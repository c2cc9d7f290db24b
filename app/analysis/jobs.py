"""The analysis job: queued in the finalize transaction (an end hook), run by a SKIP LOCKED loop.

The job row is the `call_analyses` row itself, keyed by (call_id, analysis_version), so a repeated
end or a second worker never runs it twice; a worker that dies mid-call leaves a lease that runs
out. `call.analyzed` is written to the outbox in the transaction that stores the result, so it
always follows `call.ended` and never holds it up.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from app import metrics, tracing
from app.analysis import prompt
from app.analysis.client import AnalysisError, analyze
from app.errors import is_database_outage
from app.events import outbox
from app.settings import Settings
from database.base import utcnow
from database.models import CallAnalysis, CallIntake, CallTranscript, Organization

log = logging.getLogger("callintake.analysis")

MAX_ATTEMPTS = 3
RETRY_DELAYS = (5.0, 30.0)
LEASE_SECONDS = 300.0

# Analyzers are woken by the commits that queued a job, not by every outbox commit: a call start, an
# escalation or an intake writes outbox rows too, and a claim per such commit cost each one a transaction.
_wakers: set[asyncio.Event] = set()
_WAKE_FLAG = "callintake_analysis_wake"


def add_waker(wake: asyncio.Event) -> None:
    _wakers.add(wake)


def remove_waker(wake: asyncio.Event) -> None:
    _wakers.discard(wake)


def _on_commit(session: Session) -> None:
    if session.info.pop(_WAKE_FLAG, None):
        for wake in list(_wakers):
            wake.set()


def _on_rollback(session: Session) -> None:
    session.info.pop(_WAKE_FLAG, None)


def wake_after_commit(session: AsyncSession) -> None:
    """Wake this process's analyzers once the session commits (never on a rollback)."""
    sync = session.sync_session
    sync.info[_WAKE_FLAG] = True
    if not event.contains(sync, "after_commit", _on_commit):
        event.listen(sync, "after_commit", _on_commit)
        event.listen(sync, "after_rollback", _on_rollback)


def org_analysis(settings: Settings, config: dict[str, Any]) -> tuple[bool, str]:
    """(on, model): on by default when OPENAI_API_KEY is set; `analysis` in the org config overrides."""
    raw = config.get("analysis")
    options: dict[str, Any] = raw if isinstance(raw, dict) else {}
    enabled = settings.openai.api_key is not None and bool(options.get("enabled", True))
    model = options.get("model") if isinstance(options.get("model"), str) else None
    return enabled, model or settings.openai.analysis_model


def end_hook(settings: Settings) -> Callable[[AsyncSession, Any], Awaitable[None]]:
    """For `register_end_hook`: one `call_analyses` row per stored call, pending or disabled."""

    async def queue_analysis(session: AsyncSession, ended: Any) -> None:
        # Idempotent: two apps in one process (tests, a second runtime) each register this hook.
        if await session.get(CallAnalysis, (ended.call_id, prompt.ANALYSIS_VERSION)) is not None:
            return
        config = await session.scalar(select(Organization.config).where(Organization.id == ended.org_id))
        enabled, model = org_analysis(settings, config or {})
        now = utcnow()
        session.add(
            CallAnalysis(
                call_id=ended.call_id,
                analysis_version=prompt.ANALYSIS_VERSION,
                organization_id=ended.org_id,
                status="pending" if enabled else "disabled",
                model=model if enabled else None,
                schema_version=prompt.SCHEMA_VERSION,
                attempts=0,
                next_attempt_at=now if enabled else None,
                created_at=now,
            )
        )
        await session.flush()
        if enabled:
            wake_after_commit(session)

    return queue_analysis


class Analyzer:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        poll_seconds: float = 1.0,
        concurrency: int = 4,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self._retry_delays = retry_delays
        self._sessions = session_factory
        self._settings = settings
        self._poll = poll_seconds
        self._concurrency = concurrency
        self._client: httpx.AsyncClient | None = None

    async def claim(self, limit: int) -> list[tuple[uuid.UUID, int, str]]:
        now = utcnow()
        token = secrets.token_hex(8)
        async with self._sessions() as session, session.begin():
            rows = list(
                await session.execute(
                    select(CallAnalysis.call_id, CallAnalysis.analysis_version)
                    .where(
                        CallAnalysis.status == "pending",
                        CallAnalysis.next_attempt_at <= now,
                        or_(CallAnalysis.locked_until.is_(None), CallAnalysis.locked_until <= now),
                    )
                    .order_by(CallAnalysis.next_attempt_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            for call_id, version in rows:
                await session.execute(
                    update(CallAnalysis)
                    .where(CallAnalysis.call_id == call_id, CallAnalysis.analysis_version == version)
                    .values(locked_until=now + timedelta(seconds=LEASE_SECONDS), lease_token=token)
                )
        return [(call_id, version, token) for call_id, version in rows]

    @tracing.traced("analysis.run")
    async def process(self, call_id: uuid.UUID, version: int, token: str) -> str:
        """Run one claimed analysis; returns its new status."""
        async with self._sessions() as session:
            job = await session.get(CallAnalysis, (call_id, version))
            if job is None or job.lease_token != token:
                return "lost"
            org_id = job.organization_id
            config = await session.scalar(select(Organization.config).where(Organization.id == org_id)) or {}
            turns = [
                {"seq": seq, "speaker": speaker, "text": text}
                for seq, speaker, text in await session.execute(
                    select(CallTranscript.seq, CallTranscript.speaker, CallTranscript.text)
                    .where(CallTranscript.organization_id == org_id, CallTranscript.call_id == call_id)
                    .order_by(CallTranscript.seq)
                )
            ]
            intake = await session.scalar(
                select(CallIntake.data).where(
                    CallIntake.organization_id == org_id, CallIntake.call_id == call_id
                )
            )
        enabled, model = org_analysis(self._settings, config)
        fields = [f for f in config.get("intake_fields") or [] if isinstance(f, dict) and f.get("name")]
        schema = prompt.output_schema(fields)
        values: dict[str, Any] = {"attempts": job.attempts + 1, "locked_until": None, "lease_token": None}
        result: dict[str, Any] | None = None
        if not enabled or self._settings.openai.api_key is None:
            values.update(status="disabled", next_attempt_at=None)
        else:
            try:
                output = await analyze(
                    self._http(),
                    base_url=self._settings.openai.base_url,
                    api_key=self._settings.openai.api_key.get_secret_value(),
                    model=model,
                    instructions=prompt.INSTRUCTIONS,
                    text=prompt.transcript_text(turns, {"data": intake} if intake else None),
                    schema=schema,
                    timeout_seconds=self._settings.openai.analysis_timeout_seconds,
                )
                found = output.get("fields")
                extracted: dict[str, Any] = found if isinstance(found, dict) else {}
                result = {**output, "reconciliation": prompt.reconcile(extracted, intake)}
                values.update(status="completed", result=result, error_kind=None, completed_at=utcnow())
            except AnalysisError as exc:
                log.warning("analysis_failed", extra={"call": str(call_id), "error_kind": exc.kind})
                metrics.upstream_error("openai", metrics.error_kind(exc.kind))  # issue 12
                retry = exc.retryable and job.attempts + 1 < MAX_ATTEMPTS
                delay = self._retry_delays[min(job.attempts, len(self._retry_delays) - 1)]
                values.update(
                    status="pending" if retry else "failed",
                    error_kind=exc.kind,
                    next_attempt_at=utcnow() + timedelta(seconds=delay) if retry else None,
                )
        values.update(model=model, prompt_hash=prompt.prompt_hash(model, schema))
        async with self._sessions() as session, session.begin():
            stored = await session.execute(
                update(CallAnalysis)
                .where(
                    CallAnalysis.call_id == call_id,
                    CallAnalysis.analysis_version == version,
                    CallAnalysis.lease_token == token,
                )
                .values(**values)
            )
            if not getattr(stored, "rowcount", 0):
                return "lost"
            if result is not None:
                await outbox.enqueue(
                    session,
                    org_id=org_id,
                    type_="call.analyzed",
                    call_id=call_id,
                    data={
                        "call_id": str(call_id),
                        "analysis_version": version,
                        "status": "completed",
                        "summary": result.get("summary"),
                        "disposition": result.get("disposition"),
                        "follow_up_needed": result.get("follow_up_needed"),
                        "urgency": result.get("urgency"),
                        "model": model,
                    },
                )
        return str(values["status"])

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run_once(self) -> list[str]:
        claimed = await self.claim(self._concurrency)
        return list(await asyncio.gather(*(self.process(*job) for job in claimed)))

    async def run(self, stop: asyncio.Event) -> None:
        wake = asyncio.Event()
        add_waker(wake)
        try:
            while not stop.is_set():
                try:
                    done = await self.run_once()
                except Exception as exc:
                    done = []
                    kind = "db_unavailable" if is_database_outage(exc) else "error"
                    log.warning(
                        "analysis_loop_failed", extra={"error_type": type(exc).__name__, "kind": kind}
                    )
                if done:
                    continue
                waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
                await asyncio.wait(waits, timeout=self._poll, return_when=asyncio.FIRST_COMPLETED)
                for task in waits:
                    task.cancel()
                wake.clear()
        finally:
            remove_waker(wake)
            await self.aclose()


async def analysis_view(session: AsyncSession, *, org_id: uuid.UUID, call_id: uuid.UUID) -> dict[str, Any]:
    """`analysis` of GET /api/calls/{id}: {status: pending | completed | failed | disabled, ...}."""
    job = await session.scalar(
        select(CallAnalysis)
        .where(CallAnalysis.organization_id == org_id, CallAnalysis.call_id == call_id)
        .order_by(CallAnalysis.analysis_version.desc())
        .limit(1)
    )
    if job is None:
        return {"status": "disabled"}
    view: dict[str, Any] = {
        "status": job.status,
        "analysis_version": job.analysis_version,
        "model": job.model,
        "prompt_hash": job.prompt_hash,
        "schema_version": job.schema_version,
        "completed_at": job.completed_at.isoformat() if job.completed_at else None,
    }
    if job.status == "completed" and job.result:
        view.update(job.result)
    if job.status == "failed":
        view["error_kind"] = job.error_kind
    return view
