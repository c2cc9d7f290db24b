"""Shared pieces for call-lifecycle tests: an org with a full-scope key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures.factories import create_org_with_key, key_headers


@dataclass
class Org:
    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return key_headers(self.key)


@pytest.fixture
async def org(client: httpx.AsyncClient) -> Org:
    org_id, key = await create_org_with_key(client)
    return Org(org_id, key)


@pytest.fixture
async def other_org(client: httpx.AsyncClient) -> Org:
    org_id, key = await create_org_with_key(client)
    return Org(org_id, key)


async def start(client: httpx.AsyncClient, org: Org, **body: Any) -> str:
    response = await client.post("/api/call/start", json={"channel": "browser", **body}, headers=org.headers)
    assert response.status_code == 201, response.text
    call_id: str = response.json()["call_id"]
    return call_id


async def say(client: httpx.AsyncClient, org: Org, call_id: str, *turns: tuple[str, str]) -> dict[str, Any]:
    body = {"turns": [{"speaker": speaker, "text": text} for speaker, text in turns]}
    response = await client.post(f"/api/calls/{call_id}/transcript", json=body, headers=org.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def end(client: httpx.AsyncClient, org: Org, call_id: str, reason: str | None = None) -> httpx.Response:
    return await client.post(
        "/api/call/end", json={"call_id": call_id, "reason": reason}, headers=org.headers
    )
