"""A per-call stream's end: it closes after call.ended; an ended call replays what is kept, 204, 410."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from app.events.stream import call_key
from tests.calls.conftest import Org, end, say, start
from tests.conftest import RunningApp
from tests.events.conftest import connect


async def test_call_stream_ends_after_call_ended(api: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(api, org)
    async with connect(api, f"/api/calls/{call_id}/events", headers=org.headers) as stream:
        await stream.next()  # snapshot
        await say(api, org, call_id, ("caller", "I would like to book a cleaning"))
        await end(api, org, call_id)
        seen = await stream.until("call.ended")
        with pytest.raises(EOFError):
            await stream.next(timeout=3, comments=True)
    assert [m.event for m in seen] == ["transcript.turn", "call.ended"]


async def test_ended_call_stream_replays_then_ends(api: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(api, org)
    await say(api, org, call_id, ("caller", "I would like to book a cleaning"))
    await end(api, org, call_id)
    headers = {**org.headers, "Last-Event-ID": "0-0"}
    async with connect(api, f"/api/calls/{call_id}/events", headers=headers) as stream:
        seen = await stream.until("call.ended")
        with pytest.raises(EOFError):
            await stream.next(timeout=3, comments=True)
    assert [m.event for m in seen] == ["call.started", "transcript.turn", "call.ended"]


async def test_joining_an_ended_call_gets_its_snapshot_then_the_stream_ends(
    api: httpx.AsyncClient, org: Org
) -> None:
    call_id = await start(api, org)
    await say(api, org, call_id, ("caller", "I would like to book a cleaning"))
    await end(api, org, call_id)
    async with connect(api, f"/api/calls/{call_id}/events", headers=org.headers) as stream:
        snapshot = await stream.next()
        with pytest.raises(EOFError):
            await stream.next(timeout=3, comments=True)
    body = snapshot.json()
    assert snapshot.event == "snapshot" and body["reason"] == "join"
    assert body["call"]["status"] == "completed" and body["call"]["live"] is False


async def test_reconnect_after_call_ended_is_204(api: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(api, org)
    async with connect(api, f"/api/calls/{call_id}/events", headers=org.headers) as stream:
        await stream.next()
        await end(api, org, call_id)
        [*_, ended] = await stream.until("call.ended")
    # What EventSource does when a stream ends: reconnect with the last id it saw.
    again = await api.get(
        f"/api/calls/{call_id}/events", headers={**org.headers, "Last-Event-ID": str(ended.id)}
    )
    assert again.status_code == 204 and again.content == b""


async def test_ended_call_with_nothing_kept_is_410(
    api: httpx.AsyncClient, org: Org, redis_client: Redis
) -> None:
    call_id = await start(api, org)
    await end(api, org, call_id)
    await redis_client.delete(call_key(call_id))  # what a day's expiry does
    response = await api.get(f"/api/calls/{call_id}/events", headers=org.headers)
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "call_stream_expired"


async def test_call_stream_closes_when_the_call_is_gone_without_call_ended(
    stream_app: RunningApp, api: httpx.AsyncClient, org: Org
) -> None:
    call_id = await start(api, org)
    async with connect(api, f"/api/calls/{call_id}/events", headers=org.headers) as stream:
        await stream.next()  # snapshot
        # Finalized elsewhere and its call.ended lost: the live keys are gone, nothing was published.
        await stream_app.state.live_store.delete_call(call_id)
        with pytest.raises(EOFError):
            while True:  # heartbeats until the next one finds the call gone (0.3 s apart here)
                await stream.next(timeout=3, comments=True)


async def test_org_stream_stays_open_after_a_call_ends(api: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(api, org)
    async with connect(api, "/api/org/events", headers=org.headers) as stream:
        await stream.next()
        await end(api, org, call_id)
        await stream.until("call.ended")
        beat = await stream.next(timeout=2, comments=True)
    assert beat.comment == "heartbeat"


async def test_call_stream_documents_its_end(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    responses = spec["paths"]["/api/calls/{call_id}/events"]["get"]["responses"]
    assert {"200", "204", "410"} <= set(responses)
    assert "call.ended" in responses["200"]["description"]
    assert "call_stream_expired" in responses["410"]["description"]
