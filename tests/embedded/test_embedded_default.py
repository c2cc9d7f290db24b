"""The embedded default (`make run` with no settings): SQLite in a file, live state in process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.calls.live_memory import MemoryLiveStore
from app.settings import CallSettings, Settings
from database.engine import create_engine
from database.migrate import upgrade
from database.seed import apply_seed
from tests.conftest import RunningApp, run_app
from tests.fixtures.factories import ADMIN_KEY, create_org_with_key, key_headers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[RunningApp]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'embedded.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    await apply_seed(engine)
    await engine.dispose()
    settings = Settings(
        environment="test",
        database_url=url,
        redis_url=None,
        platform_admin_key=SecretStr(ADMIN_KEY),
        calls=CallSettings(sweeper_enabled=False),
    )
    async with run_app(settings) as running:
        yield running


async def test_embedded_uses_memory_live_store_and_is_ready(embedded: RunningApp) -> None:
    assert isinstance(embedded.state.live_store, MemoryLiveStore)
    response = await embedded.client.get("/readyz")
    assert response.status_code == 200


async def test_embedded_config_round_trip_with_etag(embedded: RunningApp) -> None:
    client = embedded.client
    org_id, key = await create_org_with_key(client)
    patched = await client.patch(
        f"/api/org/config/{org_id}",
        json={"greeting": "Hola."},
        headers={**key_headers(key), "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["config_version"] == 2
    stale = await client.patch(
        f"/api/org/config/{org_id}",
        json={"greeting": "Adiós."},
        headers={**key_headers(key), "If-Match": '"1"'},
    )
    assert stale.status_code == 412
    audit = (await client.get(f"/api/org/config/{org_id}/audit", headers=key_headers(key))).json()
    assert audit["items"][0]["changed_fields"] == ["greeting"]


async def test_embedded_seed_is_idempotent_and_demo_org_listed(embedded: RunningApp, tmp_path: Path) -> None:
    engine = create_engine(embedded.settings.database_url)
    await apply_seed(engine)
    await engine.dispose()
    listing = await embedded.client.get("/api/admin/orgs", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert [org["slug"] for org in listing.json()["items"]] == ["demo"]


def test_main_py_migrates_seeds_and_serves_on_a_fresh_directory(tmp_path: Path) -> None:
    port = 18765
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_URL", "REDIS_URL", "OPENAI", "TWILIO"))
        },
        "PORT": str(port),
        "PLATFORM_ADMIN_KEY": ADMIN_KEY,
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py")], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                if response.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "main.py did not become ready"
            time.sleep(0.2)
        orgs = httpx.get(
            f"http://127.0.0.1:{port}/api/admin/orgs", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        ).json()
        assert [org["slug"] for org in orgs["items"]] == ["demo"]
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        assert (tmp_path / "callintake.db").exists()
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert f"listening on http://127.0.0.1:{port}" in stderr
    assert "SQLite" in stderr and "in-process memory" in stderr
