"""The live event log and its in-process fan-out.

Storage: Redis Streams in production, one per call (`call:{<id>}:stream`, the live store's hash tag)
and one per org (`org:{<id>}:stream`), each capped with `MAXLEN ~`; an in-memory twin for the
embedded default. Entry ids are Redis stream ids (`<ms>-<seq>`), used as SSE `id:` for resume.

Fan-out: one reader task per stream key per process (XREAD BLOCK with COUNT, on a connection pool
of its own, not one Redis connection per subscriber) hands each batch to every subscriber's bounded
backlog and wakes it once; a writer takes its whole backlog in one write, so a busy moment costs one
send per subscriber rather than one per event. One timer beats every idle stream. A subscriber that
falls behind is dropped (it resumes with Last-Event-ID) instead of growing server memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from redis.asyncio import BlockingConnectionPool, Redis

from app.redis_client import Commands, PipelineBatcher

log = logging.getLogger("callintake.events")

_ID = re.compile(r"^\d{1,20}-\d{1,20}$")

# Nobody waits on an append (the phone relay writes a line's event beside its detection), so it may wait
# this long to go out with the next live-store write or other appends: at 100 calls a line's append and
# its events were two round trips. Well inside the live stream's 50 ms p99 budget.
LINGER_SECONDS = 0.01


def call_key(call_id: str) -> str:
    return f"call:{{{call_id}}}:stream"


def org_key(org_id: str) -> str:
    return f"org:{{{org_id}}}:stream"


def org_live_key(org_id: str) -> str:
    return f"org:{{{org_id}}}:live"


def parse_id(value: str) -> tuple[int, int] | None:
    if not _ID.match(value):
        return None
    ms, seq = value.split("-")
    return int(ms), int(seq)


@dataclass(frozen=True)
class LiveEvent:
    id: str
    type: str
    data: dict[str, Any]

    @functools.cached_property
    def wire(self) -> bytes:
        """The SSE message, encoded once per event however many subscribers get it."""
        return f"id: {self.id}\nevent: {self.type}\ndata: {self.encoded()}\n\n".encode()

    @functools.cached_property
    def position(self) -> tuple[int, int]:
        """Parsed once per event: every subscriber compares it."""
        parsed = parse_id(self.id)
        assert parsed is not None
        return parsed

    def encoded(self) -> str:
        return orjson.dumps({"type": self.type, **self.data}).decode()


def _decode(entry_id: str, fields: dict[str, str]) -> LiveEvent:
    return LiveEvent(entry_id, fields["type"], orjson.loads(fields["data"]))


class EventLog(ABC):
    """Append to and read from bounded per-call and per-org streams; and the org's live-call index."""

    async def append(self, org_id: str, call_id: str | None, type_: str, data: dict[str, Any]) -> None:
        await self.append_many(org_id, call_id, [(type_, data)])

    async def append_many(
        self, org_id: str, call_id: str | None, events: list[tuple[str, dict[str, Any]]]
    ) -> None:
        """Append events in order to the org's stream (and the call's), in one round trip."""
        await self.append_soon(org_id, call_id, events)

    @abstractmethod
    def append_soon(
        self, org_id: str, call_id: str | None, events: list[tuple[str, dict[str, Any]]]
    ) -> asyncio.Future[None]:
        """`append_many` without waiting: the events are queued now, ahead of every append after this
        call; the future settles once they are written (or failed)."""

    @abstractmethod
    async def read_after(self, key: str, after: str, count: int = 1000) -> list[LiveEvent] | None:
        """Entries after `after`, oldest first; None if some were already trimmed away (a gap)."""

    @abstractmethod
    async def last_id(self, key: str) -> str: ...

    @abstractmethod
    async def last(self, key: str) -> LiveEvent | None:
        """The newest entry kept, None if the stream is empty or gone."""

    @abstractmethod
    async def tail(self, key: str, after: str, wait_seconds: float) -> list[LiveEvent]:
        """Wait up to `wait_seconds` for entries after `after`."""

    @abstractmethod
    async def set_live(self, org_id: str, call_id: str, started: float | None) -> None:
        """Add the call to the org's live index (`started` given) or remove it (None)."""

    @abstractmethod
    async def live_calls(self, org_id: str, limit: int) -> list[str]:
        """The org's live call ids, newest first."""

    async def close(self) -> None:
        return None


