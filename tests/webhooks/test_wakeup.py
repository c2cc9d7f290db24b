"""A dispatcher hears of an outbox commit made by another process at once (PostgreSQL NOTIFY), not at its
next poll."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import text

from app.webhooks.dispatcher import Dispatcher
from tests.calls.conftest import Org
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.webhooks.conftest import hook_settings, register


async def test_commit_from_another_process_wakes_a_dispatcher_polling_rarely(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    await register(api, org, receiver.url)
    dispatcher = Dispatcher(hooks_app.state.session_factory, hook_settings(poll_interval_seconds=60.0))
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    try:
        await asyncio.sleep(1.0)  # the first poll is behind it; the next one is a minute away
        # Plain SQL, as another process would commit it: no in-process wake-up, only the trigger's NOTIFY.
        async with hooks_app.state.session_factory() as session, session.begin():
            await session.execute(
                text(
                    "INSERT INTO outbox_events (id, organization_id, type, data, created_at)"
                    " VALUES (:id, :org, 'call.ended', '{}', now())"
                ),
                {"id": uuid.uuid4(), "org": org.id},
            )
        await receiver.wait_for(1, timeout=10)
    finally:
        stop.set()
        await running
    assert len(receiver.received) == 1
