"""One way to open a Redis client, for every part of the app that keeps live state in Redis.

redis-py bounds each write with `asyncio.wait_for(..., socket_timeout)`, which on Python 3.11 starts a
new Task per command: with a 1 s timeout set (the reliability issue wants a stalled Redis to fail fast)
that Task was ~6% of the phone relay's CPU. `asyncio.timeout()` bounds the same write with one timer
handle and no Task. Reads keep redis-py's own timeout (it already uses `asyncio.timeout`).

`PipelineBatcher` sends the commands of concurrent callers in one pipeline (see its docstring), and
`scripts_pipelined` runs scripts in it by sha. Its groups are recorded as `Commands` and go out on a
connection of its own (`_Wire`): redis-py connects it, hiredis packs and parses. Through redis-py's
`Pipeline` a 5-command transcript group cost ~170 µs of CPU sent alone and ~68 µs with 20 groups in
one pipeline; this way ~45 and ~11 µs. The relay's transcript lines, stream entries and lease renewals
all pass here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import hiredis
from redis import exceptions
from redis._parsers.base import BaseParser
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection, UnixDomainSocketConnection
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError


class _TimerBoundWrite:
    """Mixin: the write of one command is bounded by `asyncio.timeout`, not `asyncio.wait_for`."""

    socket_timeout: float | None

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        timeout = self.socket_timeout
        send = super().send_packed_command  # type: ignore[misc]
        if not timeout:
            await send(command, check_health)
            return
        try:
            async with asyncio.timeout(timeout):
                # With no socket_timeout redis-py writes directly; the timer above bounds the write (and a
                # health-check PING, if one is due) instead.
                self.socket_timeout = None
                try:
                    await send(command, check_health)
                finally:
                    self.socket_timeout = timeout
        except TimeoutError:
            await self.disconnect(nowait=True)  # type: ignore[attr-defined]
            raise exceptions.TimeoutError("Timeout writing to socket") from None


class TimerBoundConnection(_TimerBoundWrite, Connection):
    pass


class TimerBoundSSLConnection(_TimerBoundWrite, SSLConnection):
    pass


class TimerBoundUnixConnection(_TimerBoundWrite, UnixDomainSocketConnection):
    pass


def connection_class_for(url: str) -> type[AbstractConnection]:
    scheme = url.split("://", 1)[0].lower()
    if scheme == "rediss":
        return TimerBoundSSLConnection
    if scheme == "unix":
        return TimerBoundUnixConnection
    return TimerBoundConnection


def redis_from_url(url: str, **kwargs: Any) -> Redis:
    """`Redis.from_url` with the timer-bound write; every other option passes through unchanged."""
    return Redis.from_url(url, connection_class=connection_class_for(url), **kwargs)


class Commands:
    """One group's commands as Redis arguments: the few the batched writers use, and `command` for any
    other. Replies come back as Redis sends them (no redis-py response callbacks): integers, strings
    (decoded if the client decodes), lists, and errors as exception objects."""

    __slots__ = ("stack",)

    def __init__(self) -> None:
        self.stack: list[tuple[str | bytes | int | float, ...]] = []

    def command(self, *args: str | bytes | int | float) -> None:
        self.stack.append(args)

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: str | bytes | int | float) -> None:
        self.stack.append(("EVALSHA", sha, numkeys, *keys_and_args))

    def zadd(self, key: str, mapping: dict[str, float], *, nx: bool = False, xx: bool = False) -> None:
        args: list[str | float] = ["ZADD", key]
        if nx:
            args.append("NX")
        if xx:
            args.append("XX")
        for member, score in mapping.items():
            args += (repr(float(score)), member)  # repr: the shortest text that reads back the same float
        self.stack.append(tuple(args))

    def zrem(self, key: str, *members: str) -> None:
        self.stack.append(("ZREM", key, *members))

    def xadd(
        self, key: str, fields: dict[str, str], *, maxlen: int | None = None, approximate: bool = True
    ) -> None:
        args: list[str | int] = ["XADD", key]
        if maxlen is not None:
            args += ("MAXLEN", "~", maxlen) if approximate else ("MAXLEN", maxlen)
        args.append("*")
        for name, value in fields.items():
            args += (name, value)
        self.stack.append(tuple(args))

    def expire(self, key: str, seconds: int) -> None:
        self.stack.append(("EXPIRE", key, seconds))


_MORE = object()


class _Wire:
    """The batcher's own connection. redis-py opens it (TCP, TLS or a unix socket, AUTH, SELECT, the
    client's retry policy); a pipeline is then one write of hiredis-packed commands and its replies
    parsed by a hiredis reader of our own, the whole round trip bounded by one timer of the client's
    `socket_timeout`. Any failure mid-way drops the connection (its replies can no longer be matched
    to commands); a retry, if the client's policy allows one, reconnects and sends the pipeline again,
    as redis-py's own pipeline does."""

    def __init__(self, redis: Redis) -> None:
        self._pool = redis.connection_pool
        self._conn: AbstractConnection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._parser: hiredis.Reader | None = None

    def _connection(self) -> AbstractConnection:
        loop = asyncio.get_running_loop()
        if self._conn is None or self._loop is not loop:
            # A connection made on a loop that has stopped is left behind, never awaited.
            self._conn = self._pool.connection_class(**self._pool.connection_kwargs)
            self._loop = loop
        return self._conn

    async def round_trip(self, packed: bytes, replies: int) -> list[Any]:
        conn = self._connection()
        return await conn.retry.call_with_retry(
            lambda: self._attempt(conn, packed, replies), lambda _error: conn.disconnect(nowait=True)
        )

    async def _attempt(self, conn: AbstractConnection, packed: bytes, count: int) -> list[Any]:
        if not conn.is_connected:
            await conn.connect()  # type: ignore[no-untyped-call]
            encoder = conn.encoder
            decoding = (
                {"encoding": encoder.encoding, "errors": encoder.encoding_errors}
                if encoder.decode_responses
                else {}
            )
            # Error replies become redis-py's exception classes (NOSCRIPT -> NoScriptError, ...); a
            # sentinel of our own marks "need more bytes", since RESP3's false is a reply.
            self._parser = hiredis.Reader(
                protocolError=exceptions.InvalidResponse,
                replyError=BaseParser.parse_error,
                notEnoughData=_MORE,
                **decoding,
            )
        parser = self._parser
        reader, writer = conn._reader, conn._writer  # set by connect(); no other reader uses them
        assert parser is not None and reader is not None and writer is not None
        replies: list[Any] = []
        try:
            async with asyncio.timeout(conn.socket_timeout):
                writer.write(packed)
                await writer.drain()
                while len(replies) < count:
                    reply = parser.gets()
                    if reply is _MORE:
                        data = await reader.read(65536)
                        if not data:
                            raise exceptions.ConnectionError("Connection closed by server.")
                        parser.feed(data)
                    elif not isinstance(reply, hiredis.PushNotification):  # RESP3 pushes answer nothing
                        replies.append(reply)
        except BaseException as exc:  # a time-out, a lost socket, a bad reply, or cancellation
            await conn.disconnect(nowait=True)
            if isinstance(exc, TimeoutError):  # before OSError, of which it is a subclass
                raise exceptions.TimeoutError("Timeout reading from or writing to Redis") from None
            if isinstance(exc, (OSError, EOFError)):
                raise exceptions.ConnectionError(f"Redis connection lost: {type(exc).__name__}") from exc
            raise
        return replies

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and self._loop is asyncio.get_running_loop():
            await conn.disconnect()


