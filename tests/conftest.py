"""Test settings, the app on a real loopback server, and clients. Fixtures live in tests/fixtures/."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.factory import create_app
from app.settings import CallSettings, OpenAISettings, Settings, TwilioSettings
from tests.fakes.server import APP_WS, LoopbackServer
from tests.fixtures.factories import ADMIN_KEY

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.redis"]

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(database_url: str, redis_url: str) -> SettingsFactory:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": database_url,
            "redis_url": redis_url,
            "platform_admin_key": SecretStr(ADMIN_KEY),
            "public_base_url": "https://callintake.example.test",
            "openai": OpenAISettings(api_key=None, base_url="http://127.0.0.1:9/v1"),
            "twilio": TwilioSettings(account_sid=None, auth_token=None, api_base_url="http://127.0.0.1:9"),
            "calls": CallSettings(sweeper_enabled=False),
        }
        values.update(overrides)
        return Settings(**values)

    return make


class RunningApp:
    def __init__(self, server: LoopbackServer, client: httpx.AsyncClient, settings: Settings) -> None:
        self.server = server
        self.client = client
        self.settings = settings

    @property
    def state(self) -> Any:
        return self.server.app.state.callintake


@contextlib.asynccontextmanager
async def run_app(settings: Settings) -> AsyncIterator[RunningApp]:
    server = LoopbackServer(create_app(settings), ws=APP_WS)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as client:
            yield RunningApp(server, client, settings)
    finally:
        await server.stop()


@pytest.fixture
async def services(clean_db: AsyncEngine, redis_client: Redis) -> AsyncIterator[None]:
    """Empty PostgreSQL tables and an empty Redis db for the test."""
    yield None


@pytest.fixture
async def app(services: None, make_settings: SettingsFactory) -> AsyncIterator[RunningApp]:
    async with run_app(make_settings()) as running:
        yield running


@pytest.fixture
def client(app: RunningApp) -> httpx.AsyncClient:
    return app.client
