"""One way to open a Redis client, for every part of the app that keeps live state in Redis.

redis-py bounds each write with `asyncio.wait_for(..., socket_timeout)`, which on Python 3.11 starts a
new Task per command: with a 1 s timeout set (the reliability issue wants a stalled Redis to fail fast)
that Task was ~6% of the phone relay's CPU. `asyncio.timeout()` bounds the same write with one timer
handle and no Task. Reads keep redis-py's own timeout (it already uses `asyncio.timeout`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from redis import exceptions
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection, UnixDomainSocketConnection


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
