"""Live call state while a call runs: the only module that knows key names, TTLs and pipelines.

Two implementations of one interface: `RedisLiveStore` here (production; every key of one call shares
the hash tag `call:{<id>}` so Redis Cluster keeps them in one slot) and `MemoryLiveStore` (the
embedded default with no REDIS_URL). Both pass the same contract tests.

Closing: finalize marks a call closing (`begin_close`) before it takes the snapshot it persists, and
every write (turns, meta, intake, events, tool calls) refuses a closing call atomically with
`CallEnding`, so a write is either in that snapshot or refused, never accepted and then deleted.
A write to a call that is gone returns None/False (or raises `CallAlreadyEnded` where no return value
can say so); nothing ever writes keys for a call that does not exist.
"""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from app.calls import live_scripts as lua
from app.calls.errors import CallAlreadyEnded, CallEnding
from app.calls.live_call import WRITABLE_FIELDS, LiveCall, encode_fields
from app.redis_client import Commands, PipelineBatcher, redis_from_url, scripts_pipelined

# The fields a writer may set (update_call); seq counters and the finalize bookkeeping stay internal.
META_FIELDS = frozenset(WRITABLE_FIELDS)


# Bookkeeping the store keeps in the meta hash beside META_FIELDS; never written through update_call.
CLOSING = "closing"
FINALIZE_FAILURES = "finalize_failures"
FINALIZE_RETRY_AT = "finalize_retry_at"


def guarded(code: int) -> bool:
    """A write script's status as a bool (False: the call is gone); a closing call raises CallEnding."""
    if code == -1:
        raise CallEnding()
    return code == 1


@dataclass(slots=True)
class LiveSnapshot:
    """Everything the live store holds for one call, turns ordered by seq."""

    call_id: str
    meta: dict[str, str]
    turns: list[dict[str, Any]] = field(default_factory=list)
    intake: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def call(self) -> LiveCall:
        """The meta, typed; ValueError if the stored meta is not a readable call."""
        return LiveCall.from_meta(self.meta)

    @property
    def org_id(self) -> uuid.UUID | None:
        """The owning org, None if unreadable: `meta` stays raw so a broken call can still be quarantined."""
        try:
            return uuid.UUID(self.meta.get("org_id") or "")
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class AppendedTurns:
    """What `append_turns_checked` read and wrote in its one step."""

    call: LiveCall  # org_id and the fields asked for, as they were before the append; the rest defaults
    accepted: list[int]


