"""The typed live call: one conversion to and from the store's strings, on both stores."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from app.calls.live_call import LiveCall, encode_fields
from app.calls.live_memory import MemoryLiveStore
from app.calls.live_store import LiveStore, RedisLiveStore

ORG = uuid.UUID("00000000-0000-4000-8000-000000000001")


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


def _call(**changes: object) -> LiveCall:
    values: dict[str, object] = {
        "org_id": ORG,
        "channel": "phone",
        "started_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        "config_version": 7,
        "prompt_hash": "sha256:abc",
        "metadata": {"ticket": 12, "tags": ["a"]},
        **changes,
    }
    return LiveCall(**values)  # type: ignore[arg-type]


def test_meta_strings_round_trip_to_the_same_call() -> None:
    call = _call(escalated=True, urgency="urgent", caller_name=None)
    meta = call.to_meta()
    assert meta["escalated"] == "1" and meta["caller_name"] == "" and meta["config_version"] == "7"
    assert LiveCall.from_meta(meta) == call


def test_store_kept_and_unknown_fields_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="closing"):
        encode_fields({"closing": True})
    with pytest.raises(ValueError, match="nope"):
        encode_fields({"nope": 1})


async def test_typed_start_update_and_read(store: LiveStore) -> None:
    assert await store.start("c1", _call())
    assert not await store.start("c1", _call())
    assert await store.update_call("c1", escalated=True, escalation_reason="chest pain", urgency="emergency")
    call = await store.get_call("c1")
    assert call is not None
    assert (call.escalated, call.urgency, call.metadata, call.org_id) == (
        True,
        "emergency",
        {"ticket": 12, "tags": ["a"]},
        ORG,
    )
    assert call.closing is False and call.next_seq == 0
    assert await store.get_call("missing") is None
    assert not await store.update_call("missing", urgency="urgent")


async def test_touch_marks_activity_only(store: LiveStore) -> None:
    assert await store.start("c1", _call())
    before = await store.get_call("c1")
    assert await store.touch("c1")
    after = await store.get_call("c1")
    assert before is not None and after is not None
    assert after.last_activity is not None and after.last_activity >= (before.last_activity or 0)
    assert after.channel == "phone"
    assert await store.list_stale(idle_before=time.time() - 60, started_before=0) == []
    assert not await store.touch("missing")


def test_salvage_keeps_what_decodes_of_a_meta_that_is_not_a_call() -> None:
    meta = {**_call(escalated=True, urgency="emergency").to_meta(), "config_version": "not-a-number"}
    meta["org_id"] = "not-a-uuid"
    with pytest.raises(ValueError):
        LiveCall.from_meta(meta)
    kept = LiveCall.salvage(meta)
    assert (kept.escalated, kept.urgency, kept.channel) == (True, "emergency", "phone")
    assert (kept.config_version, kept.org_id) == (0, uuid.UUID(int=0))