_Group = tuple[Callable[[Commands], object], "asyncio.Future[list[Any]]"]


class PipelineBatcher:
    """Groups of commands from concurrent callers, sent together: every group queued while a pipeline
    is in flight goes into the next one (one connection checkout, one write, one read), and each
    caller gets only its own group's results back. At 100 phone calls the relay's per-line writes
    (the transcript append, its live-stream entry) were each their own pipeline.

    Groups are sent in the order they were queued, one pipeline at a time, so a group queued after
    another lands after it. A pipeline is not a transaction: a command's error is one of its group's
    results (`raise_on_error=False`), and a group whose `build` raises is dropped from the pipeline
    and fails alone; a connection failure fails every group of that pipeline. A group whose caller
    stopped waiting before its pipeline was built is not sent.
    """

    MAX_GROUPS = 256

    def __init__(self, redis: Redis) -> None:
        self._wire = _Wire(redis)
        self._queue: list[_Group] = []
        self._flusher: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.pipelines = 0  # pipelines sent, for tests and benchmarks

    def submit(
        self, build: Callable[[Commands], object], *, linger: float = 0.0
    ) -> asyncio.Future[list[Any]]:
        """Queue the commands `build` records; the future gets their replies, in order.

        `linger` (seconds) is for writes nobody waits on: the group may wait that long for company, and
        goes out with the next group submitted without it, or when the time is up. A group queued after
        another still lands after it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        flusher = self._flusher
        if self._queue and self._queue[0][1].get_loop() is not loop:
            # Groups of a loop that stopped under them are never sent, nor are their callers woken.
            self._queue = [(b, f) for b, f in self._queue if f.get_loop() is loop]
            self._timer = None
            flusher = None
        elif flusher is not None and not flusher.done() and flusher.get_loop() is not loop:
            flusher = None
        self._queue.append((build, future))
        if flusher is not None and not flusher.done():
            return future  # the pipeline in flight is followed by one with every group queued since
        if linger > 0:
            if self._timer is None:
                self._timer = loop.call_later(linger, self._linger_over)
            return future
        self._start(loop)
        return future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._flusher = loop.create_task(self._flush())

    def _linger_over(self) -> None:
        self._timer = None
        flusher = self._flusher
        if self._queue and (flusher is None or flusher.done()):
            self._start(asyncio.get_running_loop())

    async def aclose(self) -> None:
        """Stop sending (before the client closes): a pipeline still waiting on a stalled server is
        cancelled, so it gives its connection back instead of outliving the client; a lingering group
        is cancelled."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        flusher, self._flusher = self._flusher, None
        if flusher is not None and not flusher.done():
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        for _, future in self._queue:
            future.cancel()
        self._queue = []
        await self._wire.aclose()

    async def _flush(self) -> None:
        batch: list[_Group] = []
        try:
            while self._queue:
                batch, self._queue = self._queue[: self.MAX_GROUPS], self._queue[self.MAX_GROUPS :]
                await self._send(batch)
                batch = []
        finally:  # cancelled (shutdown): no caller is left waiting for a reply that will not come
            for _, future in (*batch, *self._queue):
                future.cancel()
            self._queue = []

    async def _send(self, batch: list[_Group]) -> None:
        commands = Commands()
        packed: list[bytes] = []
        spans: list[tuple[int, int, asyncio.Future[list[Any]]]] = []
        for build, future in batch:
            if future.done():  # its caller gave up (a time-out) before the send: send nothing
                continue
            start = len(commands.stack)
            try:
                build(commands)
                group = [hiredis.pack_command(args) for args in commands.stack[start:]]  # type: ignore[arg-type]
            except Exception as exc:  # a bad build or argument fails its own group alone
                del commands.stack[start:]
                _settle(future, exc=exc)
            else:
                packed += group
                spans.append((start, len(commands.stack), future))
        if not spans:
            return
        self.pipelines += 1
        try:
            results = await self._wire.round_trip(b"".join(packed), len(packed)) if packed else []
        except Exception as exc:
            for _, _, future in spans:
                _settle(future, exc=exc)
            return
        for start, end, future in spans:
            _settle(future, results=results[start:end])


