"""Concurrency slots on real Redis (two clients = two workers) and in memory: caps, retries, leases."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.calls.slots import ConcurrencyLimitReached, MemorySlots, RedisSlots, Slots

LEASE = 60.0


@pytest.fixture
async def workers(redis_client: Redis, redis_url: str) -> AsyncIterator[tuple[RedisSlots, RedisSlots]]:
    """Two slot stores on two connections, as two worker processes have (redis_client flushed the db)."""
    first, second = RedisSlots.from_url(redis_url), RedisSlots.from_url(redis_url)
    yield first, second
    await first.close()
    await second.close()


def _org() -> str:
    return str(uuid.uuid4())


async def test_cap_of_two_admits_exactly_two_of_five_simultaneous_calls(
    workers: tuple[RedisSlots, RedisSlots],
) -> None:
    org = _org()
    stores = [workers[i % 2] for i in range(5)]
    results = await asyncio.gather(
        *(
            store.acquire(org, str(uuid.uuid4()), limit=2, platform_limit=None, lease_seconds=LEASE)
            for store in stores
        )
    )
    assert sorted(r.granted for r in results) == [False, False, False, True, True]
    assert {r.refused_by for r in results if not r.granted} == {"org"}
    assert await workers[0].count(org) == await workers[1].count(org) == 2


async def test_second_worker_sees_the_first_workers_slots(workers: tuple[RedisSlots, RedisSlots]) -> None:
    first, second = workers
    org = _org()
    assert (await first.acquire(org, "a", limit=1, platform_limit=None, lease_seconds=LEASE)).granted
    refused = await second.acquire(org, "b", limit=1, platform_limit=None, lease_seconds=LEASE)
    assert not refused.granted and refused.active == 1


async def test_retry_with_the_same_call_id_takes_no_second_slot(
    workers: tuple[RedisSlots, RedisSlots],
) -> None:
    first, second = workers
    org = _org()
    assert (await first.acquire(org, "call-1", limit=1, platform_limit=None, lease_seconds=LEASE)).granted
    again = await second.acquire(org, "call-1", limit=1, platform_limit=None, lease_seconds=LEASE)
    assert again.granted and again.repeated
    assert await first.count(org) == 1


async def test_expired_lease_frees_its_slot(workers: tuple[RedisSlots, RedisSlots]) -> None:
    first, second = workers
    org = _org()
    assert (await first.acquire(org, "short", limit=1, platform_limit=None, lease_seconds=0.2)).granted
    assert not (await second.acquire(org, "next", limit=1, platform_limit=None, lease_seconds=LEASE)).granted
    await asyncio.sleep(0.3)
    assert await second.count(org) == 0
    assert (await second.acquire(org, "next", limit=1, platform_limit=None, lease_seconds=LEASE)).granted


async def test_expired_lease_goes_while_a_longer_one_stays(workers: tuple[RedisSlots, RedisSlots]) -> None:
    first, second = workers
    org = _org()
    assert (await first.acquire(org, "long", limit=2, platform_limit=None, lease_seconds=LEASE)).granted
    assert (await first.acquire(org, "short", limit=2, platform_limit=None, lease_seconds=0.2)).granted
    await asyncio.sleep(0.3)
    assert await second.count(org) == 1
    assert (await second.acquire(org, "next", limit=2, platform_limit=None, lease_seconds=LEASE)).granted
    assert not (await second.acquire(org, "more", limit=2, platform_limit=None, lease_seconds=LEASE)).granted


async def test_renew_keeps_a_lease_past_its_first_expiry(workers: tuple[RedisSlots, RedisSlots]) -> None:
    first, _ = workers
    org = _org()
    await first.acquire(org, "long", limit=1, platform_limit=None, lease_seconds=0.4)
    for _ in range(4):
        await asyncio.sleep(0.15)
        assert await first.renew(org, "long", lease_seconds=0.4)
    assert await first.count(org) == 1


async def test_renew_of_an_expired_lease_reports_it_lost(workers: tuple[RedisSlots, RedisSlots]) -> None:
    first, _ = workers
    org = _org()
    await first.acquire(org, "gone", limit=1, platform_limit=None, lease_seconds=0.1)
    await asyncio.sleep(0.2)
    assert not await first.renew(org, "gone", lease_seconds=LEASE)
    assert await first.count(org) == 0


async def test_release_is_idempotent_and_frees_the_slot(workers: tuple[RedisSlots, RedisSlots]) -> None:
    first, second = workers
    org = _org()
    await first.acquire(org, "c", limit=1, platform_limit=None, lease_seconds=LEASE)
    await first.release(org, "c")
    await second.release(org, "c")
    await second.release(org, "never-held")
    assert await first.count(org) == 0
    assert (await second.acquire(org, "d", limit=1, platform_limit=None, lease_seconds=LEASE)).granted


async def test_platform_cap_counts_every_org(workers: tuple[RedisSlots, RedisSlots]) -> None:
    first, second = workers
    assert (await first.acquire(_org(), "x", limit=None, platform_limit=2, lease_seconds=LEASE)).granted
    assert (await second.acquire(_org(), "y", limit=None, platform_limit=2, lease_seconds=LEASE)).granted
    refused = await first.acquire(_org(), "z", limit=None, platform_limit=2, lease_seconds=LEASE)
    assert not refused.granted and refused.refused_by == "platform"


async def test_unlimited_org_is_always_admitted(workers: tuple[RedisSlots, RedisSlots]) -> None:
    org = _org()
    for n in range(20):
        assert (
            await workers[n % 2].acquire(org, str(n), limit=None, platform_limit=None, lease_seconds=LEASE)
        ).granted
    assert await workers[0].count(org) == 20


_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from app.calls.slots import RedisSlots

    async def main() -> None:
        store = RedisSlots.from_url(sys.argv[1])
        for call in ("k1", "k2"):
            got = await store.acquire(sys.argv[2], call, limit=2, platform_limit=None, lease_seconds=2.0)
            assert got.granted
        print("held", flush=True)
        while True:  # the owner's lease loop
            await asyncio.sleep(0.25)
            for call in ("k1", "k2"):
                await store.renew(sys.argv[2], call, lease_seconds=2.0)

    asyncio.run(main())
    """
)