class LiveStore(ABC):
    """What the call lifecycle needs from live state. All times are epoch seconds (float).

    The meta of a call is read and written as a `LiveCall` (`start`, `get_call`, `update_call`); the
    store's strings stay behind `_read_meta` and `_write_meta`, which only the two stores implement.
    """

    async def start(self, call_id: str, call: LiveCall, *, events: Sequence[dict[str, Any]] = ()) -> bool:
        """Create the call; False if it already exists (nothing changed)."""
        return await self.create_call(
            call_id, call.to_meta(), started=call.started_at.timestamp(), events=events
        )

    async def get_call(self, call_id: str, fields: Sequence[str] | None = None) -> LiveCall | None:
        """The live call, None if there is none. With `fields`, only those are read (one HMGET on a hot
        path) and the rest hold their defaults. ValueError if a field read is not readable."""
        if fields is not None and "org_id" not in fields:
            fields = ("org_id", *fields)
        meta = await self._read_meta(call_id, fields)
        return LiveCall.from_meta(meta, partial=fields is not None) if meta is not None else None

    async def update_call(self, call_id: str, **changes: Any) -> bool:
        """Set typed fields (`escalated=True`, `end_reason=None` ...) and mark activity; False if the call
        is gone. Raises `CallEnding` (409 call_ending) while the call is closing, like every write."""
        return await self._write_meta(call_id, encode_fields(changes))

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
    async def _read_meta(self, call_id: str, fields: Sequence[str] | None = None) -> dict[str, str] | None:
        """The call's meta as stored (only `fields` when given; they include org_id), None if no such call."""

    @abstractmethod
    async def _write_meta(self, call_id: str, fields: dict[str, str]) -> bool:
        """Set stored strings on an existing call and mark activity; False if the call is gone.

        Every write below raises `CallEnding` (409 call_ending) while the call is closing.
        """

    @abstractmethod
    async def touch(self, call_id: str) -> bool:
        """Mark activity only (a heartbeat); False if the call is gone or closing. Never raises CallEnding."""

    @abstractmethod
    async def append_turns(self, call_id: str, turns: list[dict[str, Any]]) -> list[int] | None:
        """Append turns in order; returns the seqs accepted (repeats skipped), None if no such call."""

    @abstractmethod
    async def append_turns_checked(
        self, call_id: str, turns: list[dict[str, Any]], *, org_id: uuid.UUID, fields: Sequence[str]
    ) -> AppendedTurns | None:
        """`append_turns` with the read a transcript line needs, in the same atomic step: the turns go
        only to a live call of `org_id`, and `fields` are read as they were before the append. None
        (nothing written) if there is no such call of that org; CallEnding while it is closing;
        ValueError if a field read is not readable (the turns are stored by then)."""

    @abstractmethod
    async def set_intake(self, call_id: str, intake: dict[str, Any]) -> bool:
        """Replace the intake; False if the call is gone."""

    @abstractmethod
    async def add_event(self, call_id: str, event: dict[str, Any]) -> bool:
        """Append a timeline event; False if the call is gone."""

    @abstractmethod
    async def snapshot(self, call_id: str) -> LiveSnapshot | None: ...

    @abstractmethod
    async def claim_tool_call(
        self, call_id: str, tool_call_id: str, output: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Record a tool call's output once; returns the earlier output if this id was seen before.

        Raises CallAlreadyEnded if the call is gone (None would read as a first claim).
        """

    @abstractmethod
    async def begin_close(self, call_id: str) -> bool:
        """Mark the call closing, atomically with respect to every write; False if there is no such call."""

    @abstractmethod
    async def reopen(self, call_id: str) -> None:
        """Undo begin_close after a finalize that stored nothing, so the call takes writes again."""

    @abstractmethod
    async def record_finalize_failure(self, call_id: str) -> int:
        """Count one failed finalize (not an outage); returns the count so far, 0 if the call is gone."""

    @abstractmethod
    async def defer_finalize(self, call_id: str, until: float) -> None:
        """The sweeper leaves the call alone until `until` (epoch seconds): a retry's backoff."""

    @abstractmethod
    async def persistence(self) -> str:
        """Whether live calls survive a restart: aof, aof_no_fsync, rdb, none, memory or unknown."""

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
    async def cache_get_many(self, *keys: str) -> list[str | None]:
        """`cache_get` of each key, in one round trip (not one snapshot: the keys may live apart)."""

    @abstractmethod
    async def cache_set(self, key: str, value: str, ttl_seconds: int) -> None: ...

    @abstractmethod
    async def cache_delete(self, *keys: str) -> None: ...

    @abstractmethod
    async def cache_generations(self, *keys: str) -> list[str]:
        """Each key's generation ("0" until invalidated); read before the database read a cache entry is
        built from, and passed back to `cache_set_if_generation`."""

    @abstractmethod
    async def cache_set_if_generation(
        self, key: str, value: str, ttl_seconds: int, *, generation: str
    ) -> bool:
        """Write the entry only if its generation is still `generation`, atomically; False if it moved."""

    @abstractmethod
    async def cache_invalidate(self, *keys: str) -> None:
        """Bump each key's generation and delete its entry, so a reader that read the database before the
        writer committed cannot put the old value back (revocation and config changes)."""


def _accepted(raw: str) -> list[int]:
    # cjson encodes an empty Lua table as an object.
    accepted = orjson.loads(raw)
    return [int(seq) for seq in accepted] if isinstance(accepted, list) else []


def _k(call_id: str, part: str) -> str:
    return f"call:{{{call_id}}}:{part}"


_ACTIVITY = "calls:activity"
_STARTED = "calls:started"


class RedisLiveStore(LiveStore):
    def __init__(self, redis: Redis, *, ttl_seconds: int) -> None:
        self._r = redis
        self._batch = PipelineBatcher(redis)
        self._ttl = ttl_seconds
        self._append = redis.register_script(lua.APPEND_TURNS)
        self._append_checked = redis.register_script(lua.APPEND_TURNS_CHECKED)
        self._release = redis.register_script(lua.RELEASE_LOCK)
        self._create = redis.register_script(lua.CREATE_CALL)
        self._update = redis.register_script(lua.UPDATE_META)
        self._set_intake = redis.register_script(lua.SET_INTAKE)
        self._add_event = redis.register_script(lua.ADD_EVENT)
        self._claim_tool = redis.register_script(lua.CLAIM_TOOL)
        self._begin_close = redis.register_script(lua.BEGIN_CLOSE)
        self._count_failure = redis.register_script(lua.COUNT_FAILURE)
        self._set_if_exists = redis.register_script(lua.SET_IF_EXISTS)

    @classmethod
    def from_url(
        cls, url: str, *, ttl_seconds: int, socket_timeout: float = 1.0, connect_timeout: float = 1.0
    ) -> RedisLiveStore:
        # Bounded waits: a hung or unreachable Redis answers within about one time-out. A dropped
        # connection (a restart) is retried once on a fresh one; a time-out is never retried, since
        # the command may have run.
        redis = redis_from_url(
            url,
            decode_responses=True,
            socket_timeout=socket_timeout,
            socket_connect_timeout=connect_timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        return cls(redis, ttl_seconds=ttl_seconds)

    @property
    def batcher(self) -> PipelineBatcher:
        """Its pipeline batcher, for another writer to the same Redis (the live event log) to share."""
        return self._batch

    async def ping(self) -> None:
        await self._r.ping()

    async def close(self) -> None:
        await self._batch.aclose()
        await self._r.aclose()

    async def _script_pipelined(
        self,
        script: AsyncScript,
        keys: list[str],
        args: list[str | int],
        more: Callable[[Commands], object],
    ) -> list[Any]:
        """One round trip, shared with other callers' (PipelineBatcher): `script` by its sha, then the
        commands `more` adds (the indexes live in other slots, so not one transaction); the commands
        beside the script are written to allow the resend after a NOSCRIPT."""
        return await scripts_pipelined(self._batch, [(script, keys, args)], more)

    async def create_call(
        self, call_id: str, meta: dict[str, str], *, started: float, events: Sequence[dict[str, Any]] = ()
    ) -> bool:
        fields = {**meta, "next_seq": "0", "last_activity": repr(started)}
        flat = [item for pair in fields.items() for item in pair]
        args: list[str | int] = [orjson.dumps(flat).decode(), self._ttl]
        args += [orjson.dumps(event).decode() for event in events]

        def index(pipe: Commands) -> None:
            # NX keeps a repeated create (or the NOSCRIPT retry) from moving an existing call's start.
            pipe.zadd(_ACTIVITY, {call_id: started}, nx=True)
            pipe.zadd(_STARTED, {call_id: started}, nx=True)

        created, _, _ = await self._script_pipelined(
            self._create, [_k(call_id, "meta"), _k(call_id, "events")], args, index
        )
        return bool(created)

    async def _read_meta(self, call_id: str, fields: Sequence[str] | None = None) -> dict[str, str] | None:
        if fields is None:
            meta = cast(dict[str, str], await self._r.hgetall(_k(call_id, "meta")))
            return meta or None
        # The transcript hot path reads a few fields, not the whole hash.
        values = cast(list[str | None], await self._r.hmget(_k(call_id, "meta"), list(fields)))
        found = {name: value for name, value in zip(fields, values, strict=True) if value is not None}
        return found if found.get("org_id") else None

    async def _write_meta(self, call_id: str, fields: dict[str, str]) -> bool:
        unknown = set(fields) - META_FIELDS
        if unknown:
            raise ValueError(f"unknown live meta fields: {sorted(unknown)}")
        now = time.time()
        flat = [item for pair in {**fields, "last_activity": repr(now)}.items() for item in pair]
        # Only an existing call is updated: a late write must never resurrect a finalized call.
        return guarded(await self._update_meta(call_id, flat, now))

    async def touch(self, call_id: str) -> bool:
        now = time.time()
        return await self._update_meta(call_id, ["last_activity", repr(now)], now) == 1

    async def _update_meta(self, call_id: str, flat: list[str], now: float) -> int:
        # One round trip: the activity index is only moved for a call it holds (XX), as on append.
        code, _ = await self._script_pipelined(
            self._update,
            [_k(call_id, "meta")],
            [orjson.dumps(flat).decode()],
            lambda pipe: pipe.zadd(_ACTIVITY, {call_id: now}, xx=True),
        )
        return int(code)

    async def append_turns(self, call_id: str, turns: list[dict[str, Any]]) -> list[int] | None:
        now = time.time()
        # The activity index rides in the append's round trip. XX only moves a member that is there, so
        # a write refused because the call is gone cannot put a finalized call back in the index.
        raw, _ = await self._script_pipelined(
            self._append,
            [_k(call_id, "meta"), _k(call_id, "turns")],
            [orjson.dumps(turns).decode(), repr(now), self._ttl],
            lambda pipe: pipe.zadd(_ACTIVITY, {call_id: now}, xx=True),
        )
        if raw is None or raw == 0:
            return None
        if raw == -1:
            raise CallEnding()
        return _accepted(raw)

    async def append_turns_checked(
        self, call_id: str, turns: list[dict[str, Any]], *, org_id: uuid.UUID, fields: Sequence[str]
    ) -> AppendedTurns | None:
        now = time.time()
        org = str(org_id)
        # The transcript hot path (two lines a call-second on the phone relay): one round trip for the
        # org check, the read, the append and the activity index.
        raw, _ = await self._script_pipelined(
            self._append_checked,
            [_k(call_id, "meta"), _k(call_id, "turns")],
            [orjson.dumps(turns).decode(), repr(now), self._ttl, org, *fields],
            lambda pipe: pipe.zadd(_ACTIVITY, {call_id: now}, xx=True),
        )
        if not isinstance(raw, list):
            if raw == -1:
                raise CallEnding()
            return None
        meta = {"org_id": org}
        meta.update((name, value) for name, value in zip(fields, raw[1:], strict=False) if value is not None)
        return AppendedTurns(call=LiveCall.from_meta(meta, partial=True), accepted=_accepted(raw[0]))

    async def set_intake(self, call_id: str, intake: dict[str, Any]) -> bool:
        keys = [_k(call_id, "meta"), _k(call_id, "intake")]
        code = await self._set_intake(keys=keys, args=[orjson.dumps(intake).decode(), self._ttl])
        return guarded(int(code))

    async def add_event(self, call_id: str, event: dict[str, Any]) -> bool:
        keys = [_k(call_id, "meta"), _k(call_id, "events")]
        code = await self._add_event(keys=keys, args=[orjson.dumps(event).decode(), self._ttl])
        return guarded(int(code))

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
        keys = [_k(call_id, "meta"), _k(call_id, "tools")]
        result = await self._claim_tool(
            keys=keys, args=[tool_call_id, orjson.dumps(output).decode(), self._ttl]
        )
        if isinstance(result, str):
            previous: dict[str, Any] = orjson.loads(result)
            return previous
        if not guarded(int(result)):
            raise CallAlreadyEnded()
        return None

    async def list_stale(self, *, idle_before: float, started_before: float, limit: int = 100) -> list[str]:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(_ACTIVITY, "-inf", idle_before, start=0, num=limit)
            pipe.zrangebyscore(_STARTED, "-inf", started_before, start=0, num=limit)
            idle, old = await pipe.execute()
        return list(dict.fromkeys([*idle, *old]))[:limit]

    async def begin_close(self, call_id: str) -> bool:
        return bool(await self._begin_close(keys=[_k(call_id, "meta")]))

    async def reopen(self, call_id: str) -> None:
        await self._r.hdel(_k(call_id, "meta"), CLOSING)

    async def record_finalize_failure(self, call_id: str) -> int:
        return int(await self._count_failure(keys=[_k(call_id, "meta")]))

    async def defer_finalize(self, call_id: str, until: float) -> None:
        await self._set_if_exists(keys=[_k(call_id, "meta")], args=[FINALIZE_RETRY_AT, repr(until)])

    async def persistence(self) -> str:
        try:
            config = await self._r.config_get("appendonly")
            if config.get("appendonly") == "yes":
                fsync = (await self._r.config_get("appendfsync")).get("appendfsync")
                return "aof_no_fsync" if fsync == "no" else "aof"
            return "rdb" if (await self._r.config_get("save")).get("save") else "none"
        except ResponseError:
            # CONFIG is often disabled on managed Redis; INFO says less but is always there.
            info = await self._r.info("persistence")
            if info.get("aof_enabled") in (1, "1"):
                return "aof"
            return "unknown"

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
        return cast(str | None, await self._r.get(_cache_key(key)))

    async def cache_get_many(self, *keys: str) -> list[str | None]:
        # A pipeline, not MGET: the entries carry their own hash tags, so under Cluster they may sit in
        # different slots.
        async with self._r.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(_cache_key(key))
            return cast(list[str | None], await pipe.execute())

    async def cache_set(self, key: str, value: str, ttl_seconds: int) -> None:
        await self._r.set(_cache_key(key), value, ex=ttl_seconds)

    async def cache_delete(self, *keys: str) -> None:
        if keys:
            await self._r.delete(*(_cache_key(key) for key in keys))

    async def cache_generations(self, *keys: str) -> list[str]:
        values = cast(list[str | None], await self._r.mget([_cache_key(key, "gen") for key in keys]))
        return [value or "0" for value in values]

    async def cache_set_if_generation(
        self, key: str, value: str, ttl_seconds: int, *, generation: str
    ) -> bool:
        script = self._r.register_script(_SET_IF_GENERATION)
        keys = [_cache_key(key), _cache_key(key, "gen")]
        return bool(await script(keys=keys, args=[value, ttl_seconds, generation]))

    async def cache_invalidate(self, *keys: str) -> None:
        script = self._r.register_script(_INVALIDATE)
        async with self._r.pipeline(transaction=False) as pipe:
            for key in keys:
                await script(
                    keys=[_cache_key(key), _cache_key(key, "gen")], args=[GENERATION_TTL], client=pipe
                )
            await pipe.execute()


# An entry and its generation share a hash tag, so the two scripts below stay single-slot (Cluster).
_SET_IF_GENERATION = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""
_INVALIDATE = """
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
"""
# Outlives any request that read a generation before an invalidation (it must not find "0" again).
GENERATION_TTL = 24 * 3600


def _cache_key(key: str, part: str = "entry") -> str:
    return f"cache:{{{key}}}:{part}"
