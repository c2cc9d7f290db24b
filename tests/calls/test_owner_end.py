"""ask_owner_to_end: an end taken by one worker (REST, a Twilio status) reaches the call's owner on another
worker and returns once the owner has finalized; another tenant's end never reaches the owner.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from app.calls.end import end_call
from app.calls.owner import EXTRAS_KEY, CallOwners, Command, EndCommand, ask_owner_to_end, call_owners
from app.calls.owner_redis import RedisCallOwners
from tests.calls.conftest import Org, start
from tests.calls.owner_worker import Recorder
from tests.conftest import RunningApp

LEASE = 0.9


@pytest.fixture
async def asking(app: RunningApp, redis_url: str) -> AsyncIterator[RunningApp]:
    """The app, with the call owners create_app holds (the test's own until they are wired in)."""
    created: CallOwners | None = None
    if EXTRAS_KEY not in app.state.extras:
        created = app.state.extras[EXTRAS_KEY] = RedisCallOwners.from_url(redis_url, lease_seconds=LEASE)
    yield app
    if created is not None:
        del app.state.extras[EXTRAS_KEY]
        await created.aclose()


@pytest.fixture
async def other_worker(redis_url: str) -> AsyncIterator[RedisCallOwners]:
    owners = RedisCallOwners.from_url(redis_url, lease_seconds=LEASE)
    yield owners
    await owners.aclose()


async def run_owner(
    owners: RedisCallOwners, app: RunningApp, org: Org, call_id: str, handler: Recorder
) -> None:
    """The owning channel: on an end it finalizes the call itself (as a channel does), then lets go."""
    async with owners.own(call_id, on_command=handler):
        command = await handler.next(10)
        assert isinstance(command, EndCommand)
        await end_call(
            app.state, call_id=call_id, org_id=uuid.UUID(org.id), source="bridge", reason=command.reason
        )


async def test_end_reaches_the_owner_and_returns_after_its_finalize(
    asking: RunningApp, other_worker: RedisCallOwners, org: Org
) -> None:
    call_id = await start(asking.client, org)
    handler = Recorder()
    owner = asyncio.create_task(run_owner(other_worker, asking, org, call_id, handler))
    while not await call_owners(asking.state).owner_alive(call_id):
        await asyncio.sleep(0.01)

    taken = await ask_owner_to_end(
        asking.state, call_id=call_id, org_id=uuid.UUID(org.id), reason="browser_hung_up"
    )
    finished_first = owner.done()
    await owner
    detail = (await asking.client.get(f"/api/calls/{call_id}", headers=org.headers)).json()

    assert taken is True and finished_first
    assert [c.kind for c in handler.commands] == ["end"]
    assert detail["live"] is False and detail["end_reason"] == "browser_hung_up"


async def test_end_from_another_tenant_never_reaches_the_owner(
    asking: RunningApp, other_worker: RedisCallOwners, org: Org, other_org: Org
) -> None:
    call_id = await start(asking.client, org)
    handler = Recorder()
    async with other_worker.own(call_id, on_command=handler):
        taken = await ask_owner_to_end(
            asking.state, call_id=call_id, org_id=uuid.UUID(other_org.id), reason="x"
        )
        await asyncio.sleep(0.2)
    assert taken is False
    assert handler.commands == []


async def test_end_of_an_ownerless_call_is_left_to_the_caller(asking: RunningApp, org: Org) -> None:
    call_id = await start(asking.client, org)
    assert (
        await ask_owner_to_end(asking.state, call_id=call_id, org_id=uuid.UUID(org.id), reason="x") is False
    )
    assert await ask_owner_to_end(asking.state, call_id=call_id, org_id=None, reason="x") is False


async def test_end_from_a_webhook_without_org_reaches_the_owner(
    asking: RunningApp, other_worker: RedisCallOwners, org: Org
) -> None:
    call_id = await start(asking.client, org)
    got: list[Command] = []

    async def handler(command: Command) -> None:
        got.append(command)

    async with other_worker.own(call_id, on_command=handler):
        ask = asyncio.create_task(
            ask_owner_to_end(
                asking.state, call_id=call_id, org_id=None, reason="call_completed", status="completed"
            )
        )
        async with asyncio.timeout(3):
            while not got:
                await asyncio.sleep(0.01)
        assert not ask.done()  # it waits for the owner to let go
    assert await ask is True
    assert isinstance(got[0], EndCommand) and (got[0].reason, got[0].status) == (
        "call_completed",
        "completed",
    )
