"""Faults answer fast and in the error shape: Redis paused or gone, PostgreSQL blackholed, Redis restarted.

Each Redis fault runs against a redis-server of the test's own; PostgreSQL goes through the cuttable proxy.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from database.models import CallTranscript
from tests.calls.conftest import Org, end, say, start
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fixtures.factories import create_key, create_org_with_key, key_headers
from tests.fixtures.redis_server import RedisServer, redis_server
from tests.fixtures.tcp_proxy import TcpProxy

# Redis socket/connect time-outs of 1 s plus one reconnect: a fault must answer well inside this.
REDIS_BOUND = 3.5
DB_BOUND = 4.5


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    async with redis_server(tmp_path, persistent=True) as server:
        yield server


@pytest.fixture
async def on_own_redis(
    services: None, make_settings: SettingsFactory, own_redis: RedisServer
) -> AsyncIterator[RunningApp]:
    async with run_app(make_settings(redis_url=own_redis.url)) as running:
        yield running


async def _timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def _every_call_route(
    client: httpx.AsyncClient, org: Org, call_id: str
) -> list[tuple[httpx.Response, float]]:
    """Each call route once, with how long it took to answer."""
    headers = org.headers
    requests = [
        lambda: client.post("/api/call/start", json={"channel": "browser"}, headers=headers),
        lambda: client.post(
            f"/api/calls/{call_id}/transcript",
            json={"turns": [{"speaker": "caller", "text": "hello"}]},
            headers=headers,
        ),
        lambda: client.post(
            f"/api/calls/{call_id}/tool-calls",
            json={"name": "end_call", "arguments": {"reason": "done"}},
            headers=headers,
        ),
        lambda: client.get(f"/api/calls/{call_id}", headers=headers),
        lambda: client.get("/api/calls", headers=headers),
        lambda: end(client, org, call_id),
    ]
    return [await _timed(request()) for request in requests]


async def test_redis_paused_answers_503_live_store_unavailable_quickly(
    on_own_redis: RunningApp, own_redis: RedisServer
) -> None:
    client = on_own_redis.client
    org = Org(*await create_org_with_key(client))
    call_id = await start(client, org)
    own_redis.pause()
    try:
        timed = await _every_call_route(client, org, call_id)
        ready, ready_seconds = await _timed(client.get("/readyz"))
    finally:
        own_redis.resume()
    responses = [response for response, _ in timed]
    assert [r.status_code for r in responses] == [503] * len(responses), [r.text for r in responses]
    assert {r.json()["error"]["code"] for r in responses} == {"live_store_unavailable"}
    assert max(seconds for _, seconds in timed) < REDIS_BOUND
    assert ready.status_code == 503 and ready_seconds < REDIS_BOUND
    assert ready.json()["error"]["details"]["live_store"] == "unavailable"
    assert ready.json()["error"]["details"]["database"] == "ok"


async def test_redis_gone_answers_503_live_store_unavailable(
    on_own_redis: RunningApp, own_redis: RedisServer
) -> None:
    client = on_own_redis.client
    org = Org(*await create_org_with_key(client))
    call_id = await start(client, org)
    await own_redis.stop()
    timed = await _every_call_route(client, org, call_id)
    assert max(seconds for _, seconds in timed) < REDIS_BOUND
    codes = {(r.status_code, r.json()["error"]["code"]) for r, _ in timed}
    assert codes == {(503, "live_store_unavailable")}


async def test_redis_restart_mid_call_keeps_the_call_and_every_turn(
    on_own_redis: RunningApp, own_redis: RedisServer
) -> None:
    client = on_own_redis.client
    org = Org(*await create_org_with_key(client))
    call_id = await start(client, org)
    await say(client, org, call_id, ("caller", "before restart"), ("agent", "noted"))
    await own_redis.restart()
    await say(client, org, call_id, ("caller", "after restart"))
    response = await end(client, org, call_id)
    assert response.status_code == 200, response.text
    async with on_own_redis.state.session_factory() as session:
        stored = list(
            await session.scalars(
                select(CallTranscript.text)
                .where(CallTranscript.call_id == uuid.UUID(call_id))
                .order_by(CallTranscript.seq)
            )
        )
    assert stored == ["before restart", "noted", "after restart"]


async def test_readyz_reports_live_store_persistence(
    on_own_redis: RunningApp, client: httpx.AsyncClient
) -> None:
    persistent = await on_own_redis.client.get("/readyz")
    assert persistent.status_code == 200
    assert persistent.json()["details"]["live_store_persistence"] == "aof"
    # The shared test Redis runs without AOF: ready, but /readyz says the live calls would not survive.
    volatile = await client.get("/readyz")
    assert volatile.status_code == 200
    assert volatile.json()["details"]["live_store_persistence"] == "none"


@pytest.fixture
async def pg_proxy(database_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    try:
        yield proxy, database_url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
    finally:
        await proxy.stop()


async def test_postgres_blackholed_answers_503_within_seconds(
    services: None, make_settings: SettingsFactory, pg_proxy: tuple[TcpProxy, str]
) -> None:
    proxy, url = pg_proxy
    settings = make_settings(
        database_url=url,
        db_connect_timeout_seconds=1.0,
        db_command_timeout_seconds=1.0,
        db_pool_timeout_seconds=1.0,
    )
    async with run_app(settings) as running:
        client = running.client
        org = Org(*await create_org_with_key(client))
        call_id = await start(client, org)
        await say(client, org, call_id, ("caller", "hello"))
        cold_key = await create_key(client, org.id)  # never used: its check must read PostgreSQL
        proxy.blackhole()
        try:
            cold, cold_seconds = await _timed(client.get("/api/calls", headers=key_headers(cold_key)))
            ended, end_seconds = await _timed(end(client, org, call_id))
            ready, ready_seconds = await _timed(client.get("/readyz"))
        finally:
            proxy.restore()
        assert (cold.status_code, cold.json()["error"]["code"]) == (503, "database_unavailable")
        assert cold_seconds < DB_BOUND
        assert (ended.status_code, ended.json()["error"]["code"]) == (503, "persistence_unavailable")
        assert end_seconds < DB_BOUND
        assert ready.status_code == 503 and ready.json()["error"]["details"]["database"] == "unavailable"
        assert ready_seconds < DB_BOUND
        assert await running.state.live_store.snapshot(call_id) is not None
        retried = await end(client, org, call_id)
        assert retried.status_code == 200, retried.text


async def test_database_time_outs_default_to_a_few_seconds(make_settings: SettingsFactory) -> None:
    settings = make_settings()
    assert 0 < settings.db_connect_timeout_seconds <= 5
    assert 0 < settings.db_command_timeout_seconds <= 10
    assert 0 < settings.db_pool_timeout_seconds <= 5
    assert 0 < settings.redis_socket_timeout_seconds <= 2
    assert 0 < settings.redis_connect_timeout_seconds <= 2
