"""Item 7: classes of bad input that answered 5xx now answer 4xx in the error shape."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.fixtures.factories import admin_headers, create_org_with_key, key_headers


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _assert_client_error(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    return body


@pytest.mark.parametrize(
    "if_match", ['"²"', '"٣"', '"' + "9" * 5000 + '"', 'W/"1e3"', '"-1"', '"1", "x"', '"  "', '"\u00b9"']
)
async def test_if_match_that_is_not_a_small_integer_is_4xx(client: httpx.AsyncClient, if_match: str) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.patch(
        f"/api/org/config/{org_id}",
        json={"greeting": "Hi."},
        headers={**key_headers(key), "If-Match": if_match.encode()},
    )
    _assert_client_error(response, 400, 412)


@pytest.mark.parametrize(
    "zone", ["America", "Etc/", "posix/", "right", "America/", "Etc", "/etc/passwd", "."]
)
async def test_time_zone_naming_a_folder_is_422(client: httpx.AsyncClient, zone: str) -> None:
    response = await client.post(
        "/api/admin/orgs",
        json={"name": "Tz", "config": {"timezone": zone}},
        headers=admin_headers(),
    )
    body = _assert_client_error(response, 422)
    assert any(d["field"] == "config.timezone" for d in body["error"]["details"]), body


EDGE_TIMES = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59+00:00",
    "0001-01-01T00:00:00+00:00",
]


@pytest.mark.parametrize("moment", EDGE_TIMES)
async def test_calendar_end_times_in_queries_are_422(client: httpx.AsyncClient, moment: str) -> None:
    org_id, key = await create_org_with_key(client)
    for url, params in (
        ("/api/calls", {"started_after": moment}),
        ("/api/calls", {"started_before": moment}),
        (f"/api/org/config/{org_id}/prompt", {"at": moment}),
    ):
        response = await client.get(url, params=params, headers=key_headers(key))
        _assert_client_error(response, 422)


@pytest.mark.parametrize("moment", EDGE_TIMES)
async def test_calendar_end_turn_times_are_422(client: httpx.AsyncClient, moment: str) -> None:
    _, key = await create_org_with_key(client)
    call_id = (await client.post("/api/call/start", json={}, headers=key_headers(key))).json()["call_id"]
    response = await client.post(
        f"/api/calls/{call_id}/transcript",
        json={"turns": [{"speaker": "caller", "text": "hello", "at": moment}]},
        headers=key_headers(key),
    )
    _assert_client_error(response, 422)
    ended = await client.post("/api/call/end", json={"call_id": call_id}, headers=key_headers(key))
    assert ended.status_code == 200, ended.text


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor([1, 2]),
        _cursor(["2026-01-01T00:00:00+00:00", 5]),
        _cursor(["2026-01-01T00:00:00+00:00", ["x"]]),
        _cursor(["2026-01-01T00:00:00", "6f2b3c1e-8a3e-4a57-9a55-0ab3a5c0b5f1"]),
        _cursor(["9999-12-31T23:59:59-23:59", "6f2b3c1e-8a3e-4a57-9a55-0ab3a5c0b5f1"]),
        _cursor([{"a": 1}, None]),
        _cursor("x"),
        _cursor(None),
        "%%%",
    ],
)
async def test_time_id_cursor_of_wrong_type_is_400(client: httpx.AsyncClient, cursor: str) -> None:
    _, key = await create_org_with_key(client)
    response = await client.get("/api/calls", params={"cursor": cursor}, headers=key_headers(key))
    assert _assert_client_error(response, 400)["error"]["code"] == "invalid_cursor"
    response = await client.get("/api/admin/orgs", params={"cursor": cursor}, headers=admin_headers())
    assert _assert_client_error(response, 400)["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("value", [True, 2**63, -(2**70), 1.5, "7", 0])
async def test_audit_cursor_of_wrong_type_is_400(client: httpx.AsyncClient, value: Any) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.get(
        f"/api/org/config/{org_id}/audit", params={"cursor": _cursor([value])}, headers=key_headers(key)
    )
    assert _assert_client_error(response, 400)["error"]["code"] == "invalid_cursor"


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize(
    "metadata",
    [
        {"n": 10**400},
        {"n": -(10**30)},
        {"n": 1e308 * 10},
        {"n": [10**20]},
        _nested(40),
        {"list": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
    ],
)
async def test_metadata_with_huge_numbers_or_deep_nesting_is_422(
    client: httpx.AsyncClient, metadata: dict[str, Any]
) -> None:
    _, key = await create_org_with_key(client)
    content = _dumps_big({"metadata": metadata})
    response = await client.post(
        "/api/call/start", content=content, headers={**key_headers(key), "Content-Type": "application/json"}
    )
    body = _assert_client_error(response, 422)
    assert any(d["field"].startswith("metadata") for d in body["error"]["details"]), body


def _dumps_big(value: Any) -> bytes:
    return json.dumps(value).replace("Infinity", "1e999").encode()


@pytest.mark.parametrize(
    "arguments",
    [{"caller_name": 10**400}, _nested(40), {"x": -1e999}, '{"caller_name": ' + "9" * 5000 + "}"],
)
async def test_tool_arguments_with_huge_numbers_or_deep_nesting_are_422(
    client: httpx.AsyncClient, arguments: Any
) -> None:
    _, key = await create_org_with_key(client)
    call_id = (await client.post("/api/call/start", json={}, headers=key_headers(key))).json()["call_id"]
    content = _dumps_big({"name": "complete_intake", "arguments": arguments})
    response = await client.post(
        f"/api/calls/{call_id}/tool-calls",
        content=content,
        headers={**key_headers(key), "Content-Type": "application/json"},
    )
    body = _assert_client_error(response, 422)
    assert any(d["field"].startswith("arguments") for d in body["error"]["details"]), body


async def test_deeply_nested_json_body_is_a_clear_422(client: httpx.AsyncClient) -> None:
    _, key = await create_org_with_key(client)
    content = b'{"metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await client.post(
        "/api/call/start", content=content, headers={**key_headers(key), "Content-Type": "application/json"}
    )
    body = _assert_client_error(response, 422)
    assert body["error"]["code"] in {"validation_error", "json_too_deep"}
