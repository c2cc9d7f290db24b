"""One contract, two stores: the Redis store against the real server and the in-process one."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.calls.errors import CallEnding
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


ORG = "00000000-0000-4000-8000-0000000000a1"


def _meta(**extra: str) -> dict[str, str]:
    """A call as the store keeps it (its strings), for the raw create_call."""
    return {
        "org_id": ORG,
        "channel": "browser",
        "status": "active",
        "started_at": "2026-12-01T09:00:00+00:00",
        "config_version": "3",
        "prompt_hash": "sha256:abc",
        **extra,
    }


async def test_create_call_once(store: LiveStore) -> None:
    assert await store.create_call("c1", _meta(), started=time.time())
    assert not await store.create_call("c1", _meta(status="other"), started=time.time())
    call = await store.get_call("c1")
    assert call is not None and call.status == "active"


async def test_unknown_call_reads_as_none(store: LiveStore) -> None:
    assert await store.get_call("nope") is None
    assert await store.snapshot("nope") is None
    assert await store.append_turns("nope", [{"speaker": "caller", "text": "hi"}]) is None
    assert not await store.update_call("nope", status="ended")


async def test_append_turns_assigns_seq_and_ignores_repeats(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    first = await store.append_turns(
        "c1",
        [{"speaker": "agent", "text": "Hello", "at": "t0"}, {"speaker": "caller", "text": "Hi", "at": "t1"}],
    )
    assert first == [0, 1]
    repeat = await store.append_turns("c1", [{"speaker": "caller", "text": "Hi again", "seq": 1, "at": "t1"}])
    assert repeat == []
    more = await store.append_turns("c1", [{"speaker": "agent", "text": "How can I help?", "at": "t2"}])
    assert more == [2]
    snapshot = await store.snapshot("c1")
    assert snapshot is not None
    assert [(t["seq"], t["text"]) for t in snapshot.turns] == [
        (0, "Hello"),
        (1, "Hi"),
        (2, "How can I help?"),
    ]


async def test_explicit_seq_out_of_order_is_kept_sorted(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    await store.append_turns("c1", [{"speaker": "caller", "text": "third", "seq": 12}])
    await store.append_turns("c1", [{"speaker": "caller", "text": "first", "seq": 3}])
    await store.append_turns("c1", [{"speaker": "caller", "text": "next"}])
    snapshot = await store.snapshot("c1")
    assert snapshot is not None
    assert [t["seq"] for t in snapshot.turns] == [3, 12, 13]


async def test_concurrent_appends_lose_nothing(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    await asyncio.gather(
        *(store.append_turns("c1", [{"speaker": "caller", "text": f"line {i}"}]) for i in range(50))
    )
    snapshot = await store.snapshot("c1")
    assert snapshot is not None
    assert sorted(t["seq"] for t in snapshot.turns) == list(range(50))
    assert {t["text"] for t in snapshot.turns} == {f"line {i}" for i in range(50)}


async def test_unicode_text_round_trips(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    await store.append_turns("c1", [{"speaker": "caller", "text": "me duele el pecho, ¿qué hago? 😟"}])
    snapshot = await store.snapshot("c1")
    assert snapshot is not None and snapshot.turns[0]["text"] == "me duele el pecho, ¿qué hago? 😟"


async def test_intake_events_and_meta_round_trip(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    await store.set_intake("c1", {"data": {"caller_name": "Ana"}, "urgency": "routine"})
    await store.add_event("c1", {"type": "call_started", "at": "t0"})
    await store.add_event("c1", {"type": "escalated", "at": "t1"})
    assert await store.update_call("c1", status="ending", escalated=True)
    snapshot = await store.snapshot("c1")
    assert snapshot is not None
    assert snapshot.intake == {"data": {"caller_name": "Ana"}, "urgency": "routine"}
    assert [e["type"] for e in snapshot.events] == ["call_started", "escalated"]
    assert snapshot.meta["status"] == "ending" and snapshot.meta["escalated"] == "1"


async def test_update_call_refuses_store_kept_fields(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    with pytest.raises(ValueError, match="next_seq"):
        await store.update_call("c1", next_seq=0)


async def test_tool_call_claimed_once(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    assert await store.claim_tool_call("c1", "tc1", {"ok": True}) is None
    assert await store.claim_tool_call("c1", "tc1", {"ok": False}) == {"ok": True}


async def test_list_stale_finds_idle_and_old_calls(store: LiveStore) -> None:
    now = time.time()
    await store.create_call("old", _meta(), started=now - 10_000)
    await store.create_call("fresh", _meta(), started=now)
    await store.update_call("old", status="active")  # activity now, but started long ago
    await store.create_call("idle", _meta(), started=now - 500)
    stale = await store.list_stale(idle_before=now - 300, started_before=now - 3600)
    assert set(stale) == {"old", "idle"}


async def test_touch_and_update_move_activity_and_never_revive_a_deleted_call(store: LiveStore) -> None:
    now = time.time()
    await store.create_call("touched", _meta(), started=now - 500)
    await store.create_call("updated", _meta(), started=now - 500)
    await store.create_call("gone", _meta(), started=now - 500)
    assert await store.touch("touched") and await store.update_call("updated", status="active")
    await store.delete_call("gone")
    assert not await store.touch("gone") and not await store.update_call("gone", status="active")
    # Neither idle any more; the deleted call is not put back in the index by the late writes.
    assert await store.list_stale(idle_before=now - 300, started_before=now - 3600) == []
    assert "gone" not in await store.list_stale(idle_before=time.time() + 1, started_before=time.time() + 1)


async def test_delete_call_removes_everything(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time() - 10_000)
    await store.append_turns("c1", [{"speaker": "caller", "text": "hi"}])
    await store.delete_call("c1")
    assert await store.snapshot("c1") is None
    assert await store.list_stale(idle_before=time.time(), started_before=time.time()) == []


async def test_lock_is_exclusive_and_released_by_owner_only(store: LiveStore) -> None:
    assert await store.acquire_lock("finalize:c1", "a", 5)
    assert not await store.acquire_lock("finalize:c1", "b", 5)
    await store.release_lock("finalize:c1", "b")
    assert not await store.acquire_lock("finalize:c1", "b", 5)
    await store.release_lock("finalize:c1", "a")
    assert await store.acquire_lock("finalize:c1", "b", 5)


async def test_lock_expires(store: LiveStore) -> None:
    assert await store.acquire_lock("l", "a", 0.05)
    await asyncio.sleep(0.1)
    assert await store.acquire_lock("l", "b", 5)


async def test_token_is_single_use(store: LiveStore) -> None:
    await store.put_token("tok", "c1", 60)
    assert await store.take_token("tok") == "c1"
    assert await store.take_token("tok") is None
    assert await store.take_token("never") is None


async def test_external_id_binds_once(store: LiveStore) -> None:
    assert await store.bind_external_id("twilio", "CA1", "c1", 60) == "c1"
    assert await store.bind_external_id("twilio", "CA1", "c2", 60) == "c1"
    assert await store.lookup_external_id("twilio", "CA1") == "c1"
    assert await store.lookup_external_id("twilio", "CA2") is None


async def test_redis_keys_of_one_call_share_a_hash_tag(redis_url: str, redis_client: Redis) -> None:
    store = RedisLiveStore.from_url(redis_url, ttl_seconds=3600)
    await store.create_call("c1", _meta(), started=time.time())
    await store.append_turns("c1", [{"speaker": "caller", "text": "hi"}])
    await store.set_intake("c1", {"data": {}})
    await store.add_event("c1", {"type": "x"})
    try:
        keys = await redis_client.keys("call:*")
        assert len(keys) == 4
        assert all(k.startswith("call:{c1}:") for k in keys)
        ttls = [await redis_client.ttl(k) for k in keys]
        assert all(0 < ttl <= 3600 for ttl in ttls)
    finally:
        await store.close()


async def test_get_call_reads_only_asked_fields(store: LiveStore) -> None:
    await store.create_call("c1", _meta(caller_name="Ana", escalated="1"), started=time.time())
    call = await store.get_call("c1", ("status", "escalated"))
    assert call is not None and (str(call.org_id), call.status, call.escalated) == (ORG, "active", True)
    # Not read: the defaults, never the stored values.
    assert (call.caller_name, call.channel, call.config_version) == (None, "", 0)
    assert await store.get_call("nope", ("status",)) is None


async def test_unreadable_field_fails_only_the_reads_that_ask_for_it(store: LiveStore) -> None:
    await store.create_call("c1", _meta(config_version="not-a-number"), started=time.time())
    with pytest.raises(ValueError):
        await store.get_call("c1")
    call = await store.get_call("c1", ("status",))
    assert call is not None and call.status == "active"


async def test_create_call_stores_first_events(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time(), events=[{"type": "call_started", "at": "t0"}])
    snapshot = await store.snapshot("c1")
    assert snapshot is not None and [e["type"] for e in snapshot.events] == ["call_started"]


async def test_meta_reports_next_seq(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    await store.append_turns("c1", [{"speaker": "caller", "text": "a"}, {"speaker": "agent", "text": "b"}])
    call = await store.get_call("c1")
    selected = await store.get_call("c1", ("next_seq",))
    assert call is not None and selected is not None and call.next_seq == selected.next_seq == 2


async def test_checked_append_reads_fields_as_before_and_appends(store: LiveStore) -> None:
    await store.create_call("c1", _meta(escalated="1", urgency="urgent"), started=time.time())
    await store.append_turns("c1", [{"speaker": "caller", "text": "first"}])
    turn = [{"speaker": "caller", "text": "second"}]
    appended = await store.append_turns_checked(
        "c1", turn, org_id=uuid.UUID(ORG), fields=("escalated", "urgency")
    )
    assert appended is not None and appended.accepted == [1]
    call = appended.call
    assert (str(call.org_id), call.escalated, call.urgency, call.status) == (ORG, True, "urgent", "active")
    snapshot = await store.snapshot("c1")
    assert snapshot is not None and [t["text"] for t in snapshot.turns] == ["first", "second"]


async def test_checked_append_writes_nothing_to_another_orgs_or_a_missing_call(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    other = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
    turn = [{"speaker": "caller", "text": "hi"}]
    assert await store.append_turns_checked("c1", turn, org_id=other, fields=("escalated",)) is None
    assert await store.append_turns_checked("nope", turn, org_id=uuid.UUID(ORG), fields=()) is None
    await store.begin_close("c1")
    # Another org's closing call is still not found, never "ending".
    assert await store.append_turns_checked("c1", turn, org_id=other, fields=()) is None
    snapshot = await store.snapshot("c1")
    assert snapshot is not None and snapshot.turns == []
    assert await store.get_call("nope") is None


async def test_checked_append_refuses_a_closing_call(store: LiveStore) -> None:
    await store.create_call("c1", _meta(), started=time.time())
    await store.begin_close("c1")
    with pytest.raises(CallEnding):
        await store.append_turns_checked(
            "c1", [{"speaker": "caller", "text": "late"}], org_id=uuid.UUID(ORG), fields=("urgency",)
        )
    snapshot = await store.snapshot("c1")
    assert snapshot is not None and snapshot.turns == []


async def test_pipelined_scripts_load_a_script_the_server_lacks(redis_url: str, redis_client: Redis) -> None:
    # As after a Redis restart or SCRIPT FLUSH (not run here: it would reach every test on the server),
    # the store holds shas the server does not know: each pipelined script loads itself once and runs.
    store = RedisLiveStore.from_url(redis_url, ttl_seconds=3600)
    try:
        for script in (store._create, store._append, store._append_checked):
            script.sha = "0" * 40
        assert await store.create_call("c1", _meta(), started=time.time())
        assert await store.append_turns("c1", [{"speaker": "caller", "text": "a"}]) == [0]
        appended = await store.append_turns_checked(
            "c1", [{"speaker": "caller", "text": "b"}], org_id=uuid.UUID(ORG), fields=("status",)
        )
        assert appended is not None and appended.accepted == [1]
        assert await redis_client.zscore("calls:activity", "c1") is not None
        assert store._append_checked.sha != "0" * 40
    finally:
        await store.close()
