"""No secret or caller data in log lines, and context ids attached."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.logging import JsonFormatter, call_id_var
from tests.fixtures.factories import ADMIN_KEY, admin_headers, create_org_with_key, key_headers


def _rendered(caplog: pytest.LogCaptureFixture) -> str:
    formatter = JsonFormatter()
    return "\n".join(formatter.format(record) for record in caplog.records)


async def test_org_flow_logs_no_keys_or_numbers(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    org_id, key = await create_org_with_key(client)
    await client.post(
        f"/api/admin/orgs/{org_id}/phone-numbers", json={"number": "+15550001111"}, headers=admin_headers()
    )
    await client.get(f"/api/org/config/{org_id}", headers=key_headers(key))
    await client.get(f"/api/org/config/{org_id}", headers=key_headers(key + "x"))
    await client.delete(f"/api/admin/orgs/{org_id}/phone-numbers/+15550001111", headers=admin_headers())
    logs = _rendered(caplog)
    assert caplog.records, "expected the app to log something"
    secret_part = key[len("cik_") + 13 :]
    for secret in (ADMIN_KEY, key, secret_part, "+15550001111", "5550001111"):
        assert secret not in logs


def test_formatter_redacts_sensitive_extra_keys_and_adds_context() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "tool_called", (), None)
    record.transcript = "I have chest pain"
    record.from_number = "+15551112222"
    record.turns = 3
    token = call_id_var.set("call-123")
    try:
        line = JsonFormatter().format(record)
    finally:
        call_id_var.reset(token)
    assert "chest pain" not in line and "+15551112222" not in line
    assert '"call_id":"call-123"' in line and '"turns":3' in line
