"""The dispatcher: fan outbox events out to endpoints, claim due deliveries, POST them, record attempts.

Claims are `FOR UPDATE SKIP LOCKED` plus a lease (`locked_until`, `lease_token`) committed before
the send, so several dispatchers never take the same attempt, and a dispatcher killed mid-send
loses nothing: its lease runs out and another sends the same message (same `webhook-id`) again.
An attempt is recorded only by the holder of the lease. On SQLite (the embedded default, one
process) the FOR UPDATE clause is left out by SQLAlchemy and the single dispatcher needs none.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import metrics, tracing
from app.errors import is_database_outage
from app.events import outbox
from app.settings import WebhookSettings
from app.webhooks import signing
from app.webhooks.payloads import build_payload, transcript, wants_transcript
from app.webhooks.ssrf import GuardedTransport, TargetForbidden
from database.base import utcnow
from database.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("callintake.webhooks.dispatcher")

MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
# Retryable although 4xx: the receiver asks us to come back later.
_RETRYABLE_4XX = frozenset({408, 425, 429})
# Finished attempts wait at most this long (or for this many more) before one recording transaction.
_FLUSH_SECONDS = 0.02
_FLUSH_BATCH = 50


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: uuid.UUID
    org_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secrets: tuple[str, ...]
    message_id: str
    payload: dict[str, Any]
    number: int
    schedule_step: int
    client_errors: int
    lease_token: str


@dataclass(frozen=True, slots=True)
class Outcome:
    claimed: Claimed
    at: datetime
    status_code: int | None
    latency_ms: float
    error_kind: str | None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.error_kind is None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return min(max((moment - now).total_seconds(), 0.0), MAX_RETRY_AFTER_SECONDS)


def error_kind_for(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    if status < 400:
        return "redirect"
    if status == 410:
        return "gone"
    if status < 500:
        return "http_4xx"
    return "http_5xx"


def retry_delay(settings: WebhookSettings, step: int) -> float | None:
    """Seconds until attempt `step` (0-based) of the schedule with jitter; None when it is exhausted."""
    schedule = settings.retry_schedule_seconds
    if step >= len(schedule):
        return None
    base = schedule[step]
    return base * random.uniform(1 - settings.jitter, 1 + settings.jitter)


class Dispatcher:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: WebhookSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._sessions = session_factory
        self._settings = settings
        self._clock = clock
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.sent = 0

    # -- one step each ------------------------------------------------------------------------

    async def fan_out_once(self) -> int:
        """Turn up to one batch of new outbox events into deliveries; returns how many events."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            events = list(
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.fanned_out_at.is_(None))
                    .order_by(OutboxEvent.created_at)
                    .limit(self._settings.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            if not events:
                return 0
            org_ids = {event.organization_id for event in events}
            endpoints: dict[uuid.UUID, list[WebhookEndpoint]] = defaultdict(list)
            for endpoint in await session.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.organization_id.in_(org_ids), WebhookEndpoint.enabled.is_(True)
                )
            ):
                endpoints[endpoint.organization_id].append(endpoint)
            rows: list[dict[str, Any]] = []
            for event in events:
                targets = [ep for ep in endpoints.get(event.organization_id, []) if event.type in ep.events]
                turns = None
                if event.call_id is not None and wants_transcript(event, targets):
                    turns = await transcript(session, event.organization_id, event.call_id)
                rows += [
                    {
                        "id": uuid.uuid4(),
                        "organization_id": event.organization_id,
                        "endpoint_id": endpoint.id,
                        "event_id": event.id,
                        "message_id": outbox.message_id(event.id),
                        "event_type": event.type,
                        "call_id": event.call_id,
                        "payload": build_payload(event, endpoint, turns=turns),
                        "state": "pending",
                        "attempt_count": 0,
                        "schedule_step": 0,
                        "client_errors": 0,
                        "next_attempt_at": now,
                        # The event's time: claims and listings then follow the order events happened.
                        "created_at": event.created_at,
                        "updated_at": now,
                    }
                    for endpoint in targets
                ]
            if rows:
                await session.execute(insert(WebhookDelivery), rows)
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_([event.id for event in events]))
                .values(fanned_out_at=now)
            )
        return len(events)

    async def claim(self, limit: int) -> list[Claimed]:
        """Lease up to `limit` due deliveries of enabled endpoints (committed before any send)."""
        now = self._clock()
        token = secrets.token_hex(8)
        async with self._sessions() as session, session.begin():
            ids = list(
                await session.scalars(
                    select(WebhookDelivery.id)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .where(
                        WebhookDelivery.state == "pending",
                        WebhookDelivery.next_attempt_at <= now,
                        or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
                        WebhookEndpoint.enabled.is_(True),
                    )
                    .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at)
                    .limit(limit)
                    .with_for_update(of=WebhookDelivery, skip_locked=True)
                )
            )
            if not ids:
                return []
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(locked_until=now + timedelta(seconds=self._settings.lease_seconds), lease_token=token)
            )
            rows = await session.execute(
                select(WebhookDelivery, WebhookEndpoint)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.id.in_(ids))
                .order_by(WebhookDelivery.next_attempt_at)
            )
            claimed = []
            for delivery, endpoint in rows:
                keys = [endpoint.secret]
                expires = endpoint.previous_secret_expires_at
                if endpoint.previous_secret and expires is not None and expires > now:
                    keys.append(endpoint.previous_secret)
                claimed.append(
                    Claimed(
                        delivery_id=delivery.id,
                        org_id=delivery.organization_id,
                        endpoint_id=endpoint.id,
                        url=endpoint.url,
                        secrets=tuple(keys),
                        message_id=delivery.message_id,
                        payload=delivery.payload,
                        number=delivery.attempt_count + 1,
                        schedule_step=delivery.schedule_step,
                        client_errors=delivery.client_errors,
                        lease_token=token,
                    )
                )
        return claimed

    @tracing.traced("webhook.deliver")
    async def send(self, claimed: Claimed) -> Outcome:
        """One POST; never raises for anything the receiver or the network does."""
        client = self._http()
        at = self._clock()
        body = orjson.dumps(claimed.payload).decode()
        headers = signing.headers(claimed.secrets, claimed.message_id, at, body)
        started = time.perf_counter()
        status: int | None = None
        retry_after: float | None = None
        try:
            response = await client.post(claimed.url, content=body, headers=headers)
            status = response.status_code
            kind = error_kind_for(status)
            if kind is not None:
                retry_after = parse_retry_after(response.headers.get("retry-after"), at)
        except TargetForbidden:
            kind = "target_forbidden"
        except httpx.TimeoutException:
            kind = "timeout"
        except httpx.TransportError:
            kind = "connect"
        latency = round((time.perf_counter() - started) * 1000, 2)
        if kind is not None:
            log.info(
                "webhook_attempt_failed",
                extra={"delivery": str(claimed.delivery_id), "status": status, "error_kind": kind},
            )
        return Outcome(claimed, at, status, latency, kind, retry_after)

    async def record(self, outcomes: list[Outcome]) -> None:
        """Each attempt and the delivery's next state, in one transaction, by the lease holder only."""
        if not outcomes:
            return
        now = self._clock()
        failing: set[uuid.UUID] = set()
        healthy: set[uuid.UUID] = set()
        gone: set[uuid.UUID] = set()
        async with self._sessions() as session, session.begin():
            # Lock the rows whose lease is still ours (sorted: one lock order for every dispatcher).
            by_id = {o.claimed.delivery_id: o for o in outcomes}
            held = await session.execute(
                select(WebhookDelivery.id, WebhookDelivery.lease_token)
                .where(WebhookDelivery.id.in_(sorted(by_id, key=str)))
                .order_by(WebhookDelivery.id)
                .with_for_update()
            )
            mine = [by_id[row_id] for row_id, token in held if token == by_id[row_id].claimed.lease_token]
            if len(mine) < len(by_id):
                # The lease ran out and another dispatcher took the delivery; its attempt counts.
                log.warning("webhook_lease_lost", extra={"count": len(by_id) - len(mine)})
            if not mine:
                return
            updates = []
            for outcome in mine:
                updates.append(self._next_state(outcome, now))
                endpoint_id = outcome.claimed.endpoint_id
                if outcome.ok:
                    healthy.add(endpoint_id)
                elif outcome.error_kind == "gone":
                    gone.add(endpoint_id)
                else:
                    failing.add(endpoint_id)
            await session.execute(update(WebhookDelivery), updates)
            await session.execute(
                insert(WebhookAttempt),
                [
                    {
                        "delivery_id": o.claimed.delivery_id,
                        "organization_id": o.claimed.org_id,
                        "number": o.claimed.number,
                        "at": o.at,
                        "status_code": o.status_code,
                        "latency_ms": o.latency_ms,
                        "error_kind": o.error_kind,
                    }
                    for o in mine
                ],
            )
            self.sent += sum(1 for o in mine if o.ok)
            metrics.webhook_deliveries(values["state"] for values in updates)  # issue 12
            await self._update_endpoints(session, now, healthy=healthy, failing=failing - healthy, gone=gone)

    def _next_state(self, outcome: Outcome, now: datetime) -> dict[str, Any]:
        """The delivery's columns after this attempt (one key set for every row: one bulk UPDATE)."""
        c = outcome.claimed
        values: dict[str, Any] = {
            "id": c.delivery_id,
            "attempt_count": c.number,
            "last_status_code": outcome.status_code,
            "locked_until": None,
            "lease_token": None,
            "updated_at": now,
            "state": "pending",
            "delivered_at": None,
            "next_attempt_at": None,
            "schedule_step": c.schedule_step,
            "client_errors": c.client_errors,
        }
        if outcome.ok:
            values.update(state="delivered", delivered_at=now)
            return values
        if outcome.error_kind == "gone":
            values.update(state="failed")
            return values
        client_error = outcome.error_kind in ("http_4xx", "target_forbidden") and (
            outcome.status_code not in _RETRYABLE_4XX
        )
        errors_ = c.client_errors + (1 if client_error else 0)
        step = c.schedule_step + 1
        delay = retry_delay(self._settings, step)
        values["client_errors"] = errors_
        if client_error and errors_ >= self._settings.max_client_error_attempts:
            values.update(state="failed")
        elif delay is None:
            values.update(state="dead")
        else:
            if outcome.retry_after is not None:
                delay = max(delay, outcome.retry_after)
            values.update(next_attempt_at=now + timedelta(seconds=delay), schedule_step=step)
        return values

    async def _update_endpoints(
        self,
        session: AsyncSession,
        now: datetime,
        *,
        healthy: set[uuid.UUID],
        failing: set[uuid.UUID],
        gone: set[uuid.UUID],
    ) -> None:
        # Sorted, so concurrent dispatchers lock endpoint rows in one order (no deadlock).
        for endpoint_id in sorted(healthy - gone, key=str):
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_not(None))
                .values(failing_since=None)
            )
        cutoff = now - timedelta(seconds=self._settings.disable_after_failing_seconds)
        for endpoint_id in sorted(failing | gone, key=str):
            if endpoint_id not in gone:
                await session.execute(
                    update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None))
                    .values(failing_since=now)
                )
            condition = (
                WebhookEndpoint.enabled.is_(True)
                if endpoint_id in gone
                else (WebhookEndpoint.enabled.is_(True) & (WebhookEndpoint.failing_since <= cutoff))
            )
            reason = "gone" if endpoint_id in gone else "failing"
            disabled = await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, condition)
                .values(enabled=False, disabled_reason=reason, disabled_at=now, updated_at=now)
                .returning(
                    WebhookEndpoint.organization_id, WebhookEndpoint.url, WebhookEndpoint.failing_since
                )
            )
            row = disabled.first()
            if row is None:
                continue
            org_id, url, since = row
            log.warning("webhook_endpoint_disabled", extra={"webhook": str(endpoint_id), "reason": reason})
            await outbox.enqueue(
                session,
                org_id=org_id,
                type_="webhook_endpoint.disabled",
                data={
                    "webhook_id": str(endpoint_id),
                    "url": url,
                    "reason": reason,
                    "failing_since": since.isoformat() if since else None,
                },
                at=now,
            )

    # -- loops ----------------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            transport = self._transport or GuardedTransport(
                allow_private=self._settings.allow_private_targets, max_connections=self._settings.concurrency
            )
            self._client = httpx.AsyncClient(
                transport=transport,
                timeout=httpx.Timeout(self._settings.timeout_seconds),
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client; a later send opens a new one."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run_once(self) -> int:
        """Fan out, then claim, send and record one batch; returns the number of attempts made."""
        while await self.fan_out_once() >= self._settings.batch_size:
            pass
        claimed = await self.claim(self._settings.batch_size)
        outcomes = list(await asyncio.gather(*(self.send(c) for c in claimed)))
        await self.record(outcomes)
        return len(outcomes)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: keep up to `concurrency` sends in flight; claim when there is room and work."""
        wake = asyncio.Event()
        outbox.add_waker(wake)
        inflight: set[asyncio.Task[Outcome]] = set()
        stop_task = asyncio.create_task(stop.wait())
        wake_task = asyncio.create_task(wake.wait())
        next_claim = 0.0
        buffer: list[Outcome] = []
        flush_at = 0.0
        threshold = max(1, min(self._settings.batch_size, self._settings.concurrency) // 4)
        next_fan_out = 0.0
        recorders: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                room = self._settings.concurrency - len(inflight)
                # Claim in chunks (a quarter of the window), not one row per finished send.
                if room >= (threshold if inflight else 1) and (
                    wake.is_set() or time.monotonic() >= next_claim
                ):
                    woken = wake.is_set()
                    wake.clear()
                    asked = min(room, self._settings.batch_size)
                    try:
                        if woken or time.monotonic() >= next_fan_out:
                            while await self.fan_out_once() >= self._settings.batch_size:
                                pass
                            next_fan_out = time.monotonic() + self._poll()
                        claimed = await self.claim(asked)
                    except Exception as exc:
                        self._log_failure(exc)
                        claimed = []
                    inflight |= {asyncio.create_task(self.send(c)) for c in claimed}
                    # A full batch means more may be due: claim again as soon as there is room.
                    next_claim = time.monotonic() + (0.0 if len(claimed) == asked else self._poll())
                room = self._settings.concurrency - len(inflight)
                can_claim = room >= (threshold if inflight else 1)
                waitables: set[asyncio.Task[Any]] = {*inflight, stop_task}
                if can_claim:
                    waitables.add(wake_task)
                deadlines = [next_claim] if can_claim else []
                if buffer:
                    deadlines.append(flush_at)
                timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
                done, _ = await asyncio.wait(waitables, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if wake_task in done:
                    wake_task = asyncio.create_task(wake.wait())
                finished = [task for task in done if task in inflight]
                inflight.difference_update(finished)
                if finished and not buffer:
                    flush_at = time.monotonic() + _FLUSH_SECONDS
                buffer += [task.result() for task in finished]
                # Attempts are recorded in batches (one transaction each), not one by one.
                if buffer and (len(buffer) >= _FLUSH_BATCH or not inflight or time.monotonic() >= flush_at):
                    # Recorded beside the next claims and sends, not in front of them.
                    recorder = asyncio.create_task(self._record_logged(buffer))
                    recorders.add(recorder)
                    recorder.add_done_callback(recorders.discard)
                    buffer = []
            if buffer:
                recorders.add(asyncio.create_task(self._record_logged(buffer)))
            await asyncio.gather(*recorders)
        finally:
            outbox.remove_waker(wake)
            for task in [*inflight, stop_task, wake_task]:
                task.cancel()
            await asyncio.gather(*inflight, stop_task, wake_task, return_exceptions=True)
            await self.aclose()

    async def _record_logged(self, outcomes: list[Outcome]) -> None:
        try:
            await self.record(outcomes)
        except Exception as exc:
            # Unrecorded attempts are sent again once their lease runs out.
            self._log_failure(exc)

    def _poll(self) -> float:
        return self._settings.poll_interval_seconds

    def _log_failure(self, exc: Exception) -> None:
        if is_database_outage(exc):
            log.warning("webhook_dispatch_db_unavailable", extra={"error_type": type(exc).__name__})
        else:
            log.error("webhook_dispatch_error", extra={"error_type": type(exc).__name__})


async def backlog(session: AsyncSession, *, now: datetime | None = None) -> dict[str, Any]:
    """For /readyz: deliveries waiting (and how late the oldest due one is), events not fanned out."""
    now = now or utcnow()
    pending, oldest = (
        await session.execute(
            select(func.count(), func.min(WebhookDelivery.next_attempt_at)).where(
                WebhookDelivery.state == "pending"
            )
        )
    ).one()
    events = await session.scalar(select(func.count()).where(OutboxEvent.fanned_out_at.is_(None)))
    due_lag = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return {"pending_deliveries": pending, "oldest_due_seconds": round(due_lag, 3), "unfanned_events": events}
