"""Each org's config over REST: read, replace, merge-patch, ETags, audit, auth and tenant isolation."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.factories import create_key, create_org, create_org_with_key, example_config, key_headers


async def test_get_config_returns_config_version_and_etag(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.get(f"/api/org/config/{org_id}", headers=key_headers(key))
    assert response.status_code == 200
    body = response.json()
    assert body["config_version"] == 1
    assert response.headers["ETag"] == '"1"' == body["etag"]
    assert body["config"]["timezone"] == "America/Chicago"
    assert body["config"]["intake_fields"][1]["options"] == ["new", "existing"]


async def test_replace_config_bumps_version_and_audits(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    new = example_config(greeting="Hello from the new front desk.", services_offered=["whitening"])
    response = await client.post(
        f"/api/org/config/{org_id}", json=new, headers={**key_headers(key), "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["config_version"] == 2
    assert response.headers["ETag"] == '"2"'
    audit = (await client.get(f"/api/org/config/{org_id}/audit", headers=key_headers(key))).json()
    [entry] = audit["items"]
    assert entry["old_version"] == 1 and entry["new_version"] == 2
    assert entry["changed_fields"] == ["greeting", "services_offered"]
    assert entry["actor_type"] == "api_key"
    assert entry["changes"]["greeting"]["new"] == "Hello from the new front desk."


async def test_patch_config_merges_nested_fields(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.patch(
        f"/api/org/config/{org_id}",
        json={
            "realtime": {"voice": "cedar"},
            "business_hours": {"tuesday": [{"open": "09:00", "close": "11:00"}]},
        },
        headers=key_headers(key),
    )
    assert response.status_code == 200, response.text
    config = response.json()["config"]
    assert config["realtime"] == {"model": "gpt-realtime-2.1", "voice": "cedar"}
    assert config["business_hours"]["monday"][0] == {"open": "08:00", "close": "12:00"}
    assert config["business_hours"]["tuesday"] == [{"open": "09:00", "close": "11:00"}]


async def test_patch_config_null_removes_optional_field(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.patch(
        f"/api/org/config/{org_id}", json={"recording_disclosure": None}, headers=key_headers(key)
    )
    assert response.status_code == 200
    assert response.json()["config"]["recording_disclosure"] is None


async def test_patch_with_stale_if_match_is_412_and_writes_nothing(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    first = await client.patch(
        f"/api/org/config/{org_id}",
        json={"greeting": "One."},
        headers={**key_headers(key), "If-Match": '"1"'},
    )
    assert first.status_code == 200
    stale = await client.patch(
        f"/api/org/config/{org_id}",
        json={"greeting": "Two."},
        headers={**key_headers(key), "If-Match": '"1"'},
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "config_version_conflict"
    current = (await client.get(f"/api/org/config/{org_id}", headers=key_headers(key))).json()
    assert current["config"]["greeting"] == "One."
    assert current["config_version"] == 2
    audit = (await client.get(f"/api/org/config/{org_id}/audit", headers=key_headers(key))).json()
    assert len(audit["items"]) == 1


async def test_replace_with_stale_if_match_is_412(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.post(
        f"/api/org/config/{org_id}", json=example_config(), headers={**key_headers(key), "If-Match": '"7"'}
    )
    assert response.status_code == 412


async def test_if_match_star_and_weak_etag_are_accepted(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    star = await client.patch(
        f"/api/org/config/{org_id}", json={"greeting": "A."}, headers={**key_headers(key), "If-Match": "*"}
    )
    weak = await client.patch(
        f"/api/org/config/{org_id}",
        json={"greeting": "B."},
        headers={**key_headers(key), "If-Match": 'W/"2"'},
    )
    assert star.status_code == 200 and weak.status_code == 200
    assert weak.json()["config_version"] == 3


async def test_malformed_if_match_is_400(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.patch(
        f"/api/org/config/{org_id}", json={"greeting": "A."}, headers={**key_headers(key), "If-Match": "abc"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_if_match"


async def test_unchanged_config_keeps_version_and_writes_no_audit(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.post(f"/api/org/config/{org_id}", json=example_config(), headers=key_headers(key))
    assert response.json()["config_version"] == 1
    audit = (await client.get(f"/api/org/config/{org_id}/audit", headers=key_headers(key))).json()
    assert audit["items"] == []


async def test_invalid_patch_is_422_naming_fields_and_writes_nothing(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await client.patch(
        f"/api/org/config/{org_id}",
        json={"after_hours_policy": "go_fishing", "language": "english please"},
        headers=key_headers(key),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_config"
    assert {d["field"] for d in error["details"]} == {"config.after_hours_policy", "config.language"}
    current = (await client.get(f"/api/org/config/{org_id}", headers=key_headers(key))).json()
    assert current["config_version"] == 1


async def test_timezone_change_updates_org_column(client: httpx.AsyncClient) -> None:
    org = await create_org(client)
    key = await create_key(client, org["id"])
    await client.patch(
        f"/api/org/config/{org['id']}", json={"timezone": "Europe/Madrid"}, headers=key_headers(key)
    )
    from tests.fixtures.factories import admin_headers

    listed = (await client.get(f"/api/admin/orgs/{org['id']}", headers=admin_headers())).json()
    assert listed["timezone"] == "Europe/Madrid"


async def test_audit_paginates_newest_first(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    for i in range(3):
        await client.patch(f"/api/org/config/{org_id}", json={"greeting": f"G{i}."}, headers=key_headers(key))
    first = (await client.get(f"/api/org/config/{org_id}/audit?limit=2", headers=key_headers(key))).json()
    assert [e["new_version"] for e in first["items"]] == [4, 3]
    second = (
        await client.get(
            f"/api/org/config/{org_id}/audit",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=key_headers(key),
        )
    ).json()
    assert [e["new_version"] for e in second["items"]] == [2]
    assert second["next_cursor"] is None


ROUTES = [
    ("GET", "/api/org/config/{org}", None),
    ("POST", "/api/org/config/{org}", "full"),
    ("PATCH", "/api/org/config/{org}", {"greeting": "Hi."}),
    ("GET", "/api/org/config/{org}/audit", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_org_route_without_key_is_401(
    client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    org_id, _ = await create_org_with_key(client)
    response = await client.request(method, path.format(org=org_id), json=_body(body))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "auth", ["Bearer garbage", "Bearer cik_aaaaaaaaaaaa_" + "x" * 43, "Basic dXNlcjpwdw=="]
)
@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_org_route_with_unknown_or_malformed_key_is_401(
    client: httpx.AsyncClient, method: str, path: str, body: object, auth: str
) -> None:
    org_id, _ = await create_org_with_key(client)
    response = await client.request(
        method, path.format(org=org_id), json=_body(body), headers={"Authorization": auth}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_org_route_without_scope_is_403(
    client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    org_id, key = await create_org_with_key(client, scopes=["calls:read"])
    response = await client.request(
        method, path.format(org=org_id), json=_body(body), headers=key_headers(key)
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_org_route_for_another_org_is_404(
    client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    org_a, _ = await create_org_with_key(client)
    _, key_b = await create_org_with_key(client)
    response = await client.request(
        method, path.format(org=org_a), json=_body(body), headers=key_headers(key_b)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "org_not_found"


async def test_read_only_key_cannot_write(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client, scopes=["config:read"])
    response = await client.patch(
        f"/api/org/config/{org_id}", json={"greeting": "x"}, headers=key_headers(key)
    )
    assert response.status_code == 403


def _body(body: object) -> object:
    return example_config() if body == "full" else body
