"""Concurrency slots: one lease per live call, per org and platform-wide, timed by the Redis server clock.

A slot is a member of a sorted set scored by its lease expiry in ms, computed from `TIME` inside the
script, so no app clock takes part. Acquire drops expired members first and refuses when full; the
member is the call id, so a retried webhook (same CallSid -> same call id) takes no second slot. The
call's owner renews every third of the lease; a worker that dies stops renewing and its slots come
back one lease later by themselves. Release is an idempotent ZREM, safe on every end path.

A set's key expires one lease after its longest lease (only ever extended), so an org with no calls
leaves nothing behind. Both sets share the `{slots}` hash tag so one script can touch them on Redis
Cluster. A cap is soft admission control, not mutual exclusion: a lost lease (renew finds no member)
is logged, and the call goes on. `MemorySlots` is the same interface for the embedded (no REDIS_URL) default.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from app import metrics
from app.errors import AppError
from app.redis_client import redis_from_url
from app.settings import Settings

if TYPE_CHECKING:
    from app.state import AppState

log = logging.getLogger("callintake.slots")

EXTRAS_KEY = "slots"
Refusal = Literal["org", "platform"]

_PLATFORM_KEY = "slots:{slots}:platform"

# KEYS: org set, platform set. ARGV: call id, lease ms, org limit (-1 none), platform limit (-1 none),
# platform member. Returns {granted 0/1, active in the org, code}: code 0 new, 1 held already (a retry),
# 2 org full, 3 platform full.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
local active = redis.call('ZCARD', KEYS[1])
if not held then
  local limit = tonumber(ARGV[3])
  if limit >= 0 and active >= limit then return {0, active, 2} end
  local platform = tonumber(ARGV[4])
  if platform >= 0 and redis.call('ZCARD', KEYS[2]) >= platform then return {0, active, 3} end
  active = active + 1
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('ZADD', KEYS[2], now + lease, ARGV[5])
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < lease then redis.call('PEXPIRE', key, lease) end
end
if held then return {1, active, 1} end
return {1, active, 0}
"""

# Same keys and members; ARGV: call id, lease ms, platform member. 1 renewed, 0 the lease was lost.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not score) or tonumber(score) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[3])
  return 0
end
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[1])
redis.call('ZADD', KEYS[2], now + lease, ARGV[3])
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < lease then redis.call('PEXPIRE', key, lease) end
end
return 1
"""

_COUNT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""


def _org_key(org_id: str) -> str:
    return f"slots:{{slots}}:org:{org_id}"


@dataclass(frozen=True, slots=True)
class Admission:
    granted: bool
    active: int  # the org's live calls holding a slot, this one included when granted
    repeated: bool = False  # the call already held its slot (a retried webhook)
    refused_by: Refusal | None = None


class ConcurrencyLimitReached(AppError):
    """A browser or REST call over its org's (or the platform's) cap; `Retry-After` says when to retry."""

    status_code = 429
    code = "concurrency_limit_reached"
    message = "the organization has reached its concurrent call limit; retry shortly"

    def __init__(self, *, retry_after: int, limit: int | None, active: int) -> None:
        super().__init__(
            details={"max_concurrent_calls": limit, "live_calls": active},
            headers={"Retry-After": str(retry_after)},
        )


class Slots(ABC):
    @abstractmethod
    async def acquire(
        self,
        org_id: str,
        call_id: str,
        *,
        limit: int | None,
        platform_limit: int | None,
        lease_seconds: float,
    ) -> Admission: ...

    @abstractmethod
    async def renew(self, org_id: str, call_id: str, *, lease_seconds: float) -> bool:
        """Extend a held lease; False if it was lost (expired or released), which is never re-taken."""

    @abstractmethod
    async def release(self, org_id: str, call_id: str) -> None: ...

    @abstractmethod
    async def count(self, org_id: str) -> int: ...

    async def close(self) -> None:
        return None


class RedisSlots(Slots):
    def __init__(self, redis: Redis) -> None:
        self._r = redis
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._count = redis.register_script(_COUNT)

    @classmethod
    def from_url(cls, url: str, *, socket_timeout: float = 1.0, connect_timeout: float = 1.0) -> RedisSlots:
        redis = redis_from_url(
            url,
            decode_responses=True,
            socket_timeout=socket_timeout,
            socket_connect_timeout=connect_timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        return cls(redis)

    async def acquire(
        self,
        org_id: str,
        call_id: str,
        *,
        limit: int | None,
        platform_limit: int | None,
        lease_seconds: float,
    ) -> Admission:
        granted, active, code = await self._acquire(
            keys=[_org_key(org_id), _PLATFORM_KEY],
            args=[
                call_id,
                max(int(lease_seconds * 1000), 1),
                -1 if limit is None else limit,
                -1 if platform_limit is None else platform_limit,
                f"{org_id}:{call_id}",
            ],
        )
        refused: Refusal | None = {2: "org", 3: "platform"}.get(int(code))  # type: ignore[assignment]
        return Admission(granted=bool(granted), active=int(active), repeated=code == 1, refused_by=refused)

    async def renew(self, org_id: str, call_id: str, *, lease_seconds: float) -> bool:
        renewed = await self._renew(
            keys=[_org_key(org_id), _PLATFORM_KEY],
            args=[call_id, max(int(lease_seconds * 1000), 1), f"{org_id}:{call_id}"],
        )
        return bool(renewed)

    async def release(self, org_id: str, call_id: str) -> None:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zrem(_org_key(org_id), call_id)
            pipe.zrem(_PLATFORM_KEY, f"{org_id}:{call_id}")
            await pipe.execute()

    async def count(self, org_id: str) -> int:
        return int(await self._count(keys=[_org_key(org_id)]))

    async def close(self) -> None:
        await self._r.aclose()


class MemorySlots(Slots):
    """One process, one clock: the embedded default, where there is no second worker to agree with."""

    def __init__(self) -> None:
        self._orgs: dict[str, dict[str, float]] = {}
        self._platform: dict[str, float] = {}

    @staticmethod
    def _prune(members: dict[str, float], now: float) -> None:
        for member in [m for m, expiry in members.items() if expiry <= now]:
            del members[member]

    async def acquire(
        self,
        org_id: str,
        call_id: str,
        *,
        limit: int | None,
        platform_limit: int | None,
        lease_seconds: float,
    ) -> Admission:
        now = time.monotonic()
        members = self._orgs.setdefault(org_id, {})
        self._prune(members, now)
        self._prune(self._platform, now)
        held = call_id in members
        if not held:
            if limit is not None and len(members) >= limit:
                return Admission(granted=False, active=len(members), refused_by="org")
            if platform_limit is not None and len(self._platform) >= platform_limit:
                return Admission(granted=False, active=len(members), refused_by="platform")
        members[call_id] = self._platform[f"{org_id}:{call_id}"] = now + lease_seconds
        return Admission(granted=True, active=len(members), repeated=held)

    async def renew(self, org_id: str, call_id: str, *, lease_seconds: float) -> bool:
        now = time.monotonic()
        members = self._orgs.get(org_id, {})
        if members.get(call_id, 0.0) <= now:
            await self.release(org_id, call_id)
            return False
        members[call_id] = self._platform[f"{org_id}:{call_id}"] = now + lease_seconds
        return True

    async def release(self, org_id: str, call_id: str) -> None:
        self._orgs.get(org_id, {}).pop(call_id, None)
        self._platform.pop(f"{org_id}:{call_id}", None)

    async def count(self, org_id: str) -> int:
        members = self._orgs.get(org_id, {})
        self._prune(members, time.monotonic())
        return len(members)


def build_slots(settings: Settings) -> Slots:
    if settings.redis_url:
        return RedisSlots.from_url(
            settings.redis_url,
            socket_timeout=settings.redis_socket_timeout_seconds,
            connect_timeout=settings.redis_connect_timeout_seconds,
        )
    return MemorySlots()


def slots(state: AppState) -> Slots:
    """The process's slot store, built on first use when app start-up did not register one."""
    found = state.extras.get(EXTRAS_KEY)
    if found is None:
        found = state.extras[EXTRAS_KEY] = build_slots(state.settings)
    assert isinstance(found, Slots)
    return found


