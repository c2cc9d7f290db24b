"""Writes racing the end of a call: each reaches PostgreSQL or is refused with 409, on both stores."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from database.models import CallEvent, CallTranscript
from tests.calls.conftest import Org, end, start
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fixtures.factories import create_org_with_key

CALLS = 10
APPENDERS = 3
REFUSALS = {"call_ending", "call_already_ended"}


@pytest.fixture(params=["redis", "memory"])
async def racing_app(
    request: pytest.FixtureRequest, services: None, make_settings: SettingsFactory
) -> AsyncIterator[RunningApp]:
    settings = make_settings() if request.param == "redis" else make_settings(redis_url=None)
    async with run_app(settings) as running:
        yield running


async def _append_until_refused(
    client: httpx.AsyncClient, org: Org, call_id: str, accepted: list[int], refused: Counter[str]
) -> None:
    body = {"turns": [{"speaker": "caller", "text": "another line"}]}
    for _ in range(10_000):
        response = await client.post(f"/api/calls/{call_id}/transcript", json=body, headers=org.headers)
        if response.status_code == 200:
            accepted.extend(response.json()["accepted"])
            continue
        assert response.status_code == 409, response.text
        refused[response.json()["error"]["code"]] += 1
        return


async def _escalate_until_refused(
    client: httpx.AsyncClient, org: Org, call_id: str, applied: list[str], refused: Counter[str]
) -> None:
    for _ in range(10_000):
        tool_call_id = f"call_{uuid.uuid4().hex[:12]}"
        body = {
            "name": "escalate_call",
            "arguments": {"reason": "wants a person", "urgency": "urgent"},
            "tool_call_id": tool_call_id,
        }
        response = await client.post(f"/api/calls/{call_id}/tool-calls", json=body, headers=org.headers)
        if response.status_code == 200:
            assert response.json()["repeated"] is False
            applied.append(tool_call_id)
            continue
        assert response.status_code == 409, response.text
        refused[response.json()["error"]["code"]] += 1
        return


async def _end_soon(client: httpx.AsyncClient, org: Org, call_id: str) -> None:
    await asyncio.sleep(random.uniform(0.05, 0.4))
    response = await end(client, org, call_id, "caller_hung_up")
    assert response.status_code == 200, response.text


async def test_accepted_writes_racing_end_all_reach_postgres(racing_app: RunningApp) -> None:
    client = racing_app.client
    org = Org(*await create_org_with_key(client))
    call_ids = [await start(client, org) for _ in range(CALLS)]
    accepted: dict[str, list[int]] = {call_id: [] for call_id in call_ids}
    applied: dict[str, list[str]] = {call_id: [] for call_id in call_ids}
    refused: Counter[str] = Counter()
    async with asyncio.TaskGroup() as group:
        for call_id in call_ids:
            for _ in range(APPENDERS):
                group.create_task(_append_until_refused(client, org, call_id, accepted[call_id], refused))
            group.create_task(_escalate_until_refused(client, org, call_id, applied[call_id], refused))
            group.create_task(_end_soon(client, org, call_id))

    lost_turns = lost_tools = total_turns = 0
    async with racing_app.state.session_factory() as session:
        for call_id in call_ids:
            key = uuid.UUID(call_id)
            stored = set(
                await session.scalars(select(CallTranscript.seq).where(CallTranscript.call_id == key))
            )
            escalations = list(
                await session.scalars(
                    select(CallEvent.seq).where(CallEvent.call_id == key, CallEvent.type == "escalated")
                )
            )
            total_turns += len(accepted[call_id])
            lost_turns += len(set(accepted[call_id]) - stored)
            lost_tools += len(applied[call_id]) - len(escalations)
    assert total_turns > 0
    assert set(refused) <= REFUSALS, refused
    assert (lost_turns, lost_tools) == (0, 0), f"lost {lost_turns} of {total_turns} accepted turns"
