"""app/redis_client.py. The timer-bound write: same answers as redis-py's own connection, and a server
that never answers still fails with redis' TimeoutError (reads keep their socket_timeout after a write).
The pipeline batcher: concurrent groups share a round trip, keep their order and their own results."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

import pytest
from redis import exceptions
from redis.asyncio.connection import Connection

from app.redis_client import (
    Commands,
    PipelineBatcher,
    TimerBoundConnection,
    connection_class_for,
    redis_from_url,
)

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

        def group(n: int) -> Callable[[Commands], object]:
            return lambda c: (c.command("RPUSH", "batch-order", n), c.command("INCRBY", f"batch-n{n}", n + 1))

        futures = [batcher.submit(group(n)) for n in range(50)]
        results = await asyncio.gather(*futures)
        # Queued before the first send: one round trip for all fifty callers (one per caller before).
        assert batcher.pipelines == 1
        assert results == [[n + 1, n + 1] for n in range(50)]
        assert await client.lrange("batch-order", 0, -1) == [str(n) for n in range(50)]
    finally:
        await client.delete("batch-order", *(f"batch-n{n}" for n in range(50)))
        await batcher.aclose()
        await client.aclose()


async def test_groups_queued_while_a_pipeline_is_in_flight_land_after_it_in_order() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        await client.delete("batch-late")
        first = batcher.submit(lambda c: c.command("RPUSH", "batch-late", "first"))
        await asyncio.sleep(0)  # the flusher starts sending the first group
        later = [batcher.submit(lambda c, n=n: c.command("RPUSH", "batch-late", n)) for n in range(10)]
        await asyncio.gather(first, *later)
        assert await client.lrange("batch-late", 0, -1) == ["first", *(str(n) for n in range(10))]
        assert batcher.pipelines == 2
    finally:
        await client.delete("batch-late")
        await batcher.aclose()
        await client.aclose()


async def test_a_failing_command_or_build_fails_only_its_own_group() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        await client.set("batch-text", "not a number")

        def broken(_commands: Commands) -> None:
            raise ValueError("bad group")

        bad_command = batcher.submit(
            lambda c: (c.command("INCR", "batch-text"), c.command("GET", "batch-text"))
        )
        bad_build = batcher.submit(broken)
        good = batcher.submit(lambda c: (c.command("SET", "batch-ok", "1"), c.command("GET", "batch-ok")))
        incr_error, text = await bad_command
        assert isinstance(incr_error, exceptions.ResponseError) and text == "not a number"
        with pytest.raises(ValueError, match="bad group"):
            await bad_build
        assert await good == ["OK", "1"]
        assert batcher.pipelines == 1
    finally:
        await client.delete("batch-text", "batch-ok")
        await batcher.aclose()
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
        futures = [batcher.submit(lambda c: c.command("PING")) for _ in range(3)]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        assert all(isinstance(o, exceptions.ConnectionError) for o in outcomes), outcomes
        # The flusher is not stuck: a later group is sent (and fails the same way), not left waiting.
        with pytest.raises(exceptions.ConnectionError):
            await asyncio.wait_for(batcher.submit(lambda c: c.command("PING")), 10)
    finally:
        await batcher.aclose()
        await client.aclose()
        server.close()


async def test_a_lingering_group_goes_out_with_the_next_group_that_does_not_linger() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        await client.delete("batch-linger")
        lingering = batcher.submit(lambda c: c.command("RPUSH", "batch-linger", "event"), linger=30)
        await asyncio.sleep(0.05)
        assert not lingering.done() and batcher.pipelines == 0  # waiting for company, not sent alone
        urgent = batcher.submit(lambda c: c.command("RPUSH", "batch-linger", "append"))
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
        first = batcher.submit(lambda c: c.command("RPUSH", "batch-alone", 1), linger=0.02)
        second = batcher.submit(lambda c: c.command("RPUSH", "batch-alone", 2), linger=0.02)
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
        lingering = batcher.submit(lambda c: c.command("PING"), linger=30)
        await batcher.aclose()
        assert lingering.cancelled() and batcher.pipelines == 0
    finally:
        await client.aclose()


async def test_the_wire_speaks_the_clients_database_decoding_and_exact_floats() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    raw = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}")
    text, plain = PipelineBatcher(client), PipelineBatcher(raw)
    score = 1796320032.5123456
    try:
        await client.delete("wire-z", "wire-s")
        await text.submit(
            lambda c: (c.zadd("wire-z", {"m": score}, nx=True), c.command("SET", "wire-s", "é"))
        )
        # The batcher's own connection wrote to the client's database (SELECT on connect) ...
        assert await client.zscore("wire-z", "m") == score  # ... and the float went out exact
        assert await text.submit(lambda c: c.command("GET", "wire-s")) == ["é"]
        assert await plain.submit(lambda c: c.command("GET", "wire-s")) == ["é".encode()]
        # NX: a second add leaves the score; replies are Redis' own (an integer, not redis-py's bool).
        assert await text.submit(lambda c: c.zadd("wire-z", {"m": 1.0}, nx=True)) == [0]
        assert await client.zscore("wire-z", "m") == score
        # A RESP3 false is a reply, not "need more bytes": it comes back instead of hanging the wire.
        resp3_false = "redis.setresp(3); return false"
        assert await asyncio.wait_for(text.submit(lambda c: c.command("EVAL", resp3_false, 0)), 5) == [False]
    finally:
        await client.delete("wire-z", "wire-s")
        for batcher in (text, plain):
            await batcher.aclose()
        await client.aclose()
        await raw.aclose()


async def test_error_replies_keep_redis_py_classes_and_a_bad_argument_fails_its_group_alone() -> None:
    client = redis_from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", decode_responses=True)
    batcher = PipelineBatcher(client)
    try:
        unknown_sha = "0" * 40
        bad_arg = batcher.submit(lambda c: c.command("SET", "wire-none", None))  # type: ignore[arg-type]
        script = batcher.submit(lambda c: c.evalsha(unknown_sha, 0))
        fine = batcher.submit(lambda c: c.command("PING"))
        with pytest.raises(TypeError):
            await bad_arg
        [missing] = await script
        assert isinstance(missing, exceptions.NoScriptError)
        assert await fine == ["PONG"]
        assert batcher.pipelines == 1
    finally:
        await batcher.aclose()
        await client.aclose()


async def test_a_killed_connection_is_reopened_once_under_the_clients_retry_policy() -> None:
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    retrying = redis_from_url(url, decode_responses=True, retry=Retry(NoBackoff(), 1))
    once = redis_from_url(url, decode_responses=True, retry=Retry(NoBackoff(), 0))
    admin = redis_from_url(url, decode_responses=True)
    try:
        for client, survives in ((retrying, True), (once, False)):
            batcher = PipelineBatcher(client)
            [wire_id] = await batcher.submit(lambda c: c.command("CLIENT", "ID"))
            assert await admin.client_kill_filter(_id=wire_id) == 1  # only the batcher's own connection
            outcome = await asyncio.gather(
                batcher.submit(lambda c: c.command("PING")), return_exceptions=True
            )
            if survives:
                assert outcome == [["PONG"]]
            else:
                assert isinstance(outcome[0], exceptions.ConnectionError), outcome
                # Dropped, not stuck: the next group opens a fresh connection.
                assert await batcher.submit(lambda c: c.command("PING")) == ["PONG"]
            await batcher.aclose()
    finally:
        for client in (retrying, once, admin):
            await client.aclose()


async def test_a_server_that_stalls_mid_pipeline_fails_it_within_the_timeout_and_the_wire_recovers() -> None:
    accepted: list[asyncio.StreamWriter] = []
    answer = asyncio.Event()

    async def stall_then_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Answers the connection's handshake (HELLO, CLIENT ...) at once, and a PING only once told to.
        accepted.append(writer)
        while data := await reader.read(65536):
            for command in data.split(b"*")[1:]:
                if b"PING" not in command:
                    writer.write(b"+OK\r\n")
                elif answer.is_set():
                    writer.write(b"+PONG\r\n")

    server = await asyncio.start_server(stall_then_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = redis_from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=0.3, driver_info=None)
    batcher = PipelineBatcher(client)
    try:
        with pytest.raises(exceptions.TimeoutError):
            await asyncio.wait_for(batcher.submit(lambda c: c.command("PING")), 10)
        answer.set()
        assert await asyncio.wait_for(batcher.submit(lambda c: c.command("PING")), 10) == [b"PONG"]
        assert len(accepted) == 2  # the stalled connection was dropped, its late replies never misread
    finally:
        await batcher.aclose()
        await client.aclose()
        for writer in accepted:
            writer.close()
        server.close()
