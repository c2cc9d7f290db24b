"""Item 1 at the edge: NUL and other C0 controls (tab, newline aside) are a 422 that names the field."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.factory import create_app
from tests.conftest import SettingsFactory
from tests.fixtures.factories import admin_headers, create_org_with_key, example_config, key_headers

BAD = ["\u0000", "\u0001", "\u001b", "\u001f"]


def _fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] in {"validation_error", "invalid_config"}
    return [d["field"] for d in body["error"]["details"]]


@pytest.mark.parametrize("bad", BAD)
async def test_org_name_with_control_char_is_refused(client: httpx.AsyncClient, bad: str) -> None:
    response = await client.post(
        "/api/admin/orgs", json={"name": f"Acme{bad}", "config": example_config()}, headers=admin_headers()
    )
    assert "name" in _fields(response)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("greeting",), "Hello\u0000"),
        (("recording_disclosure",), "rec\u0007"),
        (("services_offered",), ["ok", "bad\u0000"]),
        (("intake_fields",), [{"name": "caller_name", "label": "Na\u0000me"}]),
        (("holidays",), [{"date": "2026-12-25", "name": "X\u0000mas"}]),
        (("realtime",), {"voice": "mar\u0000in"}),
    ],
)
async def test_config_string_with_nul_is_refused_naming_the_field(
    client: httpx.AsyncClient, path: tuple[str, ...], value: Any
) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.patch(
        f"/api/org/config/{org_id}", json={path[0]: value}, headers=key_headers(key)
    )
    fields = _fields(response)
    assert any(field.startswith(f"config.{path[0]}") for field in fields), fields


async def test_api_key_name_with_nul_is_refused(client: httpx.AsyncClient) -> None:
    org_id, _ = await create_org_with_key(client)
    response = await client.post(
        f"/api/admin/orgs/{org_id}/api-keys",
        json={"name": "k\u0000", "scopes": ["calls:read"]},
        headers=admin_headers(),
    )
    assert _fields(response) == ["name"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"caller_name": "Ann\u0000"}, "caller_name"),
        ({"metadata": {"a\u0000": 1}}, "metadata"),
        ({"metadata": {"a": {"b": ["x", "y\u0000"]}}}, "metadata"),
        ({"metadata": {"a": "\u0008"}}, "metadata"),
    ],
)
async def test_call_start_with_control_char_is_refused(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    _, key = await create_org_with_key(client)
    response = await client.post("/api/call/start", json=body, headers=key_headers(key))
    assert field in _fields(response)


async def test_transcript_text_with_nul_is_refused_and_tab_newline_pass(client: httpx.AsyncClient) -> None:
    _, key = await create_org_with_key(client)
    started = await client.post("/api/call/start", json={}, headers=key_headers(key))
    call_id = started.json()["call_id"]
    url = f"/api/calls/{call_id}/transcript"
    bad = await client.post(
        url, json={"turns": [{"speaker": "caller", "text": "hi\u0000"}]}, headers=key_headers(key)
    )
    assert _fields(bad) == ["turns.0.text"]
    good = await client.post(
        url, json={"turns": [{"speaker": "caller", "text": "line one\n\tline two"}]}, headers=key_headers(key)
    )
    assert good.status_code == 200, good.text
    ended = await client.post("/api/call/end", json={"call_id": call_id}, headers=key_headers(key))
    assert ended.status_code == 200, ended.text


async def test_tool_arguments_with_nul_are_refused(client: httpx.AsyncClient) -> None:
    _, key = await create_org_with_key(client)
    call_id = (await client.post("/api/call/start", json={}, headers=key_headers(key))).json()["call_id"]
    for arguments in ({"caller_name": "A\u0000"}, "x\u0000"):
        response = await client.post(
            f"/api/calls/{call_id}/tool-calls",
            json={"name": "complete_intake", "arguments": arguments},
            headers=key_headers(key),
        )
        assert "arguments" in _fields(response)


async def test_session_request_caller_name_with_nul_is_refused(client: httpx.AsyncClient) -> None:
    _, key = await create_org_with_key(client)
    response = await client.post(
        "/api/realtime/session", json={"caller": {"name": "A\u0000"}}, headers=key_headers(key)
    )
    assert "caller.name" in _fields(response)


@pytest.mark.parametrize("where", ["query", "path"])
async def test_query_and_path_with_nul_are_refused(client: httpx.AsyncClient, where: str) -> None:
    org_id, key = await create_org_with_key(client)
    if where == "query":
        response = await client.get("/api/calls?cursor=ab%00cd", headers=key_headers(key))
        assert _fields(response) == ["query.cursor"]
    else:
        response = await client.delete(
            f"/api/admin/orgs/{org_id}/phone-numbers/%2B1555%00", headers=admin_headers()
        )
        assert _fields(response) == ["path"]


async def test_header_with_control_char_is_refused(make_settings: SettingsFactory) -> None:
    # h11 (httpx's wire protocol) refuses to send such a header, so this one goes in over ASGI directly.
    transport = httpx.ASGITransport(app=create_app(make_settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
        response = await client.patch(
            f"/api/org/config/{uuid.uuid4()}",
            json={"greeting": "Hi."},
            headers={**key_headers("cik_x"), "If-Match": '"1"\x01'},
        )
    assert _fields(response) == ["header.if-match"]
