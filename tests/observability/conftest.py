"""Shared pieces for observability tests: an org with a full-scope key, a call started and ended."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app import tracing
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fixtures.factories import create_org_with_key, key_headers
from tests.telephony.conftest import rig_factory  # noqa: F401 (the phone rig, shared as a fixture)

CALLER_NUMBER = "+15557654321"
CALLER_NAME = "Zebulon Quux"


async def org_headers(client: httpx.AsyncClient, **config: Any) -> tuple[str, dict[str, str]]:
    org_id, key = await create_org_with_key(client, **config)
    return org_id, key_headers(key)


async def start_and_end(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> str:
    response = await client.post(
        "/api/call/start",
        json={"channel": "browser", "from_number": CALLER_NUMBER, "caller_name": CALLER_NAME, **body},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    call_id: str = response.json()["call_id"]
    response = await client.post(
        f"/api/calls/{call_id}/transcript",
        json={"turns": [{"speaker": "caller", "text": "I can't breathe, call an ambulance", "seq": 1}]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    response = await client.post("/api/call/end", json={"call_id": call_id}, headers=headers)
    assert response.status_code == 200, response.text
    return call_id


@pytest.fixture
def app_with(services: None, make_settings: SettingsFactory) -> Any:
    """`async with app_with(**overrides) as running:` an app with its own settings."""

    def open_app(**overrides: Any) -> Any:
        return run_app(make_settings(**overrides))

    return open_app


@pytest.fixture
async def running(app_with: Any) -> AsyncIterator[RunningApp]:
    async with app_with() as app:
        yield app


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for the test, into memory (what an OTLP endpoint would receive)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.install(None)
        provider.shutdown()
