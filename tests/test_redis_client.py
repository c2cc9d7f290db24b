"""app/redis_client.py. The timer-bound write: same answers as redis-py's own connection, and a server
that never answers still fails with redis' TimeoutError (reads keep their socket_timeout after a write).
The pipeline batcher: concurrent groups share a round trip, keep their order and their own results."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

import pytest
from redis import exceptions
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import Connection

from app.redis_client import PipelineBatcher, TimerBoundConnection, connection_class_for, redis_from_url

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


async def test_groups_queued_together_share_one_pipeline_and_each_gets_its_own_results() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        await client.delete("batch-order", *(f"batch-n{n}" for n in range(50)))

        def group(n: int) -> Callable[[Pipeline], object]:
            return lambda pipe: (pipe.rpush("batch-order", n), pipe.incrby(f"batch-n{n}", n + 1))

        futures = [batcher.submit(group(n)) for n in range(50)]
        results = await asyncio.gather(*futures)
        # Queued before the first send: one round trip for all fifty callers (one per caller before).
        assert batcher.pipelines == 1
        assert results == [[n + 1, n + 1] for n in range(50)]
        assert await client.lrange("batch-order", 0, -1) == [str(n) for n in range(50)]
    finally:
        await client.delete("batch-order", *(f"batch-n{n}" for n in range(50)))
        await client.aclose()


async def test_groups_queued_while_a_pipeline_is_in_flight_land_after_it_in_order() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        await client.delete("batch-late")
        first = batcher.submit(lambda pipe: pipe.rpush("batch-late", "first"))
        await asyncio.sleep(0)  # the flusher starts sending the first group
        later = [batcher.submit(lambda pipe, n=n: pipe.rpush("batch-late", n)) for n in range(10)]
        await asyncio.gather(first, *later)
        assert await client.lrange("batch-late", 0, -1) == ["first", *(str(n) for n in range(10))]
        assert batcher.pipelines == 2
    finally:
        await client.delete("batch-late")
        await client.aclose()


async def test_a_failing_command_or_build_fails_only_its_own_group() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        await client.set("batch-text", "not a number")

        def broken(_pipe: Pipeline) -> None:
            raise ValueError("bad group")

        bad_command = batcher.submit(lambda pipe: (pipe.incr("batch-text"), pipe.get("batch-text")))
        bad_build = batcher.submit(broken)
        good = batcher.submit(lambda pipe: (pipe.set("batch-ok", "1"), pipe.get("batch-ok")))
        incr_error, text = await bad_command
        assert isinstance(incr_error, exceptions.ResponseError) and text == "not a number"
        with pytest.raises(ValueError, match="bad group"):
            await bad_build
        assert await good == [True, "1"]
        assert batcher.pipelines == 1
    finally:
        await client.delete("batch-text", "batch-ok")
        await client.aclose()


async def test_a_lost_connection_fails_every_group_of_its_pipeline_and_the_next_ones_still_run() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def hang_up(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = redis_from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=1.0, driver_info=None)
    batcher = PipelineBatcher(client)
    try:
        futures = [batcher.submit(lambda pipe: pipe.ping()) for _ in range(3)]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        assert all(isinstance(o, exceptions.ConnectionError) for o in outcomes), outcomes
        # The flusher is not stuck: a later group is sent (and fails the same way), not left waiting.
        with pytest.raises(exceptions.ConnectionError):
            await asyncio.wait_for(batcher.submit(lambda pipe: pipe.ping()), 10)
    finally:
        await client.aclose()
        server.close()


async def test_a_lingering_group_goes_out_with_the_next_group_that_does_not_linger() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        await client.delete("batch-linger")
        lingering = batcher.submit(lambda pipe: pipe.rpush("batch-linger", "event"), linger=30)
        await asyncio.sleep(0.05)
        assert not lingering.done() and batcher.pipelines == 0  # waiting for company, not sent alone
        urgent = batcher.submit(lambda pipe: pipe.rpush("batch-linger", "append"))
        assert await asyncio.wait_for(urgent, 5) == [2]
        assert lingering.done() and lingering.result() == [1]
        assert batcher.pipelines == 1  # one round trip for both, in the order they were queued
        assert await client.lrange("batch-linger", 0, -1) == ["event", "append"]
    finally:
        await client.delete("batch-linger")
        await batcher.aclose()
        await client.aclose()


async def test_a_lingering_group_alone_is_sent_when_its_time_is_up() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        await client.delete("batch-alone")
        first = batcher.submit(lambda pipe: pipe.rpush("batch-alone", 1), linger=0.02)
        second = batcher.submit(lambda pipe: pipe.rpush("batch-alone", 2), linger=0.02)
        assert await asyncio.wait_for(asyncio.gather(first, second), 5) == [[1], [2]]
        assert batcher.pipelines == 1
    finally:
        await client.delete("batch-alone")
        await batcher.aclose()
        await client.aclose()


async def test_closing_cancels_a_lingering_group_instead_of_leaving_it_waiting() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        lingering = batcher.submit(lambda pipe: pipe.ping(), linger=30)
        await batcher.aclose()
        assert lingering.cancelled() and batcher.pipelines == 0
    finally:
        await client.aclose()
