"""Nothing is lost: PostgreSQL down at end keeps live state; the sweeper finalizes what was left behind."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from app.calls.sweeper import sweep_once
from app.settings import CallSettings
from database.models import Call, CallTranscript
from tests.calls.conftest import Org, end, say, start
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fixtures.factories import create_org_with_key
from tests.fixtures.tcp_proxy import TcpProxy


@pytest.fixture
async def proxied(
    services: None, make_settings: SettingsFactory, database_url: str
) -> AsyncIterator[tuple[RunningApp, TcpProxy]]:
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    url = database_url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
    try:
        async with run_app(make_settings(database_url=url)) as running:
            yield running, proxy
    finally:
        await proxy.stop()


async def test_end_with_postgres_down_is_503_and_keeps_live_state(
    proxied: tuple[RunningApp, TcpProxy],
) -> None:
    app, proxy = proxied
    client = app.client
    org_id, key = await create_org_with_key(client)
    org = Org(org_id, key)
    call_id = await start(client, org)
    await say(client, org, call_id, ("caller", "hello"), ("agent", "hi there"))
    proxy.cut()
    response = await end(client, org, call_id, "caller_hung_up")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "persistence_unavailable"
    snapshot = await app.state.live_store.snapshot(call_id)
    assert snapshot is not None and len(snapshot.turns) == 2
    proxy.restore()
    retried = await end(client, org, call_id, "caller_hung_up")
    assert retried.status_code == 200, retried.text
    stored = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert stored["live"] is False
    assert [t["text"] for t in stored["transcript"]] == ["hello", "hi there"]
    assert await app.state.live_store.snapshot(call_id) is None


async def test_sweeper_persists_call_after_postgres_returns(proxied: tuple[RunningApp, TcpProxy]) -> None:
    app, proxy = proxied
    client = app.client
    org_id, key = await create_org_with_key(client)
    org = Org(org_id, key)
    call_id = await start(client, org)
    await say(client, org, call_id, ("caller", "hello"))
    proxy.cut()
    far_future = time.time() + 10_000
    assert await sweep_once(app.state, now=far_future) == 0
    assert await app.state.live_store.snapshot(call_id) is not None
    proxy.restore()
    assert await sweep_once(app.state, now=far_future) == 1
    stored = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert stored["live"] is False and stored["status"] == "completed"
    assert stored["end_reason"] == "max_duration"


async def test_sweeper_abandons_idle_calls_only(client: httpx.AsyncClient, app: RunningApp, org: Org) -> None:
    idle = await start(client, org)
    busy = await start(client, org)
    settings = app.settings.calls
    now = time.time() + settings.idle_timeout_seconds + 1
    # The busy call shows activity "now" (in the future clock), the idle one does not.
    await app.state.live_store.update_call(busy, status="active")
    redis = app.state.live_store._r  # the activity index is the store's; set the busy call's score to `now`
    await redis.zadd("calls:activity", {busy: now})
    assert await sweep_once(app.state, now=now) == 1
    stored = (await client.get(f"/api/calls/{idle}", headers=org.headers)).json()
    assert stored["status"] == "abandoned" and stored["end_reason"] == "idle_timeout"
    assert (await client.get(f"/api/calls/{busy}", headers=org.headers)).json()["live"] is True


async def test_sweeper_completes_calls_that_asked_to_end(
    client: httpx.AsyncClient, app: RunningApp, org: Org
) -> None:
    call_id = await start(client, org)
    await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "end_call", "arguments": {"reason": "done"}},
        headers=org.headers,
    )
    assert await sweep_once(app.state, now=time.time() + app.settings.calls.idle_timeout_seconds + 1) == 1
    stored = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert stored["status"] == "completed" and stored["end_reason"] == "agent_end_call"


async def test_two_sweepers_racing_finalize_each_call_once(
    services: None, make_settings: SettingsFactory
) -> None:
    settings = make_settings(calls=CallSettings(sweeper_enabled=False))
    async with run_app(settings) as first, run_app(settings) as second:
        org_id, key = await create_org_with_key(first.client)
        org = Org(org_id, key)
        call_ids = [await start(first.client, org) for _ in range(20)]
        for call_id in call_ids:
            await say(first.client, org, call_id, ("caller", "hi"), ("agent", "hello"))
        later = time.time() + 100_000
        results = await asyncio.gather(
            sweep_once(first.state, now=later), sweep_once(second.state, now=later)
        )
        assert sum(results) == 20
        async with first.state.session_factory() as session:
            calls = await session.scalar(select(func.count()).select_from(Call))
            turns = await session.scalar(select(func.count()).select_from(CallTranscript))
        assert (calls, turns) == (20, 40)


async def test_sweeper_runs_in_lifespan(services: None, make_settings: SettingsFactory) -> None:
    settings = make_settings(
        calls=CallSettings(sweeper_enabled=True, sweep_interval_seconds=0.05, idle_timeout_seconds=0)
    )
    async with run_app(settings) as running:
        org_id, key = await create_org_with_key(running.client)
        org = Org(org_id, key)
        call_id = await start(running.client, org)
        for _ in range(100):
            detail = (await running.client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
            if not detail["live"]:
                break
            await asyncio.sleep(0.05)
    assert detail["live"] is False and detail["status"] == "abandoned"


async def test_end_of_unknown_call_with_postgres_up_is_404(client: httpx.AsyncClient, org: Org) -> None:
    response = await end(client, org, str(uuid.uuid4()))
    assert response.status_code == 404


async def test_live_call_keeps_working_while_postgres_is_down(proxied: tuple[RunningApp, TcpProxy]) -> None:
    app, proxy = proxied
    client = app.client
    org_id, key = await create_org_with_key(client)
    org = Org(org_id, key)
    call_id = await start(client, org)
    proxy.cut()
    result = await say(client, org, call_id, ("caller", "my dog ate chocolate"))
    assert result["escalation"]["category"] == "emergency"
    tool = await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "end_call", "arguments": {"reason": "done"}},
        headers=org.headers,
    )
    assert tool.status_code == 200
    proxy.restore()
    assert (await end(client, org, call_id)).status_code == 200


async def test_cold_auth_with_postgres_down_is_503(proxied: tuple[RunningApp, TcpProxy]) -> None:
    app, proxy = proxied
    _, key = await create_org_with_key(app.client)
    proxy.cut()
    response = await app.client.post("/api/call/start", json={}, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
