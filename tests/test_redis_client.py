"""The timer-bound write (app/redis_client.py): same answers as redis-py's own connection, and a server
that never answers still fails with redis' TimeoutError (reads keep their socket_timeout after a write)."""

from __future__ import annotations

import asyncio
import os

import pytest
from redis import exceptions
from redis.asyncio.connection import Connection

from app.redis_client import TimerBoundConnection, connection_class_for, redis_from_url

REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "13"))


async def test_commands_and_pipelines_answer_as_before() -> None:
    client = redis_from_url(
        f"redis://127.0.0.1:6379/{REDIS_DB}", socket_timeout=1.0, socket_connect_timeout=1.0
    )
    try:
        assert client.connection_pool.connection_class is TimerBoundConnection
        await client.set("redis-client-test", "1")
        async with client.pipeline(transaction=True) as pipe:
            pipe.incr("redis-client-test")
            pipe.get("redis-client-test")
            assert await pipe.execute() == [2, b"2"]
        # The write bound is restored after every command, so reads keep their own timeout.
        connection = await client.connection_pool.get_connection()
        try:
            assert connection.socket_timeout == 1.0
        finally:
            await client.connection_pool.release(connection)
    finally:
        await client.delete("redis-client-test")
        await client.aclose()


async def test_a_server_that_never_answers_times_out_instead_of_hanging() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_read(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # holds the socket open and never answers

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = redis_from_url(
        f"redis://127.0.0.1:{port}/0",
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        driver_info=None,  # no CLIENT SETINFO on connect: the fake server never answers
    )
    try:
        with pytest.raises(exceptions.TimeoutError):
            # If the write's bound left socket_timeout unset, the read would wait forever: the outer
            # wait_for turns that hang into a failure of this test (asyncio's TimeoutError, not redis').
            await asyncio.wait_for(client.set("k", "v"), 20)
    finally:
        await client.aclose()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


def test_schemes_keep_their_transport() -> None:
    assert connection_class_for("redis://h:6379/0") is TimerBoundConnection
    assert issubclass(connection_class_for("rediss://h:6380/0"), Connection)
    assert connection_class_for("unix:///tmp/redis.sock").__name__ == "TimerBoundUnixConnection"
