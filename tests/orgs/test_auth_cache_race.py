"""Item 3: a revoked key or a changed config takes effect at once, even when requests race the change.

Each trial starts with a cold auth cache (as after its 30 s expiry) and sends 12 requests on the key at
the same moment as the revoke (or config change). Requests that read the key from the database before
the change committed must not put the old entry back into the cache after the change cleared it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.calls.live_memory import MemoryLiveStore
from app.calls.live_store import RedisLiveStore
from app.orgs.auth import authenticate_org_key, key_cache_key, org_cache_key
from app.orgs.keys import hash_key
from app.settings import CallSettings, Settings
from database.engine import create_engine
from database.migrate import upgrade
from database.seed import apply_seed
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fixtures.factories import ADMIN_KEY, admin_headers, create_org, key_headers

TRIALS = 20
CONCURRENCY = 12


@pytest.fixture(params=["postgres_redis", "sqlite_memory"])
async def running(
    request: pytest.FixtureRequest, services: None, tmp_path: Path, make_settings: SettingsFactory
) -> AsyncIterator[RunningApp]:
    if request.param == "postgres_redis":
        settings = make_settings()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        await apply_seed(engine)
        await engine.dispose()
        settings = Settings(
            environment="test",
            database_url=url,
            redis_url=None,
            platform_admin_key=SecretStr(ADMIN_KEY),
            calls=CallSettings(sweeper_enabled=False),
        )
    async with run_app(settings) as app:
        expected = RedisLiveStore if request.param == "postgres_redis" else MemoryLiveStore
        assert isinstance(app.state.live_store, expected)
        yield app


async def _new_key(app: RunningApp, org_id: str) -> tuple[str, str]:
    response = await app.client.post(
        f"/api/admin/orgs/{org_id}/api-keys",
        json={"name": "racer", "scopes": ["config:read", "config:write"]},
        headers=admin_headers(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], body["key"]


async def _cold(app: RunningApp, org_id: str, key: str) -> None:
    await app.state.live_store.cache_delete(key_cache_key(hash_key(key)), org_cache_key(org_id))


async def _burst(app: RunningApp, org_id: str, key: str) -> list[asyncio.Task[int]]:
    async def one() -> int:
        await asyncio.sleep(random.random() * 0.004)
        response = await app.client.get(f"/api/org/config/{org_id}", headers=key_headers(key))
        return response.status_code

    return [asyncio.create_task(one()) for _ in range(CONCURRENCY)]


async def test_revoked_key_is_refused_at_once_under_concurrency(running: RunningApp) -> None:
    org_id = (await create_org(running.client))["id"]
    stale_trials = []
    for trial in range(TRIALS):
        key_id, key = await _new_key(running, org_id)
        await _cold(running, org_id, key)
        burst = await _burst(running, org_id, key)
        await asyncio.sleep(random.random() * 0.004)
        revoked = await running.client.delete(
            f"/api/admin/orgs/{org_id}/api-keys/{key_id}", headers=admin_headers()
        )
        assert revoked.status_code == 200, revoked.text
        await asyncio.gather(*burst)
        after = [
            (await running.client.get(f"/api/org/config/{org_id}", headers=key_headers(key))).status_code
            for _ in range(3)
        ]
        if after != [401, 401, 401]:
            stale_trials.append((trial, after))
    assert not stale_trials, f"a revoked key still authenticated after the revoke returned: {stale_trials}"


async def test_config_change_is_seen_at_once_under_concurrency(running: RunningApp) -> None:
    org_id = (await create_org(running.client))["id"]
    _, writer = await _new_key(running, org_id)
    stale_trials = []
    for trial in range(TRIALS):
        # A fresh key each time: its first use also records last_used_at, as a new key's would.
        _, key = await _new_key(running, org_id)
        await _cold(running, org_id, key)
        burst = await _burst(running, org_id, key)
        await asyncio.sleep(random.random() * 0.004)
        greeting = f"Greeting number {trial}."
        patched = await running.client.patch(
            f"/api/org/config/{org_id}", json={"greeting": greeting}, headers=key_headers(writer)
        )
        assert patched.status_code == 200, patched.text
        await asyncio.gather(*burst)
        async with running.state.session_factory() as session:
            principal = await authenticate_org_key(
                session, running.state.live_store, authorization=f"Bearer {key}"
            )
        if principal.config["greeting"] != greeting:
            stale_trials.append((trial, principal.config_version))
    assert not stale_trials, f"an old config was served after the change returned: {stale_trials}"
