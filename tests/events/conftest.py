"""Stream tests: an app with fast heartbeats, orgs with keys, and an SSE connection helper."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.settings import EventSettings
from tests.calls.conftest import Org
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.events.sse import SSEReader
from tests.fakes.webhook_receiver import WebhookReceiver, running_receiver
from tests.fixtures.factories import create_org_with_key
from tests.webhooks.conftest import hook_settings


def event_settings(**overrides: Any) -> EventSettings:
    return EventSettings(**{"heartbeat_seconds": 0.3, **overrides})


@pytest.fixture
async def stream_app(services: None, make_settings: SettingsFactory) -> AsyncIterator[RunningApp]:
    async with run_app(make_settings(webhooks=hook_settings(), events=event_settings())) as running:
        yield running


@pytest.fixture
def api(stream_app: RunningApp) -> httpx.AsyncClient:
    return stream_app.client


@pytest.fixture
async def org(api: httpx.AsyncClient) -> Org:
    return Org(*await create_org_with_key(api))


@pytest.fixture
async def other_org(api: httpx.AsyncClient) -> Org:
    return Org(*await create_org_with_key(api))


@contextlib.asynccontextmanager
async def connect(
    api: httpx.AsyncClient,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> AsyncIterator[SSEReader]:
    async with api.stream("GET", path, headers=headers, params=params, timeout=10) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SSEReader(response)


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with running_receiver() as running:
        yield running
