"""Item 8: the request log records the status the client got, also when the catch-all answered 503."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import SettingsFactory, run_app
from tests.fixtures.factories import admin_headers


async def test_request_log_records_503_from_the_catch_all(
    make_settings: SettingsFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 9: every query fails to connect, which the catch-all answers 503.
    settings = make_settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:9/none")
    caplog.set_level(logging.INFO, logger="callintake.http")
    async with run_app(settings) as running:
        response = await running.client.get("/api/admin/orgs", headers=admin_headers())
    assert response.status_code == 503, response.text
    logged = [r for r in caplog.records if r.getMessage() == "http_request"]
    assert [(r.route, r.status) for r in logged] == [("/api/admin/orgs", 503)]  # type: ignore[attr-defined]
