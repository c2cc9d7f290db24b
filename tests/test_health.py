"""Liveness, readiness, and the one error shape for unknown routes."""

from __future__ import annotations

import httpx

from tests.conftest import SettingsFactory, run_app


async def test_healthz_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_with_database_and_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "live_store": "ok"}


async def test_readyz_names_the_failed_store(services: None, make_settings: SettingsFactory) -> None:
    settings = make_settings(redis_url="redis://127.0.0.1:1/0")
    async with run_app(settings) as running:
        response = await running.client.get("/readyz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"] == {"database": "ok", "live_store": "unavailable"}


async def test_readyz_names_a_failed_database(services: None, make_settings: SettingsFactory) -> None:
    settings = make_settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    async with run_app(settings) as running:
        response = await running.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["database"] == "unavailable"


async def test_unknown_route_uses_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "route_not_found"


async def test_malformed_json_body_is_422_in_error_shape(client: httpx.AsyncClient) -> None:
    from tests.fixtures.factories import admin_headers

    response = await client.post(
        "/api/admin/orgs",
        content=b"{not json",
        headers={**admin_headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
