"""The hub's fan-out over the in-process log: coalesced batches, bounded queues, one heartbeat timer,
and snapshots shared by joiners who arrive together."""

from __future__ import annotations

import asyncio

from app.events.router import SharedSnapshots, Snapshot
from app.events.stream import EventHub, MemoryEventLog, org_key

ORG = "00000000-0000-0000-0000-000000000001"


def hub(*, queue_size: int = 50, heartbeat_seconds: float = 15.0) -> EventHub:
    log = MemoryEventLog(call_maxlen=100, org_maxlen=100)
    return EventHub(log, queue_size=queue_size, heartbeat_seconds=heartbeat_seconds)


async def test_events_published_while_a_subscriber_is_busy_arrive_in_one_take() -> None:
    events = hub()
    sub = await events.subscribe(org_key(ORG))
    try:
        await events.log.append_many(ORG, None, [("transcript.turn", {"n": n}) for n in range(5)])
        await events.log.append(ORG, None, "transcript.turn", {"n": 5})
        async with asyncio.timeout(2):
            while sub.backlog < 6:  # the reader hands them over as it reads them
                await asyncio.sleep(0.01)
            taken, beat = await sub.take()
    finally:
        sub.close()
        await events.aclose()
    assert [e.data["n"] for e in taken] == list(range(6)) and beat is False


async def test_a_subscriber_past_its_bound_is_dropped_and_its_backlog_freed() -> None:
    events = hub(queue_size=4)
    key = org_key(ORG)
    slow = await events.subscribe(key)
    fast = await events.subscribe(key)
    try:
        for n in range(3):
            await events.log.append_many(ORG, None, [("transcript.turn", {"n": n}), ("transcript.turn", {})])
            async with asyncio.timeout(2):
                taken, _ = await fast.take()
            assert len(taken) == 2
        async with asyncio.timeout(2):
            while not slow.dropped:
                await asyncio.sleep(0.01)
            taken, _ = await slow.take()
    finally:
        await events.aclose()
    assert events.drops == 1 and taken == [] and events.subscribers(key) == 1


async def test_one_timer_beats_every_idle_subscriber() -> None:
    events = hub(heartbeat_seconds=0.05)
    subs = [await events.subscribe(org_key(ORG)) for _ in range(3)]
    try:
        async with asyncio.timeout(2):
            results = await asyncio.gather(*(sub.take() for sub in subs))
    finally:
        await events.aclose()
    assert results == [([], True)] * 3


async def test_joiners_arriving_together_share_one_snapshot() -> None:
    shared = SharedSnapshots()
    runs = 0
    release = asyncio.Event()

    async def compute() -> Snapshot:
        nonlocal runs
        runs += 1
        await release.wait()
        return Snapshot(f"{runs}-0", None, b"{}")

    first = asyncio.create_task(shared.take("k", compute))
    await asyncio.sleep(0.01)  # the first snapshot is being taken
    # These subscribed after it began, so they must not use it: they share the next one.
    later = [asyncio.create_task(shared.take("k", compute)) for _ in range(20)]
    await asyncio.sleep(0.01)
    release.set()
    taken = await asyncio.gather(first, *later)
    assert runs == 2
    assert taken[0].head == "1-0" and {t.head for t in taken[1:]} == {"2-0"}


async def test_a_joiner_hanging_up_does_not_cancel_the_shared_snapshot() -> None:
    shared = SharedSnapshots()
    release = asyncio.Event()

    async def compute() -> Snapshot:
        await release.wait()
        return Snapshot("1-0", None, b'{"calls":[]}')

    leaver = asyncio.create_task(shared.take("k", compute))
    stayer = asyncio.create_task(shared.take("k", compute))
    await asyncio.sleep(0.01)
    leaver.cancel()
    release.set()
    snapshot = await stayer
    assert snapshot.message("join") == (
        b'id: 1-0\nevent: snapshot\ndata: {"type":"snapshot","reason":"join","calls":[]}\n\n'
    )
