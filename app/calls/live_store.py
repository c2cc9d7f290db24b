"""Live call state while a call runs: the only module that knows key names, TTLs and pipelines.

Two implementations of one interface: `RedisLiveStore` here (production; every key of one call shares
the hash tag `call:{<id>}` so Redis Cluster keeps them in one slot) and `MemoryLiveStore` (the
embedded default with no REDIS_URL). Both pass the same contract tests.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from redis.asyncio import Redis

# Turn appends are one atomic script: a repeated seq is ignored, a missing seq gets the next one.
_APPEND_TURNS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local next_seq = tonumber(redis.call('HGET', KEYS[1], 'next_seq') or '0')
local accepted = {}
for _, turn in ipairs(cjson.decode(ARGV[1])) do
  local seq = turn['seq']
  if seq == nil or seq == cjson.null then seq = next_seq end
  turn['seq'] = seq
  if redis.call('HSETNX', KEYS[2], tostring(seq), cjson.encode(turn)) == 1 then
    accepted[#accepted + 1] = seq
    if seq >= next_seq then next_seq = seq + 1 end
  end
end
redis.call('HSET', KEYS[1], 'next_seq', next_seq, 'last_activity', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return cjson.encode(accepted)
"""

_CREATE_CALL = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
redis.call('EXPIRE', KEYS[1], ARGV[2])
for i = 3, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
if #ARGV >= 3 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1
"""

_UPDATE_META = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
return 1
"""

_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Only the fields listed here may be updated through update_meta; seq counters stay internal.
META_FIELDS = frozenset(
    {
        "org_id",
        "channel",
        "status",
        "started_at",
        "last_activity",
        "from_number",
        "caller_name",
        "config_version",
        "prompt_hash",
        "escalated",
        "escalation_reason",
        "escalation_urgency",
        "urgency",
        "end_reason",
        "ended_at",
        "twilio_call_sid",
        "metadata",
    }
)


@dataclass(slots=True)
class LiveSnapshot:
    """Everything the live store holds for one call, turns ordered by seq."""

    call_id: str
    meta: dict[str, str]
    turns: list[dict[str, Any]] = field(default_factory=list)
    intake: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