async def test_killed_workers_slots_come_back_after_the_lease(
    workers: tuple[RedisSlots, RedisSlots], redis_url: str
) -> None:
    _, survivor = workers
    org = _org()
    proc = subprocess.Popen(
        [sys.executable, "-c", _WORKER, redis_url, org],
        stdout=subprocess.PIPE,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    try:
        assert proc.stdout is not None
        assert await asyncio.to_thread(proc.stdout.readline) == b"held\n"
        await asyncio.sleep(2.5)  # past one lease: renewals keep both slots
        assert await survivor.count(org) == 2
        assert not (
            await survivor.acquire(org, "k3", limit=2, platform_limit=None, lease_seconds=LEASE)
        ).granted
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
        assert await survivor.count(org) == 2  # nobody released them
        async with asyncio.timeout(5):  # one lease (2 s) after the last renewal
            while await survivor.count(org):
                await asyncio.sleep(0.1)
        assert (await survivor.acquire(org, "k3", limit=2, platform_limit=None, lease_seconds=LEASE)).granted
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("store", [MemorySlots()], ids=["memory"])
async def test_memory_slots_follow_the_same_rules(store: Slots) -> None:
    org = _org()
    assert (await store.acquire(org, "a", limit=1, platform_limit=None, lease_seconds=0.2)).granted
    assert (await store.acquire(org, "a", limit=1, platform_limit=None, lease_seconds=0.2)).repeated
    assert not (await store.acquire(org, "b", limit=1, platform_limit=None, lease_seconds=LEASE)).granted
    await asyncio.sleep(0.25)
    assert not await store.renew(org, "a", lease_seconds=LEASE)
    assert (await store.acquire(org, "b", limit=1, platform_limit=None, lease_seconds=LEASE)).granted
    await store.release(org, "b")
    await store.release(org, "b")
    assert await store.count(org) == 0


def test_concurrency_limit_reached_is_429_with_retry_after() -> None:
    error = ConcurrencyLimitReached(retry_after=30, limit=2, active=2)
    assert (error.status_code, error.code) == (429, "concurrency_limit_reached")
    assert error.headers == {"Retry-After": "30"}
    assert error.details == {"max_concurrent_calls": 2, "live_calls": 2}
