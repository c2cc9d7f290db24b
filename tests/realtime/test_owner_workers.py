"""Two app instances on one PostgreSQL and one Redis: a browser call's sideband runs on the worker that
took its SDP offer (the owner), and `POST /api/call/end` on the other worker ends it there.
"""

from __future__ import annotations

import pytest

from app.calls.owner import EXTRAS_KEY, call_owners
from app.settings import CallSettings, Settings
from simulator.realtime import FakeRealtime
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.server import LoopbackServer
from tests.fixtures.factories import key_headers
from tests.fixtures.realtime import openai_for
from tests.realtime.test_sideband import detail, events_of, org_key, started, stored, system_lines


@pytest.fixture
def settings(
    services: None, make_settings: SettingsFactory, fake: tuple[FakeRealtime, LoopbackServer]
) -> Settings:
    return make_settings(openai=openai_for(fake[1]), calls=CallSettings(sweeper_enabled=False))


def require_owners(*apps: RunningApp) -> None:
    if any(EXTRAS_KEY not in app.state.extras for app in apps):
        pytest.skip("call owners are not wired into create_app yet (issue 8, item 5)")


async def test_rest_end_on_the_other_worker_ends_the_browser_call_on_its_owner(
    settings: Settings, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime = fake[0]
    async with run_app(settings) as owner, run_app(settings) as other:
        require_owners(owner, other)
        key = await org_key(owner.client)
        call_id, conn = await started(owner.client, realtime, key)
        assert await call_owners(other.state).owner_alive(call_id)

        end = {"call_id": call_id, "reason": "browser_hung_up"}
        response = await other.client.post("/api/call/end", json=end, headers=key_headers(key))
        # The owner hung up OpenAI's side and finalized before the other worker answered.
        hung_up_by_then = list(realtime.hangups)
        owner_left = not await call_owners(other.state).owner_alive(call_id)
        body = await stored(other.client, key, call_id, timeout=0.5)

    assert response.status_code == 200, response.text
    assert hung_up_by_then == [conn.call.id]
    assert owner_left
    assert body["end_reason"] == "browser_hung_up"
    assert [e["type"] for e in body["events"]].count("call_ended") == 1


async def test_transfer_asked_on_the_other_worker_promises_the_browser_caller_a_call_back(
    settings: Settings, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime = fake[0]
    async with run_app(settings) as owner, run_app(settings) as other:
        require_owners(owner, other)
        key = await org_key(owner.client)
        call_id, conn = await started(owner.client, realtime, key)

        response = await other.client.post(f"/api/calls/{call_id}/transfer", headers=key_headers(key))
        await conn.wait_for(lambda: len(system_lines(conn)) == 1)
        body = await detail(other.client, key, call_id)

    assert response.status_code == 202, response.text
    assert response.json() == {"call_id": call_id, "transfer": "callback"}
    # The owner's agent: no transfer on a browser call, a call back promised and recorded.
    [line] = system_lines(conn)
    assert "call them back" in line and "connecting" not in line
    assert body["live"] and realtime.hangups == []
    assert [e["data"]["transfer"] for e in events_of(body, "transfer_requested")] == ["callback"]
