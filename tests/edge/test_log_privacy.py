"""Item 5: no SQL parameters, phone numbers, tokens or keys in anything a real uvicorn process prints.

The server is `python -m uvicorn main:app` in a subprocess (access log on, uvicorn's own logging
config applied first), against a database whose phone_numbers table is gone, so adding a number fails
inside PostgreSQL with the number among the statement's parameters.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets

from app.factory import create_app
from app.logging import UvicornFilter, install_route_templates
from database.migrate import upgrade
from tests.conftest import SettingsFactory
from tests.fixtures.factories import ADMIN_KEY, admin_headers, example_config, key_headers
from tests.fixtures.postgres import async_url, create_database, drop_database
from tests.fixtures.redis import REDIS_BASE, REDIS_DB

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+15557654321"
WS_TOKEN = "wstok-Zq8v1XcS3cr3tT0ken"


@pytest.fixture
async def broken_dsn() -> AsyncIterator[str]:
    dsn = await create_database("callintake_logs")
    await asyncio.to_thread(upgrade, async_url(dsn))
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP TABLE phone_numbers CASCADE")
    finally:
        await conn.close()
    yield dsn
    await drop_database(dsn)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "server exited early"
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("server did not start")


async def test_uvicorn_stderr_has_no_sql_params_numbers_tokens_or_keys(
    broken_dsn: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": async_url(broken_dsn),
        "REDIS_URL": f"{REDIS_BASE}/{REDIS_DB}",
        "PLATFORM_ADMIN_KEY": ADMIN_KEY,
        "CALL_SWEEPER_ENABLED": "false",
        "LOG_LEVEL": "INFO",
    }
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            await _wait_ready(url, proc)
            fresh = httpx.Limits(max_keepalive_connections=0)  # a connection per request
            async with httpx.AsyncClient(base_url=url, timeout=30, limits=fresh) as client:
                created = await client.post(
                    "/api/admin/orgs",
                    json={"name": "Logs", "config": example_config()},
                    headers=admin_headers(),
                )
                assert created.status_code == 201, created.text
                org_id = created.json()["id"]
                keyed = await client.post(
                    f"/api/admin/orgs/{org_id}/api-keys",
                    json={"name": "k", "scopes": ["calls:read"]},
                    headers=admin_headers(),
                )
                key = keyed.json()["key"]
                failed = await client.post(
                    f"/api/admin/orgs/{org_id}/phone-numbers", json={"number": PHONE}, headers=admin_headers()
                )
                assert failed.status_code == 500, failed.text  # a bug (missing table), not an outage
                removed = await client.delete(
                    f"/api/admin/orgs/{org_id}/phone-numbers/{PHONE}", headers=admin_headers()
                )
                assert removed.status_code >= 400
                listed = await client.get("/api/calls", params={"note": PHONE}, headers=key_headers(key))
                assert listed.status_code == 200, listed.text
            ws_path = f"/twilio/stream/{org_id}/{WS_TOKEN}"
            with pytest.raises((websockets.exceptions.InvalidStatus, websockets.exceptions.ConnectionClosed)):
                async with websockets.connect(f"ws://127.0.0.1:{port}{ws_path}") as ws:
                    await ws.recv()
            await asyncio.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    printed = out.read_text(errors="replace") + err.read_text(errors="replace")
    assert "http_request" in printed and "/api/admin/orgs/{org_id}/phone-numbers" in printed, printed[-3000:]
    assert "/twilio/stream/{call_id}/{token}" in printed, printed[-3000:]
    for secret in (PHONE, PHONE[2:], WS_TOKEN, ADMIN_KEY, key, key[-16:], "parameters:", "Traceback"):
        assert secret not in printed, f"{secret!r} printed:\n{printed[-4000:]}"


def test_uvicorn_access_and_error_records_are_rewritten(make_settings: SettingsFactory) -> None:
    install_route_templates(create_app(make_settings()).router.routes)
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "DELETE", f"/api/admin/orgs/x/phone-numbers/{PHONE}?q={PHONE}", "1.1", 404),
        None,
    )
    try:
        raise RuntimeError(f"[parameters: ('{PHONE}',)]")
    except RuntimeError:
        failure = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application\n", (), sys.exc_info()
        )
    for record in (access, failure):
        assert UvicornFilter().filter(record)
    rendered = "\n".join(logging.Formatter().format(record) for record in (access, failure))
    assert "/api/admin/orgs/{org_id}/phone-numbers/{number}" in rendered
    assert PHONE not in rendered and PHONE[2:] not in rendered
    assert failure.error_type == "RuntimeError"  # type: ignore[attr-defined]
