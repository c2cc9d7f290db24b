"""Owner leases and commands in Redis: `call:{<id>}:owner` (a token with a server-timed TTL), pub/sub
channel `call:{<id>}:cmd`, and the `calls:owners` index of lease expiries (server ms) for `orphans()`.

Every script compares the owner token, so only the holder renews or releases. `_SEND` checks the lease
and publishes in one step; PUBLISH's receiver count tells `send` whether the owner got it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from app.calls.owner import CallOwners, Command
from app.redis_client import PipelineBatcher, redis_from_url, scripts_pipelined

log = logging.getLogger("callintake.owner")

_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# -1: no owner. Otherwise how many subscribers got it (0: an owner that is not listening yet).
_SEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('PUBLISH', ARGV[1], ARGV[2])
"""

# The orphan index lives in its own slot, so it is written beside the lease, not in its script.
_INDEX = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] == 'add' then
  redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[3]), ARGV[2])
  return 0
end
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, tonumber(ARGV[2]))
"""

_OWNERS_INDEX = "calls:owners"
_DELIVERY_SECONDS = 3.0  # how long `send` retries an owner that holds the lease but is not listening
_RESUBSCRIBE_BACKOFF = (0.05, 0.1, 0.25, 0.5)


def owner_key(call_id: str) -> str:
    return f"call:{{{call_id}}}:owner"


def command_channel(call_id: str) -> str:
    return f"call:{{{call_id}}}:cmd"


class RedisCallOwners(CallOwners):
    def __init__(self, redis: Redis, *, lease_seconds: float) -> None:
        super().__init__(lease_seconds=lease_seconds)
        self._r = redis
        self._batch = PipelineBatcher(redis)
        self._lease_ms = max(1, int(lease_seconds * 1000))
        self._acquire_script = redis.register_script(_ACQUIRE)
        self._renew_script = redis.register_script(_RENEW)
        self._release_script = redis.register_script(_RELEASE)
        self._send_script = redis.register_script(_SEND)
        self._index_script = redis.register_script(_INDEX)
        self._subscriber = _Subscriber(redis)

    @classmethod
    def from_url(cls, url: str, *, lease_seconds: float) -> RedisCallOwners:
        # Its own client: the subscriber holds one connection for every call this process owns.
        # A hung server must not hold a channel's wind-down: every command gives up after 5 s.
        client = redis_from_url(
            url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5, health_check_interval=10
        )
        return cls(client, lease_seconds=lease_seconds)

    async def aclose(self) -> None:
        await self._subscriber.aclose()
        await self._batch.aclose()
        await self._r.aclose()

    async def _acquire(self, call_id: str, token: str) -> bool:
        # The index entry is written even when refused: it is the same member, and `orphans` only
        # lists a call once its lease key is gone.
        async with self._r.pipeline(transaction=False) as pipe:
            await self._acquire_script(keys=[owner_key(call_id)], args=[token, self._lease_ms], client=pipe)
            await self._index_script(keys=[_OWNERS_INDEX], args=["add", call_id, self._lease_ms], client=pipe)
            acquired, _ = await pipe.execute()
        return bool(acquired)

    async def _renew(self, call_id: str, token: str) -> bool:
        # Every call renews every lease/3 s: by sha, in a pipeline shared with other calls' renewals
        # (both scripts are safe to repeat). redis-py's pipelined scripts cost a SCRIPT EXISTS each time.
        renewed, _ = await scripts_pipelined(
            self._batch,
            [
                (self._renew_script, [owner_key(call_id)], [token, self._lease_ms]),
                (self._index_script, [_OWNERS_INDEX], ["add", call_id, self._lease_ms]),
            ],
        )
        return bool(renewed)

    async def _release(self, call_id: str, token: str) -> None:
        await scripts_pipelined(
            self._batch,
            [(self._release_script, [owner_key(call_id)], [token])],
            lambda pipe: pipe.zrem(_OWNERS_INDEX, call_id),
        )

    async def _subscribe(self, call_id: str) -> asyncio.Queue[str]:
        return await self._subscriber.subscribe(command_channel(call_id))

    async def _unsubscribe(self, call_id: str, inbox: asyncio.Queue[str]) -> None:
        await self._subscriber.unsubscribe(command_channel(call_id), inbox)

    async def send(self, call_id: str, command: Command) -> bool:
        payload = command.model_dump_json()
        deadline = time.monotonic() + _DELIVERY_SECONDS
        while True:
            receivers = int(
                await self._send_script(keys=[owner_key(call_id)], args=[command_channel(call_id), payload])
            )
            if receivers > 0:
                return True
            if receivers < 0:
                return False
            if time.monotonic() >= deadline:
                log.warning("owner_unreachable", extra={"call": call_id, "kind": command.kind})
                return False
            await asyncio.sleep(0.05)

    async def owner_alive(self, call_id: str) -> bool:
        return bool(await self._r.exists(owner_key(call_id)))

    async def orphans(self, limit: int = 100) -> list[str]:
        expired = cast(list[str], await self._index_script(keys=[_OWNERS_INDEX], args=["due", limit]))
        if not expired:
            return []
        async with self._r.pipeline(transaction=False) as pipe:
            for call_id in expired:
                pipe.exists(owner_key(call_id))
            held = await pipe.execute()
        # A held key with a stale index score is a renewal whose index write was lost: not an orphan.
        return [call_id for call_id, alive in zip(expired, held, strict=True) if not alive]

    async def forget(self, call_id: str) -> None:
        await self._r.zrem(_OWNERS_INDEX, call_id)


@dataclass(eq=False)
class _Mailbox:
    inbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    confirmed: asyncio.Event = field(default_factory=asyncio.Event)


class _Subscriber:
    """One pub/sub connection for all of a process's calls; resubscribes after a lost connection."""

    def __init__(self, redis: Redis) -> None:
        self._r = redis
        self._mailboxes: dict[str, _Mailbox] = {}
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def subscribe(self, channel: str, *, confirm_seconds: float = 5.0) -> asyncio.Queue[str]:
        mailbox = self._mailboxes[channel] = _Mailbox()
        try:
            async with self._lock:
                if self._pubsub is None:
                    self._pubsub = self._r.pubsub()
                await self._pubsub.subscribe(channel)
                if self._reader is None or self._reader.done():
                    self._reader = asyncio.create_task(self._read(), name="owner-subscriber")
            # Confirmed by the server: from here a PUBLISH counts this process as a receiver.
            async with asyncio.timeout(confirm_seconds):
                await mailbox.confirmed.wait()
        except BaseException:
            with contextlib.suppress(Exception):
                await self.unsubscribe(channel, mailbox.inbox)
            raise
        return mailbox.inbox

    async def unsubscribe(self, channel: str, inbox: asyncio.Queue[str]) -> None:
        mailbox = self._mailboxes.get(channel)
        if mailbox is None or mailbox.inbox is not inbox:
            return  # already gone, or a newer owner's
        del self._mailboxes[channel]
        async with self._lock:
            if self._pubsub is not None:
                await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        failures = 0
        while True:
            pubsub = self._pubsub
            if pubsub is None:
                return
            try:
                message = await pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The next read reconnects, and redis-py resubscribes every channel on connect. A command
                # published meanwhile found no receiver, so its sender is still retrying.
                log.warning("owner_subscriber_failed", extra={"error_type": type(exc).__name__})
                await asyncio.sleep(_RESUBSCRIBE_BACKOFF[min(failures, len(_RESUBSCRIBE_BACKOFF) - 1)])
                failures += 1
                continue
            failures = 0
            if message is None:
                continue
            channel = message.get("channel")
            if not isinstance(channel, str):
                continue
            mailbox = self._mailboxes.get(channel)
            if message["type"] == "subscribe":
                if mailbox is not None:
                    mailbox.confirmed.set()
                else:
                    # Resubscribed after a reconnect, but let go meanwhile: never count as a receiver.
                    with contextlib.suppress(Exception):
                        await pubsub.unsubscribe(channel)
            elif message["type"] == "message" and mailbox is not None:
                mailbox.inbox.put_nowait(str(message["data"]))

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]  # as above
        self._mailboxes.clear()
