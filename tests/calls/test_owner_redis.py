"""Call owners in Redis when things break: a killed owner process, a lease taken away, Redis unreachable,
and a dropped subscriber connection. Faults that touch the server run on a redis-server of the test's own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from app.calls.owner import CallOwned, EndCommand, LostReason
from app.calls.owner_redis import RedisCallOwners, owner_key
from tests.calls.owner_worker import Recorder
from tests.fixtures.redis_server import RedisServer, redis_server
from tests.fixtures.tcp_proxy import TcpProxy

LEASE = 0.9
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def owners(redis_url: str, redis_client: Redis) -> AsyncIterator[RedisCallOwners]:
    instance = RedisCallOwners.from_url(redis_url, lease_seconds=LEASE)
    yield instance
    await instance.aclose()


@pytest.fixture
async def own_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    async with redis_server(tmp_path, persistent=False) as server:
        yield server


class Holder:
    """Another worker process owning one call (tests/calls/owner_worker.py)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def line(self, seconds: float = 30.0) -> str:
        assert self.proc.stdout is not None
        async with asyncio.timeout(seconds):
            return (await self.proc.stdout.readline()).decode().strip()

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)


StartHolder = Callable[[str], Awaitable[Holder]]


@pytest.fixture
async def holder_of(redis_url: str, redis_client: Redis) -> AsyncIterator[StartHolder]:
    procs: list[asyncio.subprocess.Process] = []

    async def start(call_id: str) -> Holder:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.calls.owner_worker", redis_url, call_id, str(LEASE),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        procs.append(proc)
        holder = Holder(proc)
        assert await holder.line() == "owned"
        return holder

    yield start
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def test_killed_owner_lease_expires_and_another_worker_takes_over(
    owners: RedisCallOwners, holder_of: StartHolder
) -> None:
    call_id = str(uuid.uuid4())
    holder = await holder_of(call_id)
    assert await owners.owner_alive(call_id)
    with pytest.raises(CallOwned):
        async with owners.own(call_id, on_command=Recorder()):
            pass

    holder.kill()
    await holder.proc.wait()
    killed_at = time.monotonic()
    async with asyncio.timeout(LEASE * 3):
        while await owners.owner_alive(call_id):
            await asyncio.sleep(0.05)
    assert time.monotonic() - killed_at <= LEASE + 0.5  # by the lease's own TTL, not a sweep
    handler = Recorder()
    async with owners.own(call_id, on_command=handler) as lease:
        assert lease.held
        assert await owners.send(call_id, EndCommand())
        await handler.next()


async def test_command_reaches_an_owner_in_another_process(
    owners: RedisCallOwners, holder_of: StartHolder
) -> None:
    call_id = str(uuid.uuid4())
    holder = await holder_of(call_id)
    command = EndCommand(reason="twilio_completed")
    assert await owners.send(call_id, command) is True
    assert await holder.line() == f"command end {command.id}"


async def test_send_to_a_killed_owner_returns_false_once_its_lease_is_gone(
    owners: RedisCallOwners, holder_of: StartHolder
) -> None:
    call_id = str(uuid.uuid4())
    holder = await holder_of(call_id)
    holder.kill()
    await holder.proc.wait()
    # The lease outlives the process for a moment; nobody listens, so nobody can get the command.
    assert await owners.send(call_id, EndCommand(reason="twilio_completed")) is False


async def test_killed_owner_call_is_an_orphan_after_its_lease(
    owners: RedisCallOwners, holder_of: StartHolder
) -> None:
    call_id = str(uuid.uuid4())
    holder = await holder_of(call_id)
    await asyncio.sleep(LEASE * 1.5)  # renewed by the live owner: not an orphan
    assert call_id not in await owners.orphans()
    holder.kill()
    await holder.proc.wait()
    assert call_id not in await owners.orphans()  # the lease has not run out yet
    async with asyncio.timeout(LEASE * 3):
        while call_id not in await owners.orphans():
            await asyncio.sleep(0.05)
    await owners.forget(call_id)
    assert call_id not in await owners.orphans()


async def test_new_owner_of_an_orphan_takes_it_off_the_list(
    owners: RedisCallOwners, holder_of: StartHolder
) -> None:
    call_id = str(uuid.uuid4())
    holder = await holder_of(call_id)
    holder.kill()
    await holder.proc.wait()
    await asyncio.sleep(LEASE + 0.3)
    async with owners.own(call_id, on_command=Recorder()):
        assert call_id not in await owners.orphans()
    assert call_id not in await owners.orphans()


async def test_lease_taken_by_another_owner_is_reported(
    owners: RedisCallOwners, redis_url: str, redis_client: Redis
) -> None:
    call_id = str(uuid.uuid4())
    losses: list[LostReason] = []
    first, second = Recorder(), Recorder()
    other = RedisCallOwners.from_url(redis_url, lease_seconds=LEASE)
    try:
        async with owners.own(call_id, on_command=first, on_lost=losses.append) as lease:
            await redis_client.delete(owner_key(call_id))  # evicted, or removed by an operator
            async with other.own(call_id, on_command=second):
                async with asyncio.timeout(LEASE * 2):
                    await lease.lost.wait()
                assert lease.lost_reason == "taken" and losses == ["taken"]
                assert await owners.send(call_id, EndCommand(reason="x"))
                await second.next()
            assert first.commands == []
            assert await redis_client.get(owner_key(call_id)) is None  # the loser did not release it again
    finally:
        await other.aclose()


