"""last_used_at is recorded, but never once per request: at most one write per key per minute, even when
a burst of requests all miss a cold auth cache at once; and a miss gives its connection back at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from app.orgs.auth import authenticate_org_key, key_cache_key, org_cache_key
from app.orgs.keys import hash_key
from database.models import ApiKey
from tests.conftest import RunningApp
from tests.fixtures.factories import create_key, create_org, key_headers

BURST = 12


@contextmanager
def key_updates(app: RunningApp) -> Iterator[list[str]]:
    """The UPDATE statements on api_keys the app's engine runs inside the block."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEYS"):
            seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


async def _cold(app: RunningApp, org_id: str, key: str) -> None:
    await app.state.live_store.cache_delete(key_cache_key(hash_key(key)), org_cache_key(org_id))


async def test_last_used_at_is_recorded_on_first_use(app: RunningApp) -> None:
    org_id = (await create_org(app.client))["id"]
    key = await create_key(app.client, org_id)
    response = await app.client.get(f"/api/org/config/{org_id}", headers=key_headers(key))
    assert response.status_code == 200, response.text
    async with app.state.session_factory() as session:
        used = await session.scalar(select(ApiKey.last_used_at).where(ApiKey.key_hash == hash_key(key)))
    assert used is not None


async def test_last_used_at_written_once_for_a_cold_cache_burst(app: RunningApp) -> None:
    org_id = (await create_org(app.client))["id"]
    key = await create_key(app.client, org_id)
    await _cold(app, org_id, key)
    with key_updates(app) as updates:
        responses = await asyncio.gather(
            *(app.client.get(f"/api/org/config/{org_id}", headers=key_headers(key)) for _ in range(BURST))
        )
        assert [r.status_code for r in responses] == [200] * BURST
        for _ in range(3):  # later misses within the minute write nothing either
            await _cold(app, org_id, key)
            assert (
                await app.client.get(f"/api/org/config/{org_id}", headers=key_headers(key))
            ).status_code == 200
    assert len(updates) == 1, updates


async def test_auth_cache_miss_returns_its_connection(app: RunningApp) -> None:
    org_id = (await create_org(app.client))["id"]
    key = await create_key(app.client, org_id)
    await _cold(app, org_id, key)
    pool = app.state.engine.sync_engine.pool
    before = pool.checkedout()  # the dispatcher's LISTEN connection, held for the app's life
    async with app.state.session_factory() as session:
        principal = await authenticate_org_key(session, app.state.live_store, authorization=f"Bearer {key}")
        assert str(principal.org_id) == org_id
        assert pool.checkedout() == before
