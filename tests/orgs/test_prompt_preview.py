"""GET /api/org/config/{org_id}/prompt shows exactly what a call at a given moment would get."""

from __future__ import annotations

import httpx

from tests.fixtures.factories import create_org_with_key, key_headers

MONDAY_OPEN = "2026-11-23T10:00:00-06:00"
SATURDAY = "2026-11-28T10:00:00-06:00"
CHRISTMAS = "2026-12-25T10:00:00-06:00"


async def _preview(client: httpx.AsyncClient, org_id: str, key: str, at: str) -> httpx.Response:
    return await client.get(f"/api/org/config/{org_id}/prompt", params={"at": at}, headers=key_headers(key))


async def test_preview_when_open_shows_open_and_tools(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await _preview(client, org_id, key, MONDAY_OPEN)
    assert response.status_code == 200
    body = response.json()
    assert body["is_open"] is True and body["open_reason"] == "business_hours"
    assert [t["name"] for t in body["tools"]] == ["escalate_call", "complete_intake", "end_call"]
    assert "the office is open" in body["instructions"]
    assert "jaw swelling" in body["instructions"]
    assert body["prompt_hash"].startswith("sha256:")
    assert body["model"] == "gpt-realtime-2.1" and body["voice"] == "marin"


async def test_preview_when_closed_explains_after_hours_policy(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    body = (await _preview(client, org_id, key, SATURDAY)).json()
    assert body["is_open"] is False
    assert body["next_open"].startswith("2026-11-30T08:00")
    assert "only emergencies are handled now" in body["instructions"]


async def test_preview_on_holiday_is_closed(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    body = (await _preview(client, org_id, key, CHRISTMAS)).json()
    assert body["is_open"] is False and body["open_reason"] == "holiday"


async def test_preview_is_deterministic_for_same_moment(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    first = (await _preview(client, org_id, key, MONDAY_OPEN)).json()
    second = (await _preview(client, org_id, key, MONDAY_OPEN)).json()
    assert first == second


async def test_preview_hash_matches_call_started_at_same_config(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    started = await client.post("/api/call/start", json={}, headers=key_headers(key))
    call = (await client.get(f"/api/calls/{started.json()['call_id']}", headers=key_headers(key))).json()
    preview = (await _preview(client, org_id, key, call["started_at"])).json()
    assert preview["prompt_hash"] == call["prompt_hash"]


async def test_preview_with_naive_time_is_422(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await _preview(client, org_id, key, "2026-11-23T10:00:00")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "query.at"


async def test_preview_for_another_org_is_404(client: httpx.AsyncClient) -> None:
    org_a, _ = await create_org_with_key(client)
    _, key_b = await create_org_with_key(client)
    response = await _preview(client, org_a, key_b, MONDAY_OPEN)
    assert response.status_code == 404


async def test_preview_needs_config_read(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client, scopes=["calls:read"])
    response = await _preview(client, org_id, key, MONDAY_OPEN)
    assert response.status_code == 403
