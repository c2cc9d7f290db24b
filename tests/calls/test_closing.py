"""The closing guard, on both stores: once finalize marks a call closing, every write is refused."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.calls.errors import CallAlreadyEnded, CallEnding
from app.calls.live_memory import MemoryLiveStore
from app.calls.live_store import LiveStore, RedisLiveStore


@pytest.fixture(params=["redis", "memory"])
async def store(
    request: pytest.FixtureRequest, redis_url: str, redis_client: Redis
) -> AsyncIterator[LiveStore]:
    live: LiveStore
    if request.param == "redis":
        live = RedisLiveStore.from_url(redis_url, ttl_seconds=3600)
    else:
        live = MemoryLiveStore()
    yield live
    await live.close()


def _turn(text: str) -> dict[str, object]:
    return {"speaker": "caller", "text": text, "at": "2026-12-01T09:00:00+00:00", "seq": None}


async def _closing_call(store: LiveStore) -> str:
    meta = {"org_id": "00000000-0000-4000-8000-0000000000c1", "channel": "browser"}
    assert await store.create_call("c1", meta, started=time.time())
    assert await store.append_turns("c1", [_turn("before")]) == [0]
    assert await store.begin_close("c1")
    return "c1"


async def test_closing_call_refuses_every_write(store: LiveStore) -> None:
    call_id = await _closing_call(store)
    with pytest.raises(CallEnding):
        await store.append_turns(call_id, [_turn("late")])
    with pytest.raises(CallEnding):
        await store.update_call(call_id, urgency="urgent")
    with pytest.raises(CallEnding):
        await store.set_intake(call_id, {"data": {}})
    with pytest.raises(CallEnding):
        await store.add_event(call_id, {"type": "late", "at": "2026-12-01T09:00:00+00:00"})
    with pytest.raises(CallEnding):
        await store.claim_tool_call(call_id, "tc1", {"status": "ok"})
    assert not await store.touch(call_id)
    snapshot = await store.snapshot(call_id)
    assert snapshot is not None and [t["text"] for t in snapshot.turns] == ["before"]
    assert snapshot.intake is None and snapshot.events == []


async def test_reopened_call_takes_writes_again(store: LiveStore) -> None:
    call_id = await _closing_call(store)
    await store.reopen(call_id)
    assert await store.append_turns(call_id, [_turn("after")]) == [1]
    assert await store.touch(call_id)


async def test_writes_to_a_gone_call_write_nothing(store: LiveStore) -> None:
    assert not await store.begin_close("nope")
    assert not await store.add_event("nope", {"type": "x", "at": "2026-12-01T09:00:00+00:00"})
    assert not await store.set_intake("nope", {"data": {}})
    with pytest.raises(CallAlreadyEnded):
        await store.claim_tool_call("nope", "tc1", {"status": "ok"})
    assert await store.snapshot("nope") is None


async def test_finalize_failures_are_counted_on_the_call(store: LiveStore) -> None:
    call_id = await _closing_call(store)
    assert await store.record_finalize_failure(call_id) == 1
    assert await store.record_finalize_failure(call_id) == 2
    await store.defer_finalize(call_id, 123.5)
    call = await store.get_call(call_id, ("finalize_failures", "finalize_retry_at"))
    assert call is not None and (call.finalize_failures, call.finalize_retry_at) == (2, 123.5)
    assert await store.record_finalize_failure("nope") == 0
