"""The platform operator's routes: orgs, API keys, phone numbers."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from sqlalchemy import text

from app.settings import Settings
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fixtures.factories import admin_headers, create_org, example_config, key_headers


async def test_create_org_returns_id_and_slug(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/admin/orgs", json={"name": "Bright Smiles", "config": example_config()}, headers=admin_headers()
    )
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "bright-smiles"
    assert body["timezone"] == "America/Chicago"
    assert body["config_version"] == 1
    assert len(body["id"]) == 36


async def test_create_org_with_taken_slug_is_409(client: httpx.AsyncClient) -> None:
    body = {"name": "A", "slug": "same", "config": example_config()}
    assert (await client.post("/api/admin/orgs", json=body, headers=admin_headers())).status_code == 201
    response = await client.post("/api/admin/orgs", json=body, headers=admin_headers())
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slug_taken"


async def test_create_org_derived_slug_collision_gets_suffix(client: httpx.AsyncClient) -> None:
    first = await create_org(client, name="Paws Vet")
    second = await create_org(client, name="Paws Vet")
    assert first["slug"] == "paws-vet"
    assert second["slug"].startswith("paws-vet-") and second["slug"] != first["slug"]


async def test_create_org_with_bad_slug_is_422(client: httpx.AsyncClient) -> None:
    body = {"name": "A", "slug": "Not A Slug", "config": example_config()}
    response = await client.post("/api/admin/orgs", json=body, headers=admin_headers())
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "slug"


async def test_create_org_with_invalid_config_names_each_field(client: httpx.AsyncClient) -> None:
    config = example_config(timezone="Mars/Olympus", escalation_phone="555-0100")
    response = await client.post(
        "/api/admin/orgs", json={"name": "A", "config": config}, headers=admin_headers()
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    fields = {d["field"] for d in error["details"]}
    assert {"config.timezone", "config.escalation_phone"} <= fields


async def test_list_orgs_paginates_with_cursor(client: httpx.AsyncClient) -> None:
    created = [await create_org(client, name=f"Org {i}") for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/admin/orgs", params=params, headers=admin_headers())
        assert response.status_code == 200
        page = response.json()
        seen += [org["id"] for org in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [org["id"] for org in created]


async def test_list_orgs_with_garbage_cursor_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/orgs", params={"cursor": "!!!"}, headers=admin_headers())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_admin_routes_without_key_are_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/orgs")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_credentials"


async def test_admin_routes_with_wrong_key_are_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/orgs", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


async def test_admin_routes_reject_an_org_key(client: httpx.AsyncClient) -> None:
    org = await create_org(client)
    created = await client.post(
        f"/api/admin/orgs/{org['id']}/api-keys",
        json={"name": "k", "scopes": ["config:read"]},
        headers=admin_headers(),
    )
    response = await client.get("/api/admin/orgs", headers=key_headers(created.json()["key"]))
    assert response.status_code == 401


async def test_admin_routes_without_configured_key_are_503(
    services: None, make_settings: SettingsFactory
) -> None:
    settings: Settings = make_settings(platform_admin_key=None)
    async with run_app(settings) as running:
        response = await running.client.get("/api/admin/orgs", headers=admin_headers())
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "admin_not_configured"


async def test_create_api_key_shows_secret_once(client: httpx.AsyncClient) -> None:
    org = await create_org(client)
    response = await client.post(
        f"/api/admin/orgs/{org['id']}/api-keys",
        json={"name": "frontend", "scopes": ["sessions:create", "calls:write"]},
        headers=admin_headers(),
    )
    assert response.status_code == 201
    created = response.json()
    assert created["key"].startswith(created["prefix"] + "_")
    assert created["scopes"] == ["sessions:create", "calls:write"]
    listing = await client.get(f"/api/admin/orgs/{org['id']}/api-keys", headers=admin_headers())
    assert listing.status_code == 200
    [listed] = listing.json()
    assert "key" not in listed
    assert listed["prefix"] == created["prefix"]
    assert created["key"] not in listing.text


async def test_api_key_secret_is_stored_only_as_hash(client: httpx.AsyncClient, app: RunningApp) -> None:
    org = await create_org(client)
    created = (
        await client.post(
            f"/api/admin/orgs/{org['id']}/api-keys",
            json={"name": "k", "scopes": ["config:read"]},
            headers=admin_headers(),
        )
    ).json()
    engine = app.state.engine
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT * FROM api_keys"))).mappings().one()
    assert created["key"] not in str(dict(row))
    assert row["key_hash"] == hashlib.sha256(created["key"].encode()).hexdigest()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "k", "scopes": []}, "scopes"),
        ({"name": "k", "scopes": ["config:admin"]}, "scopes.0"),
        ({"name": "k", "scopes": ["config:read", "config:read"]}, "scopes"),
        ({"name": "", "scopes": ["config:read"]}, "name"),
    ],
)
async def test_create_api_key_with_bad_input_is_422(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    org = await create_org(client)
    response = await client.post(f"/api/admin/orgs/{org['id']}/api-keys", json=body, headers=admin_headers())
    assert response.status_code == 422
    assert field in {d["field"] for d in response.json()["error"]["details"]}


async def test_create_api_key_for_unknown_org_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/admin/orgs/00000000-0000-4000-8000-000000000000/api-keys",
        json={"name": "k", "scopes": ["config:read"]},
        headers=admin_headers(),
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "org_not_found"


async def test_revoked_key_stops_working_at_once(client: httpx.AsyncClient) -> None:
    org = await create_org(client)
    created = (
        await client.post(
            f"/api/admin/orgs/{org['id']}/api-keys",
            json={"name": "k", "scopes": ["config:read"]},
            headers=admin_headers(),
        )
    ).json()
    url = f"/api/org/config/{org['id']}"
    assert (await client.get(url, headers=key_headers(created["key"]))).status_code == 200
    revoked = await client.delete(
        f"/api/admin/orgs/{org['id']}/api-keys/{created['id']}", headers=admin_headers()
    )
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    response = await client.get(url, headers=key_headers(created["key"]))
    assert response.status_code == 401


async def test_revoke_key_of_another_org_is_404(client: httpx.AsyncClient) -> None:
    org_a = await create_org(client)
    org_b = await create_org(client)
    created = (
        await client.post(
            f"/api/admin/orgs/{org_a['id']}/api-keys",
            json={"name": "k", "scopes": ["config:read"]},
            headers=admin_headers(),
        )
    ).json()
    response = await client.delete(
        f"/api/admin/orgs/{org_b['id']}/api-keys/{created['id']}", headers=admin_headers()
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "api_key_not_found"


async def test_phone_number_add_list_remove(client: httpx.AsyncClient) -> None:
    org = await create_org(client)
    base = f"/api/admin/orgs/{org['id']}/phone-numbers"
    response = await client.post(base, json={"number": "+15551234567"}, headers=admin_headers())
    assert response.status_code == 201
    assert response.json()["number"] == "+15551234567"
    listing = await client.get(base, headers=admin_headers())
    assert [n["number"] for n in listing.json()] == ["+15551234567"]
    removed = await client.delete(f"{base}/+15551234567", headers=admin_headers())
    assert removed.status_code == 204
    assert (await client.get(base, headers=admin_headers())).json() == []


async def test_phone_number_taken_by_another_org_is_409(client: httpx.AsyncClient) -> None:
    org_a = await create_org(client)
    org_b = await create_org(client)
    body = {"number": "+15551234567"}
    ok = await client.post(f"/api/admin/orgs/{org_a['id']}/phone-numbers", json=body, headers=admin_headers())
    assert ok.status_code == 201
    response = await client.post(
        f"/api/admin/orgs/{org_b['id']}/phone-numbers", json=body, headers=admin_headers()
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "phone_number_taken"


@pytest.mark.parametrize("number", ["5551234567", "+0551234567", "+1 555 123 4567", "+1555123456789012"])
async def test_phone_number_not_e164_is_422(client: httpx.AsyncClient, number: str) -> None:
    org = await create_org(client)
    response = await client.post(
        f"/api/admin/orgs/{org['id']}/phone-numbers", json={"number": number}, headers=admin_headers()
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "number"


async def test_remove_phone_number_of_another_org_is_404(client: httpx.AsyncClient) -> None:
    org_a = await create_org(client)
    org_b = await create_org(client)
    await client.post(
        f"/api/admin/orgs/{org_a['id']}/phone-numbers",
        json={"number": "+15551234567"},
        headers=admin_headers(),
    )
    response = await client.delete(
        f"/api/admin/orgs/{org_b['id']}/phone-numbers/+15551234567", headers=admin_headers()
    )
    assert response.status_code == 404
    listing = await client.get(f"/api/admin/orgs/{org_a['id']}/phone-numbers", headers=admin_headers())
    assert len(listing.json()) == 1


async def test_malformed_org_id_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/orgs/not-a-uuid/api-keys", headers=admin_headers())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "org_not_found"