class RedisEventLog(EventLog):
    def __init__(
        self,
        redis: Redis,
        *,
        call_maxlen: int,
        org_maxlen: int,
        ttl_seconds: int,
        tails: Redis | None = None,
        batcher: PipelineBatcher | None = None,
    ) -> None:
        self._r = redis
        # Appends from concurrent calls share a round trip. Given the live store's batcher, they also
        # share the transcript appends' (see LINGER_SECONDS); it stays the live store's to close.
        self._owns_batch = batcher is None
        self._batch = batcher or PipelineBatcher(redis)
        # Each key with subscribers holds one connection in XREAD BLOCK; on a pool of their own, so
        # many watched keys never starve appends and replays of connections.
        self._tails = tails or redis
        self._call_maxlen = call_maxlen
        self._org_maxlen = org_maxlen
        self._ttl = ttl_seconds

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisEventLog:
        # A burst of (re)connecting streams waits for a connection rather than failing on the pool cap.
        pool = BlockingConnectionPool.from_url(url, decode_responses=True, max_connections=200, timeout=5)
        tails = BlockingConnectionPool.from_url(url, decode_responses=True, max_connections=2000, timeout=5)
        # Each client owns (and closes) its pool.
        return cls(Redis.from_pool(pool), tails=Redis.from_pool(tails), **kwargs)

    async def close(self) -> None:
        if self._owns_batch:
            await self._batch.aclose()
        await self._r.aclose()
        if self._tails is not self._r:
            await self._tails.aclose()

    def append_soon(
        self, org_id: str, call_id: str | None, events: list[tuple[str, dict[str, Any]]]
    ) -> asyncio.Future[None]:
        if not events:
            return _written()
        # Two streams in one round trip; they live in different slots, so not one transaction.
        encoded = [{"type": type_, "data": orjson.dumps(data).decode()} for type_, data in events]

        def build(pipe: Commands) -> None:
            for fields in encoded:
                pipe.xadd(org_key(org_id), fields, maxlen=self._org_maxlen, approximate=True)
                if call_id is not None:
                    pipe.xadd(call_key(call_id), fields, maxlen=self._call_maxlen, approximate=True)
            if call_id is not None:
                pipe.expire(call_key(call_id), self._ttl)

        return asyncio.ensure_future(_raise_first(self._batch.submit(build, linger=LINGER_SECONDS)))

    async def read_after(self, key: str, after: str, count: int = 1000) -> list[LiveEvent] | None:
        position = parse_id(after)
        if position is None:
            return None
        try:
            info: dict[str, Any] = await self._r.xinfo_stream(key)
        except Exception:  # no such stream: nothing kept, so anything older is a gap
            return None if position > (0, 0) else []
        # Trimming does not move max-deleted-entry-id; an id older than the first kept entry of a
        # stream that lost entries is a gap (at worst a snapshot where a replay would have done).
        first = info.get("first-entry")
        first_position = parse_id(str(first[0])) if first else None
        if int(info.get("entries-added", 0)) > int(info.get("length", 0)) and (
            first_position is None or position < first_position
        ):
            return None
        entries = cast(
            list[tuple[str, dict[str, str]]], await self._r.xrange(key, min=f"({after}", max="+", count=count)
        )
        return [_decode(entry_id, fields) for entry_id, fields in entries]

    async def last_id(self, key: str) -> str:
        last = await self.last(key)
        return last.id if last else "0-0"

    async def last(self, key: str) -> LiveEvent | None:
        entries = cast(
            list[tuple[str, dict[str, str]]], await self._r.xrevrange(key, max="+", min="-", count=1)
        )
        return _decode(*entries[0]) if entries else None

    async def tail(self, key: str, after: str, wait_seconds: float) -> list[LiveEvent]:
        found = cast(
            list[tuple[str, list[tuple[str, dict[str, str]]]]],
            await self._tails.xread({key: after}, count=500, block=max(1, int(wait_seconds * 1000))),
        )
        return [_decode(entry_id, fields) for _, entries in found or [] for entry_id, fields in entries]

    async def set_live(self, org_id: str, call_id: str, started: float | None) -> None:
        if started is None:
            await self._r.zrem(org_live_key(org_id), call_id)
        else:
            await self._r.zadd(org_live_key(org_id), {call_id: started})

    async def live_calls(self, org_id: str, limit: int) -> list[str]:
        return [str(m) for m in await self._r.zrevrange(org_live_key(org_id), 0, limit - 1)]


