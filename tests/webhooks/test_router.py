"""The /api/org/webhooks routes: create (secret once), read, update, delete, rotate; bad input; scopes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.calls.conftest import Org
from tests.conftest import SettingsFactory, run_app
from tests.fixtures.factories import create_org_with_key, key_headers
from tests.webhooks.conftest import hook_settings, register

URL = "http://127.0.0.1:9/hooks"


async def test_create_returns_secret_once_and_reads_never_show_it(api: httpx.AsyncClient, org: Org) -> None:
    created = await register(api, org, URL, ["call.ended", "call.escalated"], description="EHR")
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["call.ended", "call.escalated"]
    got = await api.get(f"/api/org/webhooks/{created['id']}", headers=org.headers)
    assert got.status_code == 200
    assert "secret" not in got.json() and created["secret"] not in got.text
    listed = await api.get("/api/org/webhooks", headers=org.headers)
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    assert created["secret"] not in listed.text


async def test_patch_updates_fields_and_delete_removes(api: httpx.AsyncClient, org: Org) -> None:
    created = await register(api, org, URL)
    path = f"/api/org/webhooks/{created['id']}"
    patched = await api.patch(
        path, json={"events": ["intake.completed"], "include_transcript": True}, headers=org.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["events"] == ["intake.completed"] and patched.json()["include_transcript"] is True
    assert (await api.delete(path, headers=org.headers)).status_code == 204
    assert (await api.get(path, headers=org.headers)).status_code == 404


async def test_rotate_secret_returns_new_secret_and_overlap(api: httpx.AsyncClient, org: Org) -> None:
    created = await register(api, org, URL)
    rotated = await api.post(f"/api/org/webhooks/{created['id']}/rotate-secret", headers=org.headers)
    assert rotated.status_code == 200
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    assert body["previous_secret_expires_at"] is not None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "ftp://example.com/hooks", "events": ["call.ended"]}, "webhook_url_invalid"),
        ({"url": "https://user:pw@example.com/x", "events": ["call.ended"]}, "webhook_url_invalid"),
        ({"url": "https:///nohost", "events": ["call.ended"]}, "webhook_url_invalid"),
        ({"url": "https://example.com/x#frag", "events": ["call.ended"]}, "webhook_url_invalid"),
        ({"url": "https://127.0.0.1/x", "events": ["call.ended"]}, "webhook_target_forbidden"),
        ({"url": "https://localhost:8443/x", "events": ["call.ended"]}, "webhook_target_forbidden"),
        ({"url": "https://10.1.2.3/x", "events": ["call.ended"]}, "webhook_target_forbidden"),
        ({"url": "https://169.254.169.254/latest", "events": ["call.ended"]}, "webhook_target_forbidden"),
        ({"url": "https://[::1]/x", "events": ["call.ended"]}, "webhook_target_forbidden"),
        ({"url": "https://[::ffff:127.0.0.1]/x", "events": ["call.ended"]}, "webhook_target_forbidden"),
        ({"url": "https://100.64.0.1/x", "events": ["call.ended"]}, "webhook_target_forbidden"),
        ({"url": "https://[fd00:ec2::254]/x", "events": ["call.ended"]}, "webhook_target_forbidden"),
        ({"url": "http://93.184.215.14/x", "events": ["call.ended"]}, "webhook_url_invalid"),
    ],
)
async def test_bad_urls_refused_with_clear_code_when_private_targets_off(
    services: None, make_settings: SettingsFactory, body: dict[str, object], code: str
) -> None:
    async with run_app(make_settings(webhooks=hook_settings(allow_private_targets=False))) as running:
        org = Org(*await create_org_with_key(running.client))
        response = await running.client.post("/api/org/webhooks", json=body, headers=org.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


async def test_patch_to_forbidden_url_refused(services: None, make_settings: SettingsFactory) -> None:
    async with run_app(make_settings(webhooks=hook_settings(allow_private_targets=False))) as running:
        org = Org(*await create_org_with_key(running.client))
        # A public IP literal resolves without DNS; registration succeeds, the PATCH to loopback does not.
        created = await register(running.client, org, "https://93.184.215.14/hooks")
        response = await running.client.patch(
            f"/api/org/webhooks/{created['id']}", json={"url": "https://127.0.0.1/x"}, headers=org.headers
        )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "webhook_target_forbidden"


@pytest.mark.parametrize(
    "body",
    [
        {"url": URL, "events": []},
        {"url": URL, "events": ["call.exploded"]},
        {"url": URL, "events": ["webhook.test"]},
        {"url": URL},
        {"events": ["call.ended"]},
        {"url": URL, "events": ["call.ended"], "secret": "whsec_mine"},
        {"url": URL, "events": ["call.ended"], "description": "bad\x00nul"},
        {"url": URL, "events": ["call.ended"], "description": "x" * 501},
        {"url": URL + "\n", "events": ["call.ended"]},
        {"url": "http://127.0.0.1/" + "a" * 2048, "events": ["call.ended"]},
        {"url": URL, "events": ["call.ended"], "include_transcript": "yes please"},
        {"url": URL, "events": "call.ended"},
    ],
)
async def test_create_bad_body_is_422(api: httpx.AsyncClient, org: Org, body: dict[str, object]) -> None:
    response = await api.post("/api/org/webhooks", json=body, headers=org.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "body", [{"enabled": "maybe"}, {"events": []}, {"unknown": 1}, {"description": "a\x07b"}]
)
async def test_patch_bad_body_is_422(api: httpx.AsyncClient, org: Org, body: dict[str, object]) -> None:
    created = await register(api, org, URL)
    response = await api.patch(f"/api/org/webhooks/{created['id']}", json=body, headers=org.headers)
    assert response.status_code == 422, response.text


async def test_deliveries_bad_query_is_rejected(api: httpx.AsyncClient, org: Org) -> None:
    created = await register(api, org, URL)
    path = f"/api/org/webhooks/{created['id']}/deliveries"
    assert (await api.get(path, params={"limit": 0}, headers=org.headers)).status_code == 422
    assert (await api.get(path, params={"limit": 201}, headers=org.headers)).status_code == 422
    bad = await api.get(path, params={"cursor": "not-a-cursor"}, headers=org.headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"


async def test_malformed_ids_are_404(api: httpx.AsyncClient, org: Org) -> None:
    for method, path in [
        ("GET", "/api/org/webhooks/not-a-uuid"),
        ("PATCH", "/api/org/webhooks/not-a-uuid"),
        ("DELETE", "/api/org/webhooks/not-a-uuid"),
        ("POST", "/api/org/webhooks/not-a-uuid/rotate-secret"),
        ("POST", "/api/org/webhooks/not-a-uuid/test"),
        ("GET", "/api/org/webhooks/not-a-uuid/deliveries"),
        ("POST", "/api/org/webhooks/deliveries/not-a-uuid/redeliver"),
    ]:
        response = await api.request(
            method, path, json={} if method == "PATCH" else None, headers=org.headers
        )
        assert response.status_code == 404, (method, path, response.text)


async def test_another_orgs_webhook_is_404_on_every_route(
    api: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    created = await register(api, org, URL)
    base = f"/api/org/webhooks/{created['id']}"
    for method, path in [
        ("GET", base),
        ("PATCH", base),
        ("DELETE", base),
        ("POST", f"{base}/rotate-secret"),
        ("POST", f"{base}/test"),
        ("GET", f"{base}/deliveries"),
    ]:
        response = await api.request(
            method, path, json={"description": "x"} if method == "PATCH" else None, headers=other_org.headers
        )
        assert response.status_code == 404, (method, path, response.text)
    listed = await api.get("/api/org/webhooks", headers=other_org.headers)
    assert listed.json()["items"] == []
    assert (await api.get(base, headers=org.headers)).status_code == 200


async def test_another_orgs_delivery_cannot_be_redelivered(
    api: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    created = await register(api, org, URL)
    sent = await api.post(f"/api/org/webhooks/{created['id']}/test", headers=org.headers)
    assert sent.status_code == 202
    delivery_id = sent.json()["delivery_id"]
    path = f"/api/org/webhooks/deliveries/{delivery_id}/redeliver"
    assert (await api.post(path, headers=other_org.headers)).status_code == 404
    assert (
        await api.post(f"/api/org/webhooks/deliveries/{uuid.uuid4()}/redeliver", headers=org.headers)
    ).status_code == 404
    assert (await api.post(path, headers=org.headers)).status_code == 200


async def test_scopes_config_read_reads_config_write_manages(api: httpx.AsyncClient, org: Org) -> None:
    _, reader_key = await create_org_with_key(api, scopes=["config:read"])
    reader = key_headers(reader_key)
    assert (await api.get("/api/org/webhooks", headers=reader)).status_code == 200
    refused = await api.post("/api/org/webhooks", json={"url": URL, "events": ["call.ended"]}, headers=reader)
    assert refused.status_code == 403
    _, calls_key = await create_org_with_key(api, scopes=["calls:read"])
    assert (await api.get("/api/org/webhooks", headers=key_headers(calls_key))).status_code == 403
    assert (await api.get("/api/org/webhooks")).status_code == 401