async def test_unreachable_redis_is_reported_after_the_lease(own_server: RedisServer) -> None:
    owners = RedisCallOwners.from_url(own_server.url, lease_seconds=LEASE)
    losses: list[LostReason] = []
    try:
        async with owners.own(str(uuid.uuid4()), on_command=Recorder(), on_lost=losses.append) as lease:
            own_server.pause()
            try:
                paused_at = time.monotonic()
                await asyncio.sleep(LEASE * 0.5)
                assert lease.held  # a short stall is ridden out
                async with asyncio.timeout(LEASE * 3):
                    await lease.lost.wait()
                assert time.monotonic() - paused_at <= LEASE * 2
            finally:
                own_server.resume()
        assert lease.lost_reason == "unavailable" and losses == ["unavailable"]
    finally:
        await owners.aclose()


async def test_command_delivered_after_the_subscriber_connection_drops(own_server: RedisServer) -> None:
    owners = RedisCallOwners.from_url(own_server.url, lease_seconds=LEASE)
    sender = RedisCallOwners.from_url(own_server.url, lease_seconds=LEASE)
    admin = Redis.from_url(own_server.url, decode_responses=True)
    call_id = str(uuid.uuid4())
    handler = Recorder()
    try:
        async with owners.own(call_id, on_command=handler) as lease:
            assert await admin.client_kill_filter(_type="pubsub") == 1
            assert await sender.send(call_id, EndCommand(reason="after_drop")) is True
            command = await handler.next()
            assert lease.held
        assert isinstance(command, EndCommand) and command.reason == "after_drop"
        assert len(handler.commands) == 1
    finally:
        await admin.aclose()
        await sender.aclose()
        await owners.aclose()


async def test_send_waits_out_an_owner_that_is_briefly_not_listening(
    redis_url: str, redis_client: Redis
) -> None:
    # The owner reaches Redis through a proxy that is cut for a moment: its lease stays, it hears nothing.
    parts = urlsplit(redis_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    await proxy.start()
    owners = RedisCallOwners.from_url(f"redis://127.0.0.1:{proxy.port}{parts.path}", lease_seconds=5.0)
    sender = RedisCallOwners.from_url(redis_url, lease_seconds=5.0)
    call_id = str(uuid.uuid4())
    handler = Recorder()
    try:
        async with owners.own(call_id, on_command=handler):
            proxy.cut()
            sending = asyncio.create_task(sender.send(call_id, EndCommand(reason="while_cut")))
            await asyncio.sleep(0.5)
            assert not sending.done()  # the lease is held but nobody listens: keep trying
            proxy.restore()
            assert await sending is True
            command = await handler.next()
        assert isinstance(command, EndCommand) and command.reason == "while_cut"
        assert len(handler.commands) == 1
    finally:
        await sender.aclose()
        await owners.aclose()
        await proxy.stop()


async def test_lease_ttl_is_set_in_redis(owners: RedisCallOwners, redis_client: Redis) -> None:
    call_id = str(uuid.uuid4())
    async with owners.own(call_id, on_command=Recorder()) as lease:
        assert await redis_client.get(owner_key(call_id)) == lease.token
        assert 0 < await redis_client.pttl(owner_key(call_id)) <= LEASE * 1000
    assert await redis_client.exists(owner_key(call_id)) == 0


async def test_renewals_of_many_calls_share_a_round_trip_and_keep_each_lease(
    owners: RedisCallOwners, redis_client: Redis
) -> None:
    # Every owned call renews every lease/3 s; at 100 calls those were 100 pipelines, each with a
    # SCRIPT EXISTS before it. A renewal by another token must still fail, in the same pipeline.
    calls = [str(uuid.uuid4()) for _ in range(20)]
    for call_id in calls:
        assert await owners._acquire(call_id, f"token-{call_id}")
    sent = owners._batch.pipelines
    tokens = [f"token-{c}" for c in calls[:-1]] + ["someone-else"]
    renewed = await asyncio.gather(*(owners._renew(c, t) for c, t in zip(calls, tokens, strict=True)))
    assert renewed == [True] * 19 + [False]
    assert owners._batch.pipelines == sent + 1
    for call_id in calls:
        assert 0 < await redis_client.pttl(owner_key(call_id)) <= LEASE * 1000


async def test_renew_and_release_load_a_script_the_server_lacks(
    owners: RedisCallOwners, redis_client: Redis
) -> None:
    # As after a Redis restart or SCRIPT FLUSH (not run here: it would reach every test on the server).
    call_id = str(uuid.uuid4())
    assert await owners._acquire(call_id, "t1")
    for script in (owners._renew_script, owners._index_script, owners._release_script):
        script.sha = "0" * 40
    assert await owners._renew(call_id, "t1")
    assert owners._renew_script.sha != "0" * 40
    await owners._release(call_id, "t1")
    assert await redis_client.exists(owner_key(call_id)) == 0
    assert await redis_client.zscore("calls:owners", call_id) is None
