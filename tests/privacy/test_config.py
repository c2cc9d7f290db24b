"""Org config `limits` and `privacy` over the config API: defaults, accepted values, 422s naming the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.privacy.audit import audit_changes
from tests.fixtures.factories import create_org_with_key, key_headers


async def _patch(client: httpx.AsyncClient, org_id: str, key: str, patch: dict[str, Any]) -> httpx.Response:
    return await client.patch(f"/api/org/config/{org_id}", json=patch, headers=key_headers(key))


async def test_new_org_config_is_unlimited_and_stores_everything(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    config = (await client.get(f"/api/org/config/{org_id}", headers=key_headers(key))).json()["config"]
    assert config["limits"] == {"max_concurrent_calls": None, "overflow_policy": "voicemail"}
    assert config["privacy"] == {
        "mode": "store_all",
        "transcript_retention_days": None,
        "intake_retention_days": None,
    }


async def test_patch_sets_limits_and_privacy(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await _patch(
        client,
        org_id,
        key,
        {
            "limits": {"max_concurrent_calls": 2, "overflow_policy": "forward_to_escalation"},
            "privacy": {"mode": "redact", "transcript_retention_days": 30, "intake_retention_days": 365},
        },
    )
    assert response.status_code == 200, response.text
    config = response.json()["config"]
    assert config["limits"] == {"max_concurrent_calls": 2, "overflow_policy": "forward_to_escalation"}
    assert config["privacy"]["mode"] == "redact"
    assert config["privacy"]["transcript_retention_days"] == 30


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"limits": {"max_concurrent_calls": 0}}, "config.limits.max_concurrent_calls"),
        ({"limits": {"max_concurrent_calls": "two"}}, "config.limits.max_concurrent_calls"),
        ({"limits": {"overflow_policy": "queue"}}, "config.limits.overflow_policy"),
        ({"limits": {"extra": 1}}, "config.limits.extra"),
        ({"privacy": {"mode": "hipaa"}}, "config.privacy.mode"),
        ({"privacy": {"transcript_retention_days": 0}}, "config.privacy.transcript_retention_days"),
        ({"privacy": {"intake_retention_days": -3}}, "config.privacy.intake_retention_days"),
        ({"privacy": {"intake_retention_days": 99999}}, "config.privacy.intake_retention_days"),
    ],
)
async def test_bad_limits_or_privacy_is_422_naming_the_field(
    client: httpx.AsyncClient, patch: dict[str, Any], field: str
) -> None:
    org_id, key = await create_org_with_key(client)
    response = await _patch(client, org_id, key, patch)
    assert response.status_code == 422, response.text
    assert field in [detail["field"] for detail in response.json()["error"]["details"]]


async def test_forward_overflow_without_escalation_phone_is_422(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client, escalation_phone=None, after_hours_policy="take_message")
    response = await _patch(client, org_id, key, {"limits": {"overflow_policy": "forward_to_escalation"}})
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert "limits.overflow_policy" in detail["message"]


async def test_null_cap_in_patch_restores_unlimited(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    await _patch(client, org_id, key, {"limits": {"max_concurrent_calls": 3}})
    response = await _patch(client, org_id, key, {"limits": {"max_concurrent_calls": None}})
    assert response.json()["config"]["limits"]["max_concurrent_calls"] is None


async def test_config_audit_keeps_the_field_name_but_not_a_personal_phone(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    response = await _patch(client, org_id, key, {"escalation_phone": "+15555550177", "greeting": "Hello."})
    assert response.status_code == 200, response.text
    audit = (await client.get(f"/api/org/config/{org_id}/audit", headers=key_headers(key))).json()
    [entry] = audit["items"]
    assert entry["changed_fields"] == ["escalation_phone", "greeting"]
    assert entry["changes"]["escalation_phone"] == {"old": "[hidden]", "new": "[hidden]"}
    assert entry["changes"]["greeting"]["new"] == "Hello."
    assert "5555550177" not in str(audit)


def test_audit_changes_hide_secret_looking_keys_at_any_depth() -> None:
    changes = audit_changes({}, {"realtime": {"api_key": "sk-1", "voice": "cedar"}}, ["realtime"])
    assert changes == {"realtime": {"old": None, "new": {"api_key": "[hidden]", "voice": "cedar"}}}
