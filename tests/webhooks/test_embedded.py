"""The embedded default (SQLite file, live state in process): the app's own dispatcher delivers webhooks."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import SecretStr

from app.settings import CallSettings, Settings
from database.migrate import upgrade
from tests.calls.conftest import Org, end, start
from tests.conftest import run_app
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.fixtures.factories import ADMIN_KEY, create_org_with_key
from tests.webhooks.conftest import hook_settings, register


async def test_embedded_default_delivers_call_ended(tmp_path: Path, receiver: WebhookReceiver) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'embedded.db'}"
    await asyncio.to_thread(upgrade, url)
    settings = Settings(
        environment="test",
        database_url=url,
        redis_url=None,
        platform_admin_key=SecretStr(ADMIN_KEY),
        calls=CallSettings(sweeper_enabled=False),
        webhooks=hook_settings(dispatcher_enabled=True),
    )
    async with run_app(settings) as app:
        org = Org(*await create_org_with_key(app.client))
        hook = await register(app.client, org, receiver.url, ["call.started", "call.ended"])
        call_id = await start(app.client, org)
        assert (await end(app.client, org, call_id)).status_code == 200
        received = await receiver.wait_for(2, timeout=10)
        path = f"/api/org/webhooks/{hook['id']}/deliveries"
        async with asyncio.timeout(5):
            while {d["state"] for d in (await app.client.get(path, headers=org.headers)).json()["items"]} != {
                "delivered"
            }:
                await asyncio.sleep(0.05)
    types = sorted(r.verify(hook["secret"])["type"] for r in received)
    assert types == ["call.ended", "call.started"]