def _written() -> asyncio.Future[None]:
    """An append with nothing left to wait for."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


async def _raise_first(written: Awaitable[list[Any]]) -> None:
    for result in await written:
        if isinstance(result, Exception):
            raise result


@dataclass
class _MemStream:
    entries: deque[LiveEvent]
    trimmed: tuple[int, int] = (0, 0)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryEventLog(EventLog):
    """The embedded default: the same streams in process memory (one process, lost on restart)."""

    def __init__(self, *, call_maxlen: int, org_maxlen: int) -> None:
        self._streams: dict[str, _MemStream] = {}
        self._maxlen = {"call": call_maxlen, "org": org_maxlen}
        self._live: dict[str, dict[str, float]] = {}
        self._last = (0, 0)

    def _stream(self, key: str) -> _MemStream:
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _MemStream(deque())
        return stream

    def _next_id(self) -> str:
        ms = int(time.time() * 1000)
        self._last = (ms, 0) if ms > self._last[0] else (self._last[0], self._last[1] + 1)
        return f"{self._last[0]}-{self._last[1]}"

    def append_soon(
        self, org_id: str, call_id: str | None, events: list[tuple[str, dict[str, Any]]]
    ) -> asyncio.Future[None]:
        self._append(org_id, call_id, events)
        return _written()

    def _append(self, org_id: str, call_id: str | None, events: list[tuple[str, dict[str, Any]]]) -> None:
        targets = [(org_key(org_id), "org")]
        if call_id is not None:
            targets.append((call_key(call_id), "call"))
        for type_, data in events:
            for key, kind in targets:
                stream = self._stream(key)
                stream.entries.append(LiveEvent(self._next_id(), type_, data))
                while len(stream.entries) > self._maxlen[kind]:
                    stream.trimmed = stream.entries.popleft().position
                stream.changed.set()
                stream.changed = asyncio.Event()

    async def read_after(self, key: str, after: str, count: int = 1000) -> list[LiveEvent] | None:
        position = parse_id(after)
        if position is None:
            return None
        stream = self._streams.get(key)
        if stream is None:
            return None if position > (0, 0) else []
        if position < stream.trimmed:
            return None
        return [e for e in stream.entries if e.position > position][:count]

    async def last_id(self, key: str) -> str:
        last = await self.last(key)
        return last.id if last else "0-0"

    async def last(self, key: str) -> LiveEvent | None:
        stream = self._streams.get(key)
        return stream.entries[-1] if stream and stream.entries else None

    async def tail(self, key: str, after: str, wait_seconds: float) -> list[LiveEvent]:
        stream = self._stream(key)
        found = await self.read_after(key, after)
        if found:
            return found
        changed = stream.changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), wait_seconds)
        return await self.read_after(key, after) or []

    async def set_live(self, org_id: str, call_id: str, started: float | None) -> None:
        calls = self._live.setdefault(org_id, {})
        if started is None:
            calls.pop(call_id, None)
        else:
            calls[call_id] = started

    async def live_calls(self, org_id: str, limit: int) -> list[str]:
        calls = self._live.get(org_id, {})
        return sorted(calls, key=lambda c: calls[c], reverse=True)[:limit]


class Subscription:
    """One stream's view of a key: pre-encoded messages waiting to be written, bounded.

    The hub appends a whole batch and wakes the writer once; the writer takes everything pending in
    one write, so a busy moment costs one send per subscriber, not one per event.
    """

    def __init__(self, hub: EventHub, key: str, size: int) -> None:
        self.key = key
        self.dropped = False
        self._hub = hub
        self._size = size
        self._pending: list[LiveEvent] = []
        self._beat = False
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, events: Sequence[LiveEvent]) -> None:
        if self.dropped:
            return
        if len(self._pending) + len(events) > self._size:
            # The client reads slower than events arrive: let it go and resume by Last-Event-ID.
            self.dropped = True
            self._hub.drops += 1
            self._pending = []  # frees the backlog at once
            self.close()
        else:
            self._pending.extend(events)
        self._wake()

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def heartbeat(self) -> None:
        """From the hub's one timer: a stream with nothing to send gets a comment instead."""
        if not self._pending:
            self._beat = True
            self._wake()

    async def take(self) -> tuple[list[LiveEvent], bool]:
        """Everything pending (oldest first) and whether a heartbeat is due; waits until there is some."""
        while not self._pending and not self._beat and not self.dropped:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        events, self._pending = self._pending, []
        beat, self._beat = self._beat and not events, False
        return events, beat

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def close(self) -> None:
        self._hub.unsubscribe(self)


