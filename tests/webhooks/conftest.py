"""Webhook tests: an app whose dispatcher the test drives, a loopback receiver, an org with a key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.settings import WebhookSettings
from app.webhooks.dispatcher import Dispatcher
from tests.calls.conftest import Org
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.webhook_receiver import WebhookReceiver, running_receiver
from tests.fixtures.factories import create_org_with_key

FAST_SCHEDULE = [0.0, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]


def hook_settings(**overrides: Any) -> WebhookSettings:
    values: dict[str, Any] = {
        "allow_private_targets": True,
        "dispatcher_enabled": False,
        "retry_schedule_seconds": FAST_SCHEDULE,
        "jitter": 0.0,
        "poll_interval_seconds": 0.05,
        "lease_seconds": 5.0,
        "timeout_seconds": 5.0,
    }
    values.update(overrides)
    return WebhookSettings(**values)


@pytest.fixture
async def hooks_app(services: None, make_settings: SettingsFactory) -> AsyncIterator[RunningApp]:
    async with run_app(make_settings(webhooks=hook_settings())) as running:
        yield running


@pytest.fixture
def api(hooks_app: RunningApp) -> httpx.AsyncClient:
    return hooks_app.client


@pytest.fixture
async def org(api: httpx.AsyncClient) -> Org:
    return Org(*await create_org_with_key(api))


@pytest.fixture
async def other_org(api: httpx.AsyncClient) -> Org:
    return Org(*await create_org_with_key(api))


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with running_receiver() as running:
        yield running


def dispatcher_for(app: RunningApp, **overrides: Any) -> Dispatcher:
    return Dispatcher(app.state.session_factory, hook_settings(**overrides))


async def register(
    api: httpx.AsyncClient, org: Org, url: str, events: list[str] | None = None, **body: Any
) -> dict[str, Any]:
    response = await api.post(
        "/api/org/webhooks",
        json={"url": url, "events": events or ["call.ended"], **body},
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def drain(dispatcher: Dispatcher, *, rounds: int = 50, pause: float = 0.06) -> None:
    """Run the dispatcher until a round makes no attempt (retries included)."""
    import asyncio

    idle = 0
    try:
        for _ in range(rounds):
            made = await dispatcher.run_once()
            idle = idle + 1 if made == 0 else 0
            if idle >= 3:
                return
            await asyncio.sleep(pause)
    finally:
        await dispatcher.aclose()
