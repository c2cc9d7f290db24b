"""One way to open a Redis client, for every part of the app that keeps live state in Redis.

redis-py bounds each write with `asyncio.wait_for(..., socket_timeout)`, which on Python 3.11 starts a
new Task per command: with a 1 s timeout set (the reliability issue wants a stalled Redis to fail fast)
that Task was ~6% of the phone relay's CPU. `asyncio.timeout()` bounds the same write with one timer
handle and no Task. Reads keep redis-py's own timeout (it already uses `asyncio.timeout`).

`PipelineBatcher` sends the commands of concurrent callers in one pipeline (see its docstring), and
`scripts_pipelined` runs scripts in it by sha.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from redis import exceptions
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
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


_Group = tuple[Callable[[Pipeline], object], "asyncio.Future[list[Any]]"]


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
        self._r = redis
        self._queue: list[_Group] = []
        self._flusher: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.pipelines = 0  # pipelines sent, for tests and benchmarks

    def submit(
        self, build: Callable[[Pipeline], object], *, linger: float = 0.0
    ) -> asyncio.Future[list[Any]]:
        """Queue the commands `build` adds to a pipeline; the future gets their results, in order.

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
        spans: list[tuple[int, int, asyncio.Future[list[Any]]]] = []
        try:
            async with self._r.pipeline(transaction=False) as pipe:
                for build, future in batch:
                    if future.done():  # its caller gave up (a time-out) before the send: send nothing
                        continue
                    start = len(pipe.command_stack)
                    try:
                        build(pipe)
                    except Exception as exc:
                        del pipe.command_stack[start:]
                        _settle(future, exc=exc)
                    else:
                        spans.append((start, len(pipe.command_stack), future))
                if not spans:
                    return
                self.pipelines += 1
                results = await pipe.execute(raise_on_error=False)
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
    more: Callable[[Pipeline], object] | None = None,
) -> list[Any]:
    """Each (script, keys, args) by its sha, then the commands `more` adds, as one group of `batcher`'s
    pipeline; their results, the first error raised. redis-py's own pipelined scripts ask SCRIPT
    EXISTS first, a round trip per execute; here a NOSCRIPT answer (a restarted or flushed Redis)
    loads the scripts and sends the group once more, so every command in it must be safe to repeat."""

    def build(pipe: Pipeline) -> None:
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
