"""The realtime tests' fake OpenAI (tests/fixtures/realtime.py) and an app pointed at it, sweeper off."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.settings import CallSettings
from simulator.realtime import FakeRealtime
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.server import LoopbackServer
from tests.fixtures.realtime import fake, openai_for

__all__ = ["app", "fake"]


@pytest.fixture
async def app(
    services: None, make_settings: SettingsFactory, fake: tuple[FakeRealtime, LoopbackServer]
) -> AsyncIterator[RunningApp]:
    settings = make_settings(openai=openai_for(fake[1]), calls=CallSettings(sweeper_enabled=False))
    async with run_app(settings) as running:
        yield running
