"""One end_call: hooks run inside the finalize transaction, once; a failing hook stores nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.end import EndedCall, EndHook, register_end_hook
from app.calls.sweeper import sweep_once
from tests.calls.conftest import Org, end, say, start
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fixtures.factories import create_org_with_key


@pytest.fixture
def seen() -> Iterator[list[tuple[str, str, int]]]:
    calls: list[tuple[str, str, int]] = []

    async def hook(session: AsyncSession, ended: EndedCall) -> None:
        # The calls row is visible here, uncommitted: the hook runs in the transaction that writes it.
        rows = await session.scalar(text("SELECT count(*) FROM calls WHERE id = :id"), {"id": ended.call_id})
        calls.append((ended.source, ended.status, int(rows or 0)))

    remove = register_end_hook(hook)
    yield calls
    remove()


async def test_end_hook_runs_once_inside_the_transaction(
    client: httpx.AsyncClient, org: Org, seen: list[tuple[str, str, int]]
) -> None:
    call_id = await start(client, org)
    await say(client, org, call_id, ("caller", "a cleaning please"))
    assert (await end(client, org, call_id)).status_code == 200
    assert (await end(client, org, call_id)).status_code == 200
    assert seen == [("api", "completed", 1)]


async def test_sweeper_ends_through_end_call_with_its_source(
    client: httpx.AsyncClient, org: Org, app: RunningApp, seen: list[tuple[str, str, int]]
) -> None:
    await start(client, org)
    await sweep_once(app.state, now=time.time() + 100_000)
    assert seen == [("sweeper", "completed", 1)]


async def test_failing_hook_stores_nothing_and_keeps_the_call_live(
    client: httpx.AsyncClient, org: Org, app: RunningApp
) -> None:
    async def broken(session: AsyncSession, ended: EndedCall) -> None:
        raise RuntimeError("outbox bug")

    call_id = await start(client, org)
    await say(client, org, call_id, ("caller", "hello there"))
    remove = register_end_hook(broken)
    try:
        failed = await end(client, org, call_id)
    finally:
        remove()
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "internal_error"
    async with app.state.session_factory() as session:
        stored = await session.scalar(
            text("SELECT count(*) FROM calls WHERE id = :id"), {"id": uuid.UUID(call_id)}
        )
    assert stored == 0
    # The call is live again (not left closing), so it keeps taking turns and ends normally.
    await say(client, org, call_id, ("caller", "still here"))
    ended = await end(client, org, call_id)
    assert ended.status_code == 200
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert [t["text"] for t in detail["transcript"]] == ["hello there", "still here"]


async def test_a_hook_registered_for_one_app_runs_only_for_that_app(
    services: None, make_settings: SettingsFactory
) -> None:
    ran: list[str] = []

    def recorder(name: str) -> EndHook:
        async def hook(session: AsyncSession, ended: EndedCall) -> None:
            ran.append(name)

        return hook

    settings = make_settings()
    async with run_app(settings) as first, run_app(settings) as second:
        register_end_hook(recorder("first"), state=first.state)
        register_end_hook(recorder("second"), state=second.state)
        org = Org(*await create_org_with_key(first.client))
        call_id = await start(first.client, org)
        assert (await end(first.client, org, call_id)).status_code == 200
    assert ran == ["first"]
