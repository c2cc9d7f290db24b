"""GET /api/calls: filters, keyset pagination newest first, tenant isolation on every call route."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.calls.conftest import Org, end, say, start
from tests.fixtures.factories import create_org_with_key, key_headers


async def _ended_call(client: httpx.AsyncClient, org: Org, *, escalate: bool = False, **body: object) -> str:
    call_id = await start(client, org, **body)
    if escalate:
        await say(client, org, call_id, ("caller", "there is a gas leak in the kitchen"))
    assert (await end(client, org, call_id)).status_code == 200
    return call_id


async def test_list_returns_newest_first_with_cursor(client: httpx.AsyncClient, org: Org) -> None:
    ids = [await _ended_call(client, org) for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/calls", params=params, headers=org.headers)).json()
        seen += [item["call_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))


async def test_list_filters_by_escalated_and_channel(client: httpx.AsyncClient, org: Org) -> None:
    plain = await _ended_call(client, org)
    escalated = await _ended_call(client, org, escalate=True)
    phone = await _ended_call(client, org, channel="phone")
    only_escalated = (await client.get("/api/calls?escalated=true", headers=org.headers)).json()
    only_phone = (await client.get("/api/calls?channel=phone", headers=org.headers)).json()
    not_escalated = (await client.get("/api/calls?escalated=false", headers=org.headers)).json()
    assert [c["call_id"] for c in only_escalated["items"]] == [escalated]
    assert [c["call_id"] for c in only_phone["items"]] == [phone]
    assert {c["call_id"] for c in not_escalated["items"]} == {plain, phone}


async def test_list_filters_by_status_urgency_and_time(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    args = {"caller_name": "Bo", "urgency_level": "urgent", "summary": "broken tooth"}
    await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "complete_intake", "arguments": args},
        headers=org.headers,
    )
    ended = (await end(client, org, call_id)).json()
    await _ended_call(client, org)
    urgent = (await client.get("/api/calls", params={"urgency": "urgent"}, headers=org.headers)).json()
    assert [c["call_id"] for c in urgent["items"]] == [call_id]
    completed = (await client.get("/api/calls", params={"status": "completed"}, headers=org.headers)).json()
    assert len(completed["items"]) == 2
    window = {"started_after": ended["started_at"], "started_before": "2999-01-01T00:00:00Z"}
    in_window = (await client.get("/api/calls", params=window, headers=org.headers)).json()
    assert call_id in [c["call_id"] for c in in_window["items"]]
    none = (await client.get("/api/calls", params={"status": "abandoned"}, headers=org.headers)).json()
    assert none == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"status": "ringing"}, {"urgency": "meh"}, {"started_after": "yesterday"}],
)
async def test_list_with_bad_query_is_422(
    client: httpx.AsyncClient, org: Org, params: dict[str, object]
) -> None:
    response = await client.get("/api/calls", params=params, headers=org.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_list_with_bad_cursor_is_400(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.get("/api/calls", params={"cursor": "bm9wZQ"}, headers=org.headers)
    assert response.status_code == 400


async def test_list_never_shows_another_orgs_calls(
    client: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    await _ended_call(client, org)
    response = await client.get("/api/calls", headers=other_org.headers)
    assert response.json()["items"] == []


async def test_every_call_route_hides_another_orgs_call(
    client: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    live_id = await start(client, org)
    ended_id = await _ended_call(client, org)
    for call_id in (live_id, ended_id):
        responses = [
            await client.get(f"/api/calls/{call_id}", headers=other_org.headers),
            await client.post(
                f"/api/calls/{call_id}/transcript",
                json={"turns": [{"speaker": "caller", "text": "hi"}]},
                headers=other_org.headers,
            ),
            await client.post(
                f"/api/calls/{call_id}/tool-calls",
                json={"name": "end_call", "arguments": {"reason": "x"}},
                headers=other_org.headers,
            ),
            await end(client, other_org, call_id),
            await client.post("/api/realtime/session", json={"call_id": call_id}, headers=other_org.headers),
        ]
        for response in responses:
            assert response.status_code == 404, response.text
    detail = (await client.get(f"/api/calls/{live_id}", headers=org.headers)).json()
    assert detail["live"] is True and detail["transcript"] == []


@pytest.mark.parametrize(
    ("method", "path", "scope_ok"),
    [
        ("POST", "/api/call/start", "calls:write"),
        ("POST", "/api/calls/{id}/transcript", "calls:write"),
        ("POST", "/api/calls/{id}/tool-calls", "calls:write"),
        ("POST", "/api/call/end", "calls:write"),
        ("GET", "/api/calls", "calls:read"),
        ("GET", "/api/calls/{id}", "calls:read"),
        ("POST", "/api/realtime/session", "sessions:create"),
    ],
)
async def test_call_routes_need_key_and_scope(
    client: httpx.AsyncClient, method: str, path: str, scope_ok: str
) -> None:
    _, wrong_scope_key = await create_org_with_key(
        client, scopes=[s for s in ["config:read", "calls:read", "calls:write"] if s != scope_ok]
    )
    url = path.format(id=uuid.uuid4())
    body = {"call_id": str(uuid.uuid4())} if path == "/api/call/end" else {}
    assert (await client.request(method, url, json=body)).status_code == 401
    response = await client.request(method, url, json=body, headers=key_headers(wrong_scope_key))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