async def acquire_slot(
    state: AppState, *, org_id: uuid.UUID | str, call_id: uuid.UUID | str, max_concurrent_calls: int | None
) -> Admission:
    """Take the call's slot under its org's cap and the platform cap (phone: decide overflow on refusal)."""
    calls = state.settings.calls
    admission = await slots(state).acquire(
        str(org_id),
        str(call_id),
        limit=max_concurrent_calls,
        platform_limit=calls.platform_max_concurrent_calls,
        lease_seconds=calls.slot_lease_seconds,
    )
    if not admission.granted:
        log.info(
            "call_slot_refused",
            extra={"org": str(org_id), "call": str(call_id), "refused_by": admission.refused_by},
        )
        metrics.concurrency_overflow(admission.refused_by or "org")  # issue 12
    return admission


async def renew_slot(state: AppState, *, org_id: uuid.UUID | str, call_id: uuid.UUID | str) -> bool:
    """The owner's lease loop calls this every ~lease/3; a lost lease is logged, and the call goes on."""
    renewed = await slots(state).renew(
        str(org_id), str(call_id), lease_seconds=state.settings.calls.slot_lease_seconds
    )
    if not renewed:
        log.warning("call_slot_lost", extra={"org": str(org_id), "call": str(call_id)})
    return renewed


async def keep_slot(state: AppState, *, org_id: uuid.UUID | str, call_id: uuid.UUID | str) -> None:
    """Renew the call's slot every third of the lease until cancelled (run it beside the owner lease).

    A lost lease stops the loop (it is never re-taken); an outage is logged and retried next round.
    """
    interval = state.settings.calls.slot_lease_seconds / 3
    while True:
        await asyncio.sleep(interval)
        try:
            if not await renew_slot(state, org_id=org_id, call_id=call_id):
                return
        except Exception as exc:
            log.warning(
                "call_slot_renew_failed", extra={"call": str(call_id), "error_type": type(exc).__name__}
            )


async def release_slot(state: AppState, *, org_id: uuid.UUID | str, call_id: uuid.UUID | str) -> None:
    """Idempotent; never raises, so every end path can call it (an unreleased slot expires anyway)."""
    try:
        await slots(state).release(str(org_id), str(call_id))
    except Exception as exc:
        log.warning(
            "call_slot_release_failed", extra={"call": str(call_id), "error_type": type(exc).__name__}
        )


@contextlib.asynccontextmanager
async def slot_kept(
    state: AppState, *, org_id: uuid.UUID | str, call_id: uuid.UUID | str
) -> AsyncIterator[None]:
    """Beside the owner lease: the channel that runs the call keeps its slot while it runs."""
    task = asyncio.create_task(keep_slot(state, org_id=org_id, call_id=call_id), name="call-slot")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
