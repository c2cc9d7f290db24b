"""An app with Twilio signing configured, an org with a full-scope key, and direct table reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import CallSettings, TwilioSettings
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fixtures.factories import create_org_with_key, key_headers

TOKEN = "twilio-test-auth-token-0123456789"
PUBLIC = "https://callintake.example.test"


@dataclass
class Org:
    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return key_headers(self.key)


@pytest.fixture
async def papp(services: None, make_settings: SettingsFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        public_base_url=PUBLIC,
        twilio=TwilioSettings(
            account_sid="AC" + "0" * 32, auth_token=SecretStr(TOKEN), api_base_url="http://127.0.0.1:9"
        ),
        calls=CallSettings(sweeper_enabled=False, slot_lease_seconds=60),
    )
    async with run_app(settings) as running:
        yield running


@pytest.fixture
def pclient(papp: RunningApp) -> httpx.AsyncClient:
    return papp.client


async def new_org(client: httpx.AsyncClient, **config: Any) -> Org:
    org_id, key = await create_org_with_key(client, **config)
    return Org(org_id, key)


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())
