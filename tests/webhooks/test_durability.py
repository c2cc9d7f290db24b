"""Durability: a dispatcher killed mid-send loses nothing; two dispatchers never send one attempt twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import select

from app.events import outbox
from app.webhooks.dispatcher import Dispatcher
from database.engine import create_engine, create_session_factory
from database.models import WebhookAttempt, WebhookDelivery
from tests.calls.conftest import Org
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.webhooks.conftest import hook_settings, register

ROOT = Path(__file__).resolve().parents[2]


def spawn_worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_LEASE_SECONDS": "1.5",
        "WEBHOOK_POLL_INTERVAL_SECONDS": "0.05",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    return subprocess.Popen([sys.executable, "-m", "app.worker"], cwd=ROOT, env=env)


async def wait_until_delivered(app: RunningApp, timeout: float = 15.0) -> list[WebhookDelivery]:
    async with asyncio.timeout(timeout):
        while True:
            async with app.state.session_factory() as session:
                rows = list(await session.scalars(select(WebhookDelivery)))
            if rows and all(row.state == "delivered" for row in rows):
                return rows
            await asyncio.sleep(0.1)


async def test_kill_9_mid_send_loses_nothing_and_resends_same_message_id(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver, database_url: str
) -> None:
    await register(api, org, receiver.url)
    # The first request hangs (the worker is mid-send when it dies); later ones succeed.
    receiver.responder = lambda _: (200, {}, 30.0 if len(receiver.received) == 1 else 0.0)
    async with hooks_app.state.session_factory() as session, session.begin():
        event_id = await outbox.enqueue(session, org_id=uuid.UUID(org.id), type_="call.ended", data={})
    worker = spawn_worker(database_url)
    try:
        await receiver.wait_for(1, timeout=20)
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
        async with hooks_app.state.session_factory() as session:
            [delivery] = list(await session.scalars(select(WebhookDelivery)))
            assert delivery.state == "pending" and delivery.attempt_count == 0
        worker = spawn_worker(database_url)
        await receiver.wait_for(2, timeout=20)
        [delivery] = await wait_until_delivered(hooks_app)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)
    assert worker.returncode == 0  # SIGTERM stops the worker cleanly
    assert receiver.message_ids() == [outbox.message_id(event_id)] * 2
    async with hooks_app.state.session_factory() as session:
        attempts = list(await session.scalars(select(WebhookAttempt)))
    assert [(a.number, a.status_code) for a in attempts] == [(1, 200)]


async def test_two_dispatchers_never_deliver_the_same_attempt_twice(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver, database_url: str
) -> None:
    await register(api, org, receiver.url)
    async with hooks_app.state.session_factory() as session, session.begin():
        for n in range(300):
            await outbox.enqueue(session, org_id=uuid.UUID(org.id), type_="call.ended", data={"n": n})
    engines = [create_engine(database_url, pool_size=4) for _ in range(2)]
    settings = hook_settings(batch_size=50)
    dispatchers = [Dispatcher(create_session_factory(engine), settings) for engine in engines]

    async def work(dispatcher: Dispatcher) -> None:
        idle = 0
        while idle < 3:
            idle = idle + 1 if await dispatcher.run_once() == 0 else 0

    try:
        await asyncio.gather(*(work(d) for d in dispatchers))
    finally:
        for dispatcher in dispatchers:
            await dispatcher.aclose()
        for engine in engines:
            await engine.dispose()
    counts = Counter(receiver.message_ids())
    assert len(counts) == 300
    assert max(counts.values()) == 1, counts.most_common(3)
    assert all(d.sent > 0 for d in dispatchers)  # both took a share