class LiveStore(ABC):
    """What the call lifecycle needs from live state. All times are epoch seconds (float)."""

    @abstractmethod
    async def ping(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def create_call(
        self, call_id: str, meta: dict[str, str], *, started: float, events: Sequence[dict[str, Any]] = ()
    ) -> bool:
        """Create the call with its first events; False if it already exists (nothing changed)."""

    @abstractmethod
    async def get_meta(self, call_id: str, fields: Sequence[str] | None = None) -> dict[str, str] | None:
        """The call's meta (only `fields` when given; they must include org_id), None if no such call."""

    @abstractmethod
    async def update_meta(self, call_id: str, fields: dict[str, str]) -> bool:
        """Set fields on an existing call and mark activity; False if the call is gone."""

    @abstractmethod
    async def append_turns(self, call_id: str, turns: list[dict[str, Any]]) -> list[int] | None:
        """Append turns in order; returns the seqs accepted (repeats skipped), None if no such call."""

    @abstractmethod
    async def set_intake(self, call_id: str, intake: dict[str, Any]) -> None: ...

    @abstractmethod
    async def add_event(self, call_id: str, event: dict[str, Any]) -> None: ...

    @abstractmethod
    async def snapshot(self, call_id: str) -> LiveSnapshot | None: ...

    @abstractmethod
    async def claim_tool_call(
        self, call_id: str, tool_call_id: str, output: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Record a tool call's output once; returns the earlier output if this id was seen before."""

    @abstractmethod
    async def list_stale(self, *, idle_before: float, started_before: float, limit: int = 100) -> list[str]:
        """Calls idle since before `idle_before` or started before `started_before`."""

    @abstractmethod
    async def delete_call(self, call_id: str) -> None: ...

    @abstractmethod
    async def acquire_lock(self, name: str, token: str, ttl_seconds: float) -> bool: ...

    @abstractmethod
    async def release_lock(self, name: str, token: str) -> None: ...

    @abstractmethod
    async def put_token(self, token: str, value: str, ttl_seconds: int) -> None: ...

    @abstractmethod
    async def take_token(self, token: str) -> str | None:
        """Return and delete a single-use token's value (None if unknown, expired or used)."""

    @abstractmethod
    async def bind_external_id(self, kind: str, external_id: str, call_id: str, ttl_seconds: int) -> str:
        """Map e.g. a Twilio CallSid to a call once; returns the call id that holds the mapping."""

    @abstractmethod
    async def lookup_external_id(self, kind: str, external_id: str) -> str | None: ...

    @abstractmethod
    async def cache_get(self, key: str) -> str | None:
        """A short-lived shared cache (authenticated keys, org configs), invalidated by writers."""

    @abstractmethod
    async def cache_set(self, key: str, value: str, ttl_seconds: int) -> None: ...

    @abstractmethod
    async def cache_delete(self, *keys: str) -> None: ...


def _k(call_id: str, part: str) -> str:
    return f"call:{{{call_id}}}:{part}"


_ACTIVITY = "calls:activity"
_STARTED = "calls:started"


class RedisLiveStore(LiveStore):
    def __init__(self, redis: Redis, *, ttl_seconds: int) -> None:
        self._r = redis
        self._ttl = ttl_seconds
        self._append = redis.register_script(_APPEND_TURNS)
        self._release = redis.register_script(_RELEASE_LOCK)
        self._create = redis.register_script(_CREATE_CALL)
        self._update = redis.register_script(_UPDATE_META)

    @classmethod
    def from_url(cls, url: str, *, ttl_seconds: int) -> RedisLiveStore:
        return cls(Redis.from_url(url, decode_responses=True), ttl_seconds=ttl_seconds)

    async def ping(self) -> None:
        await self._r.ping()

    async def close(self) -> None:
        await self._r.aclose()

    async def _mark_active(self, call_id: str, now: float) -> None:
        await self._r.zadd(_ACTIVITY, {call_id: now})

    async def create_call(
        self, call_id: str, meta: dict[str, str], *, started: float, events: Sequence[dict[str, Any]] = ()
    ) -> bool:
        fields = {**meta, "next_seq": "0", "last_activity": repr(started)}
        flat = [item for pair in fields.items() for item in pair]
        args: list[str | int] = [orjson.dumps(flat).decode(), self._ttl]
        args += [orjson.dumps(event).decode() for event in events]
        # One round trip: the indexes live in other slots, so they ride in the same (non-atomic)
        # pipeline; NX keeps a repeated create from moving an existing call's start.
        async with self._r.pipeline(transaction=False) as pipe:
            await self._create(keys=[_k(call_id, "meta"), _k(call_id, "events")], args=args, client=pipe)
            pipe.zadd(_ACTIVITY, {call_id: started}, nx=True)
            pipe.zadd(_STARTED, {call_id: started}, nx=True)
            created, _, _ = await pipe.execute()
        return bool(created)

    async def get_meta(self, call_id: str, fields: Sequence[str] | None = None) -> dict[str, str] | None:
        if fields is None:
            meta = cast(dict[str, str], await self._r.hgetall(_k(call_id, "meta")))
            return meta or None
        # The transcript hot path reads a few fields, not the whole hash.
        values = cast(list[str | None], await self._r.hmget(_k(call_id, "meta"), list(fields)))
        found = {name: value for name, value in zip(fields, values, strict=True) if value is not None}
        return found if found.get("org_id") else None

    async def update_meta(self, call_id: str, fields: dict[str, str]) -> bool:
        unknown = set(fields) - META_FIELDS
        if unknown:
            raise ValueError(f"unknown live meta fields: {sorted(unknown)}")
        now = time.time()
        flat = [item for pair in {**fields, "last_activity": repr(now)}.items() for item in pair]
        # Only an existing call is updated: a late write must never resurrect a finalized call.
        if not await self._update(keys=[_k(call_id, "meta")], args=[orjson.dumps(flat).decode()]):
            return False
        await self._mark_active(call_id, now)
        return True

    async def append_turns(self, call_id: str, turns: list[dict[str, Any]]) -> list[int] | None:
        now = time.time()
        raw = await self._append(
            keys=[_k(call_id, "meta"), _k(call_id, "turns")],
            args=[orjson.dumps(turns).decode(), repr(now), self._ttl],
        )
        if raw is None:
            return None
        await self._mark_active(call_id, now)
        # cjson encodes an empty Lua table as an object.
        accepted = orjson.loads(raw)
        return [int(seq) for seq in accepted] if isinstance(accepted, list) else []

    async def set_intake(self, call_id: str, intake: dict[str, Any]) -> None:
        await self._r.set(_k(call_id, "intake"), orjson.dumps(intake), ex=self._ttl)

    async def add_event(self, call_id: str, event: dict[str, Any]) -> None:
        key = _k(call_id, "events")
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.rpush(key, orjson.dumps(event))
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def snapshot(self, call_id: str) -> LiveSnapshot | None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hgetall(_k(call_id, "meta"))
            pipe.hvals(_k(call_id, "turns"))
            pipe.get(_k(call_id, "intake"))
            pipe.lrange(_k(call_id, "events"), 0, -1)
            meta, turns, intake, events = await pipe.execute()
        if not meta:
            return None
        decoded_turns = sorted((orjson.loads(t) for t in turns), key=lambda t: int(t["seq"]))
        return LiveSnapshot(
            call_id=call_id,
            meta=meta,
            turns=decoded_turns,
            intake=orjson.loads(intake) if intake else None,
            events=[orjson.loads(e) for e in events],
        )

    async def claim_tool_call(
        self, call_id: str, tool_call_id: str, output: dict[str, Any]
    ) -> dict[str, Any] | None:
        key = _k(call_id, "tools")
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, tool_call_id, orjson.dumps(output))
            pipe.hget(key, tool_call_id)
            pipe.expire(key, self._ttl)
            created, stored, _ = await pipe.execute()
        if created:
            return None
        previous: dict[str, Any] = orjson.loads(stored)
        return previous

    async def list_stale(self, *, idle_before: float, started_before: float, limit: int = 100) -> list[str]:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(_ACTIVITY, "-inf", idle_before, start=0, num=limit)
            pipe.zrangebyscore(_STARTED, "-inf", started_before, start=0, num=limit)
            idle, old = await pipe.execute()
        return list(dict.fromkeys([*idle, *old]))[:limit]

    async def delete_call(self, call_id: str) -> None:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.delete(*(_k(call_id, part) for part in ("meta", "turns", "intake", "events", "tools")))
            pipe.zrem(_ACTIVITY, call_id)
            pipe.zrem(_STARTED, call_id)
            await pipe.execute()

    async def acquire_lock(self, name: str, token: str, ttl_seconds: float) -> bool:
        return bool(await self._r.set(f"lock:{{{name}}}", token, nx=True, px=int(ttl_seconds * 1000)))

    async def release_lock(self, name: str, token: str) -> None:
        await self._release(keys=[f"lock:{{{name}}}"], args=[token])

    async def put_token(self, token: str, value: str, ttl_seconds: int) -> None:
        await self._r.set(f"token:{token}", value, ex=ttl_seconds)

    async def take_token(self, token: str) -> str | None:
        return cast(str | None, await self._r.getdel(f"token:{token}"))

    async def bind_external_id(self, kind: str, external_id: str, call_id: str, ttl_seconds: int) -> str:
        key = f"ext:{kind}:{external_id}"
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.set(key, call_id, nx=True, ex=ttl_seconds)
            pipe.get(key)
            _, holder = await pipe.execute()
        return str(holder)

    async def lookup_external_id(self, kind: str, external_id: str) -> str | None:
        return cast(str | None, await self._r.get(f"ext:{kind}:{external_id}"))

    async def cache_get(self, key: str) -> str | None:
        return cast(str | None, await self._r.get(f"cache:{key}"))

    async def cache_set(self, key: str, value: str, ttl_seconds: int) -> None:
        await self._r.set(f"cache:{key}", value, ex=ttl_seconds)

    async def cache_delete(self, *keys: str) -> None:
        if keys:
            await self._r.delete(*(f"cache:{key}" for key in keys))
