"""The process's memo of principals built from the auth cache: returned only while both cache entries read
back unchanged, so it is never fresher or staler than the shared cache itself."""

from __future__ import annotations

import orjson
import pytest

from app.orgs import auth
from app.orgs.auth import authenticate_with, key_cache_key, org_cache_key
from app.orgs.keys import hash_key
from tests.conftest import RunningApp
from tests.fixtures.factories import admin_headers, create_key, create_org, key_headers


async def _principal(app: RunningApp, key: str) -> auth.OrgPrincipal:
    return await authenticate_with(
        app.state.session_factory, app.state.live_store, authorization=f"Bearer {key}"
    )


async def test_a_warm_memo_serves_a_rewritten_org_entry(app: RunningApp) -> None:
    org_id = (await create_org(app.client))["id"]
    key = await create_key(app.client, org_id)
    await _principal(app, key)  # a miss: from the database, into the shared cache
    first = await _principal(app, key)  # from the shared cache, into the memo
    assert await _principal(app, key) is first  # warm: the same principal, nothing parsed again
    live = app.state.live_store
    raw = await live.cache_get(org_cache_key(org_id))
    assert raw is not None
    entry = orjson.loads(raw)
    # As another worker would write it after a config change: same key entry, a new org entry.
    entry["name"], entry["config_version"] = "Renamed Clinic", entry["config_version"] + 1
    await live.cache_set(org_cache_key(org_id), orjson.dumps(entry).decode(), 30)
    renamed = await _principal(app, key)
    assert (renamed.org_name, renamed.config_version) == ("Renamed Clinic", first.config_version + 1)


async def test_a_warm_memo_never_outlives_a_revocation(app: RunningApp) -> None:
    org_id = (await create_org(app.client))["id"]
    created = await app.client.post(
        f"/api/admin/orgs/{org_id}/api-keys",
        json={"name": "memo", "scopes": ["config:read"]},
        headers=admin_headers(),
    )
    assert created.status_code == 201, created.text
    key_id, key = created.json()["id"], created.json()["key"]
    for _ in range(2):
        response = await app.client.get(f"/api/org/config/{org_id}", headers=key_headers(key))
        assert response.status_code == 200, response.text
    assert hash_key(key) in auth._REMEMBERED
    revoked = await app.client.delete(f"/api/admin/orgs/{org_id}/api-keys/{key_id}", headers=admin_headers())
    assert revoked.status_code == 200, revoked.text
    response = await app.client.get(f"/api/org/config/{org_id}", headers=key_headers(key))
    assert response.status_code == 401, response.text
    assert hash_key(key) not in auth._REMEMBERED


async def test_a_config_change_is_seen_on_the_next_request_with_a_warm_memo(app: RunningApp) -> None:
    org_id = (await create_org(app.client))["id"]
    key = await create_key(app.client, org_id)
    await _principal(app, key)
    before = await _principal(app, key)
    assert await _principal(app, key) is before
    patched = await app.client.patch(
        f"/api/org/config/{org_id}", json={"greeting": "Thanks for calling."}, headers=key_headers(key)
    )
    assert patched.status_code == 200, patched.text
    after = await _principal(app, key)
    assert after.config["greeting"] == "Thanks for calling."
    assert after.config_version == before.config_version + 1


async def test_the_memo_is_bounded(app: RunningApp, monkeypatch: pytest.MonkeyPatch) -> None:
    org_id = (await create_org(app.client))["id"]
    keys = [await create_key(app.client, org_id) for _ in range(3)]
    monkeypatch.setattr(auth, "_REMEMBER_AT_MOST", 2)
    for key in keys:
        await _principal(app, key)  # into the shared cache
        await _principal(app, key)  # into the memo
    assert hash_key(keys[0]) not in auth._REMEMBERED
    assert {hash_key(keys[1]), hash_key(keys[2])} <= set(auth._REMEMBERED)
    # Entries are not lost with the memo: the evicted key still authenticates from the shared cache.
    assert await app.state.live_store.cache_get(key_cache_key(hash_key(keys[0]))) is not None
    assert (await _principal(app, keys[0])).org_id == (await _principal(app, keys[1])).org_id


async def test_a_large_org_entry_is_read_every_time_not_remembered(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id = (await create_org(app.client))["id"]
    key = await create_key(app.client, org_id)
    monkeypatch.setattr(auth, "_REMEMBER_ORG_CHARS", 10)
    await _principal(app, key)
    first = await _principal(app, key)
    assert hash_key(key) not in auth._REMEMBERED
    second = await _principal(app, key)
    assert second == first and second is not first