class EventHub:
    """One reader per stream key with subscribers in this process, fanning out to their queues, and one
    heartbeat timer for all of them."""

    def __init__(self, log_: EventLog, *, queue_size: int, heartbeat_seconds: float = 15.0) -> None:
        self.log = log_
        self._queue_size = queue_size
        self._heartbeat = heartbeat_seconds
        self._subs: dict[str, set[Subscription]] = {}
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._started: dict[str, asyncio.Event] = {}
        self._beats: asyncio.Task[None] | None = None
        self.drops = 0

    async def subscribe(self, key: str) -> Subscription:
        """A queue of the key's events from (at latest) now; the caller replays older ones itself."""
        sub = Subscription(self, key, self._queue_size)
        self._subs.setdefault(key, set()).add(sub)
        if self._beats is None:
            self._beats = asyncio.create_task(self._beat(), name="events:heartbeat")
        started = self._started.get(key)
        if key not in self._readers or started is None:
            # Registered before any await, so many subscribers arriving at once share one reader.
            started = self._started[key] = asyncio.Event()
            self._readers[key] = asyncio.create_task(self._read(key, started), name=f"events:{key}")
        await started.wait()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.key)
        if subs is not None:
            subs.discard(sub)

    def subscribers(self, key: str) -> int:
        return len(self._subs.get(key, ()))

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            for subs in list(self._subs.values()):
                for sub in list(subs):
                    sub.heartbeat()

    async def _read(self, key: str, started: asyncio.Event) -> None:
        try:
            after = await self.log.last_id(key)
        except Exception as exc:
            log.warning("event_stream_read_failed", extra={"error_type": type(exc).__name__})
            after = "0-0"
        started.set()
        try:
            while self._subs.get(key):
                try:
                    events = await self.log.tail(key, after, wait_seconds=1.0)
                except Exception as exc:
                    log.warning("event_stream_read_failed", extra={"error_type": type(exc).__name__})
                    await asyncio.sleep(0.5)
                    continue
                if not events:
                    continue
                after = events[-1].id
                for sub in list(self._subs.get(key, ())):
                    sub.offer(events)
        finally:
            self._readers.pop(key, None)
            self._started.pop(key, None)
            if not self._subs.get(key):
                self._subs.pop(key, None)

    async def aclose(self) -> None:
        tasks = [*self._readers.values(), *([self._beats] if self._beats else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.log.close()
