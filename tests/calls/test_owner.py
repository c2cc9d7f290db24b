"""Call owners: one live owner per call, its lease renewed and released, commands from any worker.

Each behaviour runs on two workers' views (two Redis clients on the test db, or the one-process memory
owners); the Redis-only behaviours (a killed owner, orphans, outages) are in test_owner_redis.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.calls.owner import (
    CallOwned,
    CallOwners,
    Command,
    EndCommand,
    HangupCommand,
    SupersedeCommand,
    TransferCommand,
    build_call_owners,
)
from app.calls.owner_memory import MemoryCallOwners
from app.calls.owner_redis import RedisCallOwners
from app.settings import CallSettings, Settings
from tests.calls.owner_worker import Recorder

LEASE = 0.6  # short, so renewals and expiry happen within a test


@pytest.fixture(params=["memory", "redis", "redis-one-process"])
async def workers(
    request: pytest.FixtureRequest, redis_url: str, redis_client: Redis
) -> AsyncIterator[tuple[CallOwners, CallOwners]]:
    """Two workers' views of ownership: two Redis clients on an empty db; or one process's owners, both
    sides on one instance (memory, or Redis with one subscriber connection)."""
    if request.param == "memory":
        owners = MemoryCallOwners(lease_seconds=LEASE)
        yield owners, owners
        return
    if request.param == "redis-one-process":
        one = RedisCallOwners.from_url(redis_url, lease_seconds=LEASE)
        yield one, one
        await one.aclose()
        return
    first = RedisCallOwners.from_url(redis_url, lease_seconds=LEASE)
    second = RedisCallOwners.from_url(redis_url, lease_seconds=LEASE)
    try:
        yield first, second
    finally:
        await first.aclose()
        await second.aclose()


def new_call() -> str:
    return str(uuid.uuid4())


async def test_owner_alive_while_the_block_runs_and_not_after(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    assert not await other.owner_alive(call_id)
    async with owner.own(call_id, on_command=Recorder()) as lease:
        assert lease.held
        assert await other.owner_alive(call_id)
    assert not await other.owner_alive(call_id)


async def test_second_owner_refused_while_the_first_is_alive(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    async with owner.own(call_id, on_command=Recorder()):
        with pytest.raises(CallOwned):
            async with other.own(call_id, on_command=Recorder()):
                pytest.fail("two owners of one call")
        assert await other.owner_alive(call_id)  # the refused attempt did not touch the holder's lease


async def test_lease_renewed_past_its_duration(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    async with owner.own(call_id, on_command=Recorder()) as lease:
        await asyncio.sleep(LEASE * 3)
        assert lease.held
        assert await other.owner_alive(call_id)
        with pytest.raises(CallOwned):
            async with other.own(call_id, on_command=Recorder()):
                pass


async def test_takeover_waits_for_the_superseded_owner_to_let_go(
    workers: tuple[CallOwners, CallOwners],
) -> None:
    owner, other = workers
    call_id = new_call()
    superseded = asyncio.Event()

    async def old_channel(command: Command) -> None:
        if isinstance(command, SupersedeCommand):
            superseded.set()

    async def run_old() -> None:
        async with owner.own(call_id, on_command=old_channel):
            await superseded.wait()
            await asyncio.sleep(0.2)  # winding down, without ending the call

    old = asyncio.create_task(run_old())
    while not await other.owner_alive(call_id):
        await asyncio.sleep(0.01)
    assert await other.send(call_id, SupersedeCommand())
    async with other.own(call_id, on_command=Recorder(), wait_seconds=3.0) as lease:
        assert old.done() and lease.held
    await old


async def test_takeover_refused_when_the_owner_does_not_let_go_in_time(
    workers: tuple[CallOwners, CallOwners],
) -> None:
    owner, other = workers
    call_id = new_call()
    async with owner.own(call_id, on_command=Recorder()):
        started = asyncio.get_running_loop().time()
        with pytest.raises(CallOwned):
            async with other.own(call_id, on_command=Recorder(), wait_seconds=0.4):
                pass
        assert asyncio.get_running_loop().time() - started >= 0.4


async def test_released_call_can_be_owned_by_another_worker(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    async with owner.own(call_id, on_command=Recorder()):
        pass
    handler = Recorder()
    async with other.own(call_id, on_command=handler):
        assert await owner.send(call_id, TransferCommand())
        assert isinstance(await handler.next(), TransferCommand)


async def test_owner_released_when_the_block_raises(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    with pytest.raises(RuntimeError):
        async with owner.own(call_id, on_command=Recorder()):
            raise RuntimeError("the channel failed")
    assert not await other.owner_alive(call_id)


async def test_command_from_another_worker_reaches_the_owner_once(
    workers: tuple[CallOwners, CallOwners],
) -> None:
    owner, other = workers
    call_id = new_call()
    handler = Recorder()
    async with owner.own(call_id, on_command=handler):
        command = EndCommand(reason="twilio_completed", status="completed")
        assert await other.send(call_id, command) is True
        received = await handler.next()
        await asyncio.sleep(0.3)  # a duplicate would have arrived by now
    assert handler.commands == [command]
    assert isinstance(received, EndCommand) and received.reason == "twilio_completed"


async def test_commands_reach_the_owner_in_order(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    handler = Recorder()
    sent: list[Command] = [TransferCommand(), HangupCommand(reason="operator"), EndCommand(reason="done")]
    async with owner.own(call_id, on_command=handler):
        for command in sent:
            assert await other.send(call_id, command)
        async with asyncio.timeout(3):
            while len(handler.commands) < len(sent):
                await handler.next()
    assert handler.commands == sent


async def test_send_to_an_ownerless_call_returns_false(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    async with asyncio.timeout(0.5):  # at once: nobody holds the lease, so there is nobody to wait for
        assert await other.send(call_id, EndCommand(reason="x")) is False
    async with owner.own(call_id, on_command=Recorder()):
        pass
    async with asyncio.timeout(0.5):
        assert await other.send(call_id, EndCommand(reason="x")) is False


async def test_failing_handler_does_not_stop_later_commands(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    handled: list[str] = []
    done = asyncio.Event()

    async def handler(command: Command) -> None:
        handled.append(command.kind)
        if isinstance(command, TransferCommand):
            raise RuntimeError("transfer failed")
        done.set()

    async with owner.own(call_id, on_command=handler):
        assert await other.send(call_id, TransferCommand())
        assert await other.send(call_id, EndCommand(reason="after"))
        async with asyncio.timeout(3):
            await done.wait()
    assert handled == ["transfer", "end"]


async def test_wait_released_returns_when_the_owner_finalizes(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    end_requested = asyncio.Event()
    finalized = asyncio.Event()

    async def handler(command: Command) -> None:
        end_requested.set()

    async def run_call() -> None:
        async with owner.own(call_id, on_command=handler):
            await end_requested.wait()
            await asyncio.sleep(0.3)  # the channel winds down and finalizes inside the block
            finalized.set()

    task = asyncio.create_task(run_call())
    while not await other.owner_alive(call_id):
        await asyncio.sleep(0.01)
    assert await other.send(call_id, EndCommand(reason="twilio_completed"))
    assert await other.wait_released(call_id, 5.0) is True
    assert finalized.is_set()
    await task


async def test_wait_released_times_out_while_the_owner_runs(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    async with owner.own(call_id, on_command=Recorder()):
        assert await other.wait_released(call_id, 0.3) is False


async def test_wait_released_at_once_for_an_ownerless_call(workers: tuple[CallOwners, CallOwners]) -> None:
    _, other = workers
    async with asyncio.timeout(0.5):
        assert await other.wait_released(new_call(), 5.0) is True


async def test_released_lease_is_not_an_orphan(workers: tuple[CallOwners, CallOwners]) -> None:
    owner, other = workers
    call_id = new_call()
    async with owner.own(call_id, on_command=Recorder()):
        pass
    await asyncio.sleep(LEASE * 1.5)
    assert call_id not in await other.orphans()


async def test_build_call_owners_follows_redis_url(redis_url: str) -> None:
    calls = CallSettings(sweeper_enabled=False, owner_lease_seconds=7)
    memory = build_call_owners(Settings(environment="test", redis_url=None, calls=calls))
    redis = build_call_owners(Settings(environment="test", redis_url=redis_url, calls=calls))
    try:
        assert isinstance(memory, MemoryCallOwners) and memory.lease_seconds == 7
        assert isinstance(redis, RedisCallOwners) and redis.lease_seconds == 7
    finally:
        await memory.aclose()
        await redis.aclose()


def test_owner_lease_defaults_to_fifteen_seconds() -> None:
    calls = CallSettings()
    assert calls.owner_lease_seconds == 15
    assert calls.owner_end_wait_seconds > 0


async def test_unknown_command_on_the_wire_is_skipped(redis_url: str, redis_client: Redis) -> None:
    owners = RedisCallOwners.from_url(redis_url, lease_seconds=LEASE)
    call_id = new_call()
    handler = Recorder()
    try:
        async with owners.own(call_id, on_command=handler):
            channel = f"call:{{{call_id}}}:cmd"
            assert await redis_client.publish(channel, '{"kind": "self_destruct"}') == 1
            assert await redis_client.publish(channel, "not json") == 1
            assert await owners.send(call_id, EndCommand(reason="after"))
            command = await handler.next()
    finally:
        await owners.aclose()
    assert handler.commands == [command]
    assert isinstance(command, EndCommand)