def _settle(
    future: asyncio.Future[list[Any]], *, results: list[Any] | None = None, exc: Exception | None = None
) -> None:
    if future.done():  # its caller was cancelled; the commands were sent (or failed) anyway
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(results or [])


async def scripts_pipelined(
    batcher: PipelineBatcher,
    scripts: Sequence[tuple[AsyncScript, Sequence[str], Sequence[Any]]],
    more: Callable[[Commands], object] | None = None,
) -> list[Any]:
    """Each (script, keys, args) by its sha, then the commands `more` adds, as one group of `batcher`'s
    pipeline; their results, the first error raised. redis-py's own pipelined scripts ask SCRIPT
    EXISTS first, a round trip per execute; here a NOSCRIPT answer (a restarted or flushed Redis)
    loads the scripts and sends the group once more, so every command in it must be safe to repeat."""

    def build(pipe: Commands) -> None:
        for script, keys, args in scripts:
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        if more is not None:
            more(pipe)

    results = await batcher.submit(build)
    # The scripts' results come first, then those of `more`.
    missing = [
        script
        for (script, _, _), result in zip(scripts, results[: len(scripts)], strict=True)
        if isinstance(result, NoScriptError)
    ]
    if missing:
        for script in missing:
            script.sha = await script.registered_client.script_load(script.script)
        results = await batcher.submit(build)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results
