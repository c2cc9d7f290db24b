"""The dispatcher: fan outbox events out to endpoints, claim due deliveries, POST them, record attempts.

Claims are `FOR UPDATE SKIP LOCKED` plus a lease (`locked_until`, `lease_token`) committed before
the send, so several dispatchers never take the same attempt, and a dispatcher killed mid-send
loses nothing: its lease runs out and another sends the same message (same `webhook-id`) again.
An attempt is recorded only by the holder of the lease. On SQLite (the embedded default, one
process) the FOR UPDATE clause is left out by SQLAlchemy and the single dispatcher needs none.

Throughput: claims and attempt records are one transaction per batch, the next batch is claimed
while the current one is in flight, POSTs go through one pooled aiohttp session (keep-alive per
target, resolved answers cached after the SSRF filter), and a commit in any process wakes the loop
through PostgreSQL NOTIFY (in process: the outbox's waker); polling is only the fallback.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
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

import aiohttp
import orjson
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import metrics, tracing
from app.errors import is_database_outage
from app.events import outbox
from app.settings import WebhookSettings
from app.webhooks import signing
from app.webhooks.crypto import SecretUndecryptable, box_for
from app.webhooks.payloads import build_payload, transcript, wants_transcript
from app.webhooks.ssrf import TargetForbidden, guarded_session, literal_forbidden
from database.base import utcnow
from database.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("callintake.webhooks.dispatcher")

MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
# Retryable although 4xx: the receiver asks us to come back later.
_RETRYABLE_4XX = frozenset({408, 425, 429})
# Finished attempts wait at most this long (or for this many more) before one recording transaction.
_FLUSH_SECONDS = 0.02
_FLUSH_BATCH = 50
# A receiver's answer is read (so the connection is reused) up to this much, then the connection dropped.
_MAX_RESPONSE_BYTES = 64 * 1024
# A lost LISTEN connection is opened again after this long (polling covers the gap).
_RELISTEN_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: uuid.UUID
    org_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    # Empty when the stored secret does not decrypt (a key missing from the settings): not sent.
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
    ) -> None:
        self._sessions = session_factory
        self._settings = settings
        self._clock = clock
        self._box = box_for(settings)
        # (endpoint id, stored ciphertext) -> secret: one decryption per endpoint and key, not per send.
        self._plain: dict[tuple[uuid.UUID, str], str | None] = {}
        self._client: aiohttp.ClientSession | None = None
        self.sent = 0
        self._made = 0  # delivery rows fan-out has inserted, so a wake that made none can skip its claim

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
            self._made += len(rows)
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
            # Plain rows, not ORM objects: the claim is on every delivery's path.
            rows = await session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookDelivery.organization_id,
                    WebhookDelivery.message_id,
                    WebhookDelivery.payload,
                    WebhookDelivery.attempt_count,
                    WebhookDelivery.schedule_step,
                    WebhookDelivery.client_errors,
                    WebhookEndpoint.id,
                    WebhookEndpoint.url,
                    WebhookEndpoint.secret_encrypted,
                    WebhookEndpoint.previous_secret_encrypted,
                    WebhookEndpoint.previous_secret_expires_at,
                )
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.id.in_(ids))
                .order_by(WebhookDelivery.next_attempt_at)
            )
            claimed = []
            for (
                delivery_id,
                org_id,
                message_id,
                payload,
                attempts,
                step,
                client_errors,
                endpoint_id,
                url,
                current,
                previous,
                expires,
            ) in rows:
                keys = [self._secret(endpoint_id, current)]
                if previous and expires is not None and expires > now:
                    keys.append(self._secret(endpoint_id, previous))
                claimed.append(
                    Claimed(
                        delivery_id=delivery_id,
                        org_id=org_id,
                        endpoint_id=endpoint_id,
                        url=url,
                        secrets=tuple(k for k in keys if k is not None) if keys[0] is not None else (),
                        message_id=message_id,
                        payload=payload,
                        number=attempts + 1,
                        schedule_step=step,
                        client_errors=client_errors,
                        lease_token=token,
                    )
                )
        return claimed

    def _secret(self, endpoint_id: uuid.UUID, stored: str) -> str | None:
        cache_key = (endpoint_id, stored)
        if cache_key not in self._plain:
            if len(self._plain) > 10_000:
                self._plain.clear()
            try:
                self._plain[cache_key] = self._box.decrypt(stored, endpoint_id=endpoint_id)
            except SecretUndecryptable:
                log.error(
                    "webhook_secret_undecryptable",
                    extra={"webhook": str(endpoint_id), "key_id": self._box.key_id_of(stored)[:16]},
                )
                self._plain[cache_key] = None
        return self._plain[cache_key]

    @tracing.traced("webhook.deliver")
    async def send(self, claimed: Claimed) -> Outcome:
        """One POST; never raises for anything the receiver or the network does."""
        client = self._http()
        at = self._clock()
        started = time.perf_counter()
        status: int | None = None
        retry_after: float | None = None
        try:
            if not claimed.secrets:
                raise SecretUndecryptable()
            if literal_forbidden(claimed.url, allow_private=self._settings.allow_private_targets):
                raise TargetForbidden()
            body = orjson.dumps(claimed.payload)
            headers = signing.headers(claimed.secrets, claimed.message_id, at, body)
            async with client.post(
                claimed.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                kind = error_kind_for(status)
                if kind is not None:
                    retry_after = parse_retry_after(response.headers.get("retry-after"), at)
                await _drain(response)
        except SecretUndecryptable:
            kind = "secret_undecryptable"
        except TargetForbidden:
            kind = "target_forbidden"
        except TimeoutError:
            kind = "timeout"
        except (aiohttp.ClientError, OSError):
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

    def _http(self) -> aiohttp.ClientSession:
        # aiohttp, not httpx: on this path httpx spent ~10x the CPU per POST (bench_webhooks measures both).
        if self._client is None or self._client.closed:
            self._client = guarded_session(
                allow_private=self._settings.allow_private_targets,
                max_connections=self._settings.concurrency,
                timeout_seconds=self._settings.timeout_seconds,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client; a later send opens a new one."""
        if self._client is not None:
            await self._client.close()
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
        # One event wakes the loop (a send finished, an outbox commit, stop): no asyncio.wait over
        # every in-flight send, whose callbacks cost O(concurrency) per finished send.
        kick = asyncio.Event()
        wake = _Wake(kick)
        outbox.add_waker(wake)
        inflight: set[asyncio.Task[Outcome]] = set()
        finished: list[Outcome] = []

        def on_done(task: asyncio.Task[Outcome]) -> None:
            inflight.discard(task)
            kick.set()
            if task.cancelled():
                return
            if task.exception() is not None:
                # A bug in send: unrecorded, so the lease runs out and the delivery is sent again.
                self._log_failure(task.exception())  # type: ignore[arg-type]
                return
            finished.append(task.result())

        async def relay_stop() -> None:
            await stop.wait()
            kick.set()

        stop_task = asyncio.create_task(relay_stop())
        listen_task = asyncio.create_task(self._listen(wake, stop))
        # Claimed ahead (a quarter window beyond the sends in flight), by a task of its own: a send
        # that finishes finds the next delivery already leased, instead of waiting for a claim.
        ready: collections.deque[Claimed] = collections.deque()
        claiming: asyncio.Task[list[Claimed] | None] | None = None
        asked = 0
        next_claim = 0.0
        buffer: list[Outcome] = []
        flush_at = 0.0
        concurrency = self._settings.concurrency
        threshold = max(1, min(self._settings.batch_size, concurrency) // 4)
        next_fan_out = 0.0
        recorders: set[asyncio.Task[None]] = set()

        async def claim_more(count: int, woken: bool, direct: bool) -> list[Claimed] | None:
            nonlocal next_fan_out
            try:
                made = self._made
                if woken or time.monotonic() >= next_fan_out:
                    while await self.fan_out_once() >= self._settings.batch_size:
                        pass
                    next_fan_out = time.monotonic() + self._poll()
                if woken and not direct and self._made == made and time.monotonic() < next_claim:
                    # Every outbox commit wakes us (a mint's call.started included); one that made no
                    # delivery, and made none due directly (a redeliver, a test send), leaves nothing
                    # new to claim. None: the poll schedule stays as it was.
                    return None
                return await self.claim(count)
            except Exception as exc:
                self._log_failure(exc)
                return []
            finally:
                kick.set()

        try:
            while not stop.is_set():
                kick.clear()
                if claiming is not None and claiming.done():
                    claimed = claiming.result()
                    claiming = None
                    if claimed is not None:
                        ready.extend(claimed)
                        # A full batch means more may be due: claim again at once.
                        next_claim = time.monotonic() + (0.0 if len(claimed) == asked else self._poll())
                while ready and len(inflight) < concurrency:
                    task = asyncio.create_task(self.send(ready.popleft()))
                    inflight.add(task)
                    task.add_done_callback(on_done)
                held = len(ready) + len(inflight)
                can_claim = claiming is None and held <= concurrency
                if can_claim and (wake.is_set() or time.monotonic() >= next_claim):
                    woken, direct = wake.is_set(), wake.deliveries
                    wake.clear()
                    asked = min(self._settings.batch_size, concurrency + threshold - held)
                    claiming = asyncio.create_task(claim_more(asked, woken, direct))
                    can_claim = False
                if finished:
                    if not buffer:
                        flush_at = time.monotonic() + _FLUSH_SECONDS
                    buffer += finished
                    finished.clear()
                # Attempts are recorded in batches (one transaction each), not one by one.
                if buffer and (len(buffer) >= _FLUSH_BATCH or not inflight or time.monotonic() >= flush_at):
                    # Recorded beside the next claims and sends, not in front of them.
                    recorder = asyncio.create_task(self._record_logged(buffer))
                    recorders.add(recorder)
                    recorder.add_done_callback(recorders.discard)
                    buffer = []
                if kick.is_set() or stop.is_set() or (can_claim and wake.is_set()):
                    continue
                deadlines = [next_claim] if can_claim else []
                if buffer:
                    deadlines.append(flush_at)
                timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await kick.wait()
            buffer += finished
            if buffer:
                recorders.add(asyncio.create_task(self._record_logged(buffer)))
            await asyncio.gather(*recorders)
            if claiming is not None:
                ready.extend(await claiming or ())
            await self._release(list(ready))
        finally:
            stop_task.cancel()
            if claiming is not None:
                claiming.cancel()  # an error or a cancel: its leases run out
            listen_task.cancel()
            await asyncio.gather(listen_task, return_exceptions=True)
            outbox.remove_waker(wake)  # after the listener, which puts it back as it stops
            for task in inflight:
                task.cancel()
            await asyncio.gather(*inflight, stop_task, return_exceptions=True)
            await self.aclose()

    async def _release(self, claimed: list[Claimed]) -> None:
        """Give back leases of deliveries claimed ahead but never sent (a clean stop), so another
        dispatcher takes them now rather than after the lease."""
        if not claimed:
            return
        try:
            async with self._sessions() as session, session.begin():
                for token in {c.lease_token for c in claimed}:
                    await session.execute(
                        update(WebhookDelivery)
                        .where(
                            WebhookDelivery.id.in_(
                                [c.delivery_id for c in claimed if c.lease_token == token]
                            ),
                            WebhookDelivery.lease_token == token,
                        )
                        .values(locked_until=None, lease_token=None)
                    )
        except Exception as exc:
            self._log_failure(exc)  # their leases run out instead

    async def _listen(self, wake: _Wake, stop: asyncio.Event) -> None:
        """PostgreSQL: LISTEN for committed outbox inserts with an event to fan out, from any process
        (the trigger of migrations 0007 and 0008), and wake the loop; polling stays the fallback while
        the connection is down."""
        engine = self._sessions.kw.get("bind")
        if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
            return

        while not stop.is_set():
            try:
                await self._listen_once(engine, wake, stop)
            except Exception as exc:
                self._log_failure(exc)
            if not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=_RELISTEN_SECONDS)

    async def _listen_once(self, engine: AsyncEngine, wake: _Wake, stop: asyncio.Event) -> None:
        lost = asyncio.Event()

        def notified(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            wake.wake(deliveries=payload == outbox.DELIVERIES_CHANGED)

        async with engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            driver.add_termination_listener(lambda _: lost.set())
            await driver.add_listener(outbox.NOTIFY_CHANNEL, notified)
            # While the NOTIFY is heard, this process's own commits arrive through it too: the
            # in-process wake would only double each one (a second fan-out transaction that finds
            # nothing, per mint). It is back as soon as the connection is lost.
            outbox.remove_waker(wake)
            wake.wake(deliveries=True)  # anything committed while nobody listened, redelivers too
            try:
                await _first_of(stop, lost)
            finally:
                outbox.add_waker(wake)
                if not driver.is_closed():
                    await driver.remove_listener(outbox.NOTIFY_CHANNEL, notified)

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


async def _first_of(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class _Wake(asyncio.Event):
    """The outbox's waker for this dispatcher: remembers the wake (and whether a delivery was made due
    directly, which fan-out cannot see) and kicks the loop."""

    def __init__(self, kick: asyncio.Event) -> None:
        super().__init__()
        self._kick = kick
        self.deliveries = False

    def wake(self, *, deliveries: bool) -> None:
        self.deliveries = self.deliveries or deliveries
        self.set()

    def set(self) -> None:
        super().set()
        self._kick.set()

    def clear(self) -> None:
        super().clear()
        self.deliveries = False


async def _drain(response: aiohttp.ClientResponse) -> None:
    """Read the answer so the keep-alive connection is reused; a large one is cut and dropped."""
    read = 0
    async for chunk in response.content.iter_any():
        read += len(chunk)
        if read > _MAX_RESPONSE_BYTES:
            response.close()
            return


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
