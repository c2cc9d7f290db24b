"""A dispatcher hears of an outbox commit made by another process at once (PostgreSQL NOTIFY), not at its
next poll; a redeliver or a test send (deliveries made due with no new event to fan out) wakes it too,
in process and in another one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid

import httpx
from sqlalchemy import select, text

from app.events import outbox
from app.events.live import OutboxWriter
from app.webhooks.dispatcher import Dispatcher
from database.models import OutboxEvent
from tests.calls.conftest import Org
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.webhooks.conftest import hook_settings, register
from tests.webhooks.test_dispatch import deliveries
from tests.webhooks.test_durability import ROOT

RARELY = 60.0  # a poll this far away never delivers within a test's wait


async def insert_event_as_another_process(app: RunningApp, org: Org) -> None:
    # Plain SQL, as another process would commit it: no in-process wake-up, only the trigger's NOTIFY.
    async with app.state.session_factory() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO outbox_events (id, organization_id, type, data, created_at)"
                " VALUES (:id, :org, 'call.ended', '{}', now())"
            ),
            {"id": uuid.uuid4(), "org": org.id},
        )


async def test_send_and_redeliver_wake_an_idle_dispatcher_in_process(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url, ["intake.completed"])
    dispatcher = Dispatcher(hooks_app.state.session_factory, hook_settings(poll_interval_seconds=RARELY))
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    try:
        await asyncio.sleep(1.0)  # the first poll is behind it; the next one is a minute away
        sent = await api.post(f"/api/org/webhooks/{hook['id']}/test", headers=org.headers)
        assert sent.status_code == 202
        await receiver.wait_for(1, timeout=10)
        [item] = await deliveries(api, org, hook["id"])
        again = await api.post(f"/api/org/webhooks/deliveries/{item['id']}/redeliver", headers=org.headers)
        assert again.status_code == 200
        await receiver.wait_for(2, timeout=10)
    finally:
        stop.set()
        await running
    assert receiver.message_ids() == [sent.json()["message_id"]] * 2


async def test_send_and_redeliver_wake_a_worker_process_polling_rarely(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver, database_url: str
) -> None:
    hook = await register(api, org, receiver.url, ["call.ended", "intake.completed"])
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_POLL_INTERVAL_SECONDS": str(RARELY),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    worker = subprocess.Popen([sys.executable, "-m", "app.worker"], cwd=ROOT, env=env)
    try:
        # Until the worker listens, its first claim may be what delivers: keep committing events as
        # another process would until one arrives, so what follows is heard only through NOTIFY.
        inserted = 0
        async with asyncio.timeout(30):
            while not receiver.received:
                await insert_event_as_another_process(hooks_app, org)
                inserted += 1
                with contextlib.suppress(TimeoutError):
                    await receiver.wait_for(1, timeout=1.0)
        await receiver.wait_for(inserted, timeout=10)
        seen = len(receiver.received)
        sent = await api.post(f"/api/org/webhooks/{hook['id']}/test", headers=org.headers)
        assert sent.status_code == 202
        await receiver.wait_for(seen + 1, timeout=10)
        test_delivery = next(
            item for item in await deliveries(api, org, hook["id"]) if item["event_type"] == "webhook.test"
        )
        again = await api.post(
            f"/api/org/webhooks/deliveries/{test_delivery['id']}/redeliver", headers=org.headers
        )
        assert again.status_code == 200
        await receiver.wait_for(seen + 2, timeout=10)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert receiver.message_ids()[seen:] == [sent.json()["message_id"]] * 2


async def test_commit_from_another_process_wakes_a_dispatcher_polling_rarely(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    await register(api, org, receiver.url)
    dispatcher = Dispatcher(hooks_app.state.session_factory, hook_settings(poll_interval_seconds=60.0))
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    try:
        await asyncio.sleep(1.0)  # the first poll is behind it; the next one is a minute away
        await insert_event_as_another_process(hooks_app, org)
        await receiver.wait_for(1, timeout=10)
    finally:
        stop.set()
        await running
    assert len(receiver.received) == 1


class _CountingDispatcher(Dispatcher):
    """The real dispatcher, counting its fan-out transactions."""

    fan_outs = 0

    async def fan_out_once(self) -> int:
        self.fan_outs += 1
        return await super().fan_out_once()


async def test_each_commit_in_process_is_one_fan_out_while_the_notify_is_heard(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    # Each commit used to wake the dispatcher twice (in process, then through its own NOTIFY): a second
    # fan-out transaction that found nothing, once per mint.
    await register(api, org, receiver.url, ["call.started"])
    dispatcher = _CountingDispatcher(
        hooks_app.state.session_factory, hook_settings(poll_interval_seconds=RARELY)
    )
    stop = asyncio.Event()
    wakers = set(outbox._wakers)
    running = asyncio.create_task(dispatcher.run(stop))
    try:
        await asyncio.sleep(1.0)  # the first poll is behind it and the listener is up
        before = dispatcher.fan_outs
        for n in range(1, 6):
            async with hooks_app.state.session_factory() as session, session.begin():
                await outbox.enqueue(session, org_id=org.id, type_="call.started", data={"call_id": str(n)})
            await receiver.wait_for(n, timeout=10)
            await asyncio.sleep(0.2)  # a duplicate wake would have fanned out again by now
        assert dispatcher.fan_outs - before == 5
    finally:
        stop.set()
        await running
    # Stopped, it is no longer woken by this process's commits: its waker went with it.
    assert outbox._wakers == wakers


async def test_a_live_event_no_endpoint_takes_is_written_fanned_out_and_wakes_no_dispatcher(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, other_org: Org, receiver: WebhookReceiver
) -> None:
    # Every mint writes `call.started`; for an org without a webhook for it, that was one fan-out
    # transaction (woken by its NOTIFY) per mint that found no endpoint. An endpoint of another org,
    # or one for other events, does not count; one of the org that takes the type gets every event.
    await register(api, other_org, receiver.url, ["call.started"])
    await register(api, org, receiver.url, ["call.ended"])
    writer = OutboxWriter(hooks_app.state.session_factory)
    dispatcher = _CountingDispatcher(
        hooks_app.state.session_factory, hook_settings(poll_interval_seconds=RARELY)
    )
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))

    async def started(n: int) -> uuid.UUID:
        event_id = uuid.uuid4()
        await writer.write(org_id=org.id, type_="call.started", data={"call_id": str(n)}, event_id=event_id)
        return event_id

    try:
        await asyncio.sleep(1.0)  # the first poll is behind it and the listener is up
        before = dispatcher.fan_outs
        unsubscribed = [await started(n) for n in range(5)]
        await asyncio.sleep(0.5)  # a NOTIFY or an in-process wake would have fanned out by now
        assert dispatcher.fan_outs == before
        await register(api, org, receiver.url, ["call.started"])
        subscribed = [await started(n) for n in range(5, 8)]
        await receiver.wait_for(3, timeout=10)
        assert 1 <= dispatcher.fan_outs - before <= 3  # back-to-back commits may share one
    finally:
        stop.set()
        await running
    async with hooks_app.state.session_factory() as session:
        rows = await session.execute(select(OutboxEvent.id, OutboxEvent.fanned_out_at))
        fanned = {event_id: at for event_id, at in rows}
    assert all(fanned[event_id] is not None for event_id in [*unsubscribed, *subscribed])
    assert len(receiver.received) == 3
