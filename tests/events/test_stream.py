"""GET /api/org/events and /api/calls/{id}/events: events in order with ids, resume, snapshot, heartbeats."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from app.calls.live_store import RedisLiveStore
from app.events.live import bus_for
from app.events.stream import RedisEventLog, call_key, org_key
from tests.calls.conftest import Org, end, say, start
from tests.conftest import SettingsFactory, run_app
from tests.events.conftest import connect, event_settings
from tests.fixtures.factories import create_org_with_key, key_headers
from tests.webhooks.conftest import hook_settings


def position(message_id: str | None) -> tuple[int, int]:
    assert message_id is not None
    ms, seq = message_id.split("-")
    return int(ms), int(seq)


async def test_org_stream_carries_a_call_from_start_to_end(api: httpx.AsyncClient, org: Org) -> None:
    async with connect(api, "/api/org/events", headers=org.headers) as stream:
        snapshot = await stream.next()
        assert snapshot.event == "snapshot" and snapshot.json() == {
            "type": "snapshot",
            "reason": "join",
            "calls": [],
        }
        call_id = await start(api, org)
        await say(
            api,
            org,
            call_id,
            ("caller", "I would like to book a cleaning"),
            ("agent", "I am sorry to hear that."),
        )
        intake = {"caller_name": "Bo", "urgency_level": "urgent", "summary": "toothache"}
        await api.post(
            f"/api/calls/{call_id}/tool-calls",
            json={"name": "complete_intake", "arguments": intake},
            headers=org.headers,
        )
        await end(api, org, call_id)
        seen = await stream.until("call.ended")
    types = [m.event for m in seen]
    assert types == [
        "call.started",
        "transcript.turn",
        "transcript.turn",
        "intake.completed",
        "tool.called",
        "call.ended",
    ]
    assert all(m.json()["call_id"] == call_id for m in seen)
    assert [m.json()["text"] for m in seen[1:3]] == [
        "I would like to book a cleaning",
        "I am sorry to hear that.",
    ]
    assert seen[3].json()["intake"]["data"] == {"caller_name": "Bo"}
    positions = [position(m.id) for m in seen]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


async def test_reconnect_with_last_event_id_replays_what_was_missed(api: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(api, org)
    async with connect(api, "/api/org/events", headers=org.headers) as stream:
        await stream.next()  # snapshot
        await say(api, org, call_id, ("caller", "I would like to book a cleaning"))
        [first] = await stream.take(1)
    await say(api, org, call_id, ("caller", "two"), ("caller", "three"))
    async with connect(
        api, "/api/org/events", headers={**org.headers, "Last-Event-ID": str(first.id)}
    ) as stream:
        replayed = await stream.take(2)
        await say(api, org, call_id, ("caller", "four"))
        [live] = await stream.take(1)
    assert [m.json()["text"] for m in [*replayed, live]] == ["two", "three", "four"]
    assert all(m.event == "transcript.turn" for m in replayed)


async def test_too_old_last_event_id_starts_with_a_snapshot_of_live_calls(
    services: None, make_settings: SettingsFactory
) -> None:
    settings = make_settings(webhooks=hook_settings(), events=event_settings(org_stream_maxlen=10))
    async with run_app(settings) as app:
        org = Org(*await create_org_with_key(app.client))
        call_id = await start(app.client, org)
        async with connect(app.client, "/api/org/events", headers=org.headers) as stream:
            await stream.next()
            await say(app.client, org, call_id, ("caller", "first line"))
            [first] = await stream.take(1)
        for n in range(15):  # one XADD each; MAXLEN ~10 trims whole nodes, so go well past it
            await say(app.client, org, call_id, *[("caller", f"line {n}.{i}") for i in range(20)])
        headers = {**org.headers, "Last-Event-ID": str(first.id)}
        async with connect(app.client, "/api/org/events", headers=headers) as stream:
            snapshot = await stream.next()
    body = snapshot.json()
    assert snapshot.event == "snapshot" and body["reason"] == "gap"
    assert [c["call_id"] for c in body["calls"]] == [call_id] and body["calls"][0]["live"] is True


async def test_malformed_last_event_id_gets_a_snapshot(api: httpx.AsyncClient, org: Org) -> None:
    async with connect(
        api, "/api/org/events", headers={**org.headers, "Last-Event-ID": "yesterday"}
    ) as stream:
        first = await stream.next()
    assert first.event == "snapshot" and first.json()["reason"] == "gap"


async def test_heartbeats_keep_an_idle_stream_open(api: httpx.AsyncClient, org: Org) -> None:
    async with connect(api, "/api/org/events", headers=org.headers) as stream:
        connected = await stream.next(comments=True)
        assert connected.comment == "connected" and connected.retry == 2000
        await stream.next()  # snapshot
        beat = await stream.next(timeout=2, comments=True)
    assert beat.comment == "heartbeat"


async def test_another_orgs_events_never_reach_the_stream(
    api: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    async with connect(api, "/api/org/events", headers=org.headers) as stream:
        await stream.next()
        theirs = await start(api, other_org)
        await say(api, other_org, theirs, ("caller", "not for you"))
        mine = await start(api, org)
        [message] = await stream.take(1)
    assert message.event == "call.started" and message.json()["call_id"] == mine


async def test_call_stream_starts_with_the_call_so_far_then_follows_it(
    api: httpx.AsyncClient, org: Org
) -> None:
    call_id = await start(api, org)
    await say(api, org, call_id, ("caller", "I would like to book a cleaning"))
    async with connect(api, f"/api/calls/{call_id}/events", headers=org.headers) as stream:
        snapshot = await stream.next()
        await say(api, org, call_id, ("caller", "Tuesday morning works for me"))
        other = await start(api, org)  # another call of the same org: not on this stream
        await say(api, org, other, ("caller", "Do you take new patients"))
        await end(api, org, call_id)
        seen = await stream.until("call.ended")
    assert snapshot.event == "snapshot"
    assert [t["text"] for t in snapshot.json()["call"]["transcript"]] == ["I would like to book a cleaning"]
    assert [m.event for m in seen] == ["transcript.turn", "call.ended"]


async def test_another_orgs_call_stream_is_404(api: httpx.AsyncClient, org: Org, other_org: Org) -> None:
    call_id = await start(api, org)
    for path in (
        f"/api/calls/{call_id}/events",
        f"/api/calls/{uuid.uuid4()}/events",
        "/api/calls/nope/events",
    ):
        response = await api.get(path, headers=other_org.headers)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "call_not_found"


async def test_ended_call_stream_replays_its_events(api: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(api, org)
    await say(api, org, call_id, ("caller", "I would like to book a cleaning"))
    await end(api, org, call_id)
    async with connect(
        api, f"/api/calls/{call_id}/events", headers={**org.headers, "Last-Event-ID": "0-0"}
    ) as s:
        seen = await s.until("call.ended")
    assert [m.event for m in seen] == ["call.started", "transcript.turn", "call.ended"]


async def test_stream_token_works_on_stream_routes_only(api: httpx.AsyncClient, org: Org) -> None:
    issued = await api.post("/api/org/events/token", headers=org.headers)
    assert issued.status_code == 200
    token = issued.json()["token"]
    async with connect(api, "/api/org/events", params={"token": token}) as stream:
        assert (await stream.next()).event == "snapshot"
    call_id = await start(api, org)
    async with connect(api, f"/api/calls/{call_id}/events", params={"token": token}) as stream:
        assert (await stream.next()).event == "snapshot"
    for path in ("/api/calls", f"/api/calls/{call_id}", "/api/org/webhooks"):
        refused = await api.get(path, params={"token": token})
        assert refused.status_code == 401, path


@pytest.mark.parametrize(
    "token",
    ["", "cist_", "cist_abc.def", "whsec_x", "cist_" + "a" * 600, "cist_eyJvIjoiMSJ9.AAAA"],
)
async def test_bad_stream_tokens_are_401(api: httpx.AsyncClient, token: str) -> None:
    response = await api.get("/api/org/events", params={"token": token})
    assert response.status_code in (401, 422), response.text
    if response.status_code == 401:
        assert response.json()["error"]["code"] in ("invalid_stream_token", "missing_credentials")


async def test_token_of_one_org_cannot_open_another_orgs_call(
    api: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    call_id = await start(api, org)
    token = (await api.post("/api/org/events/token", headers=other_org.headers)).json()["token"]
    response = await api.get(f"/api/calls/{call_id}/events", params={"token": token})
    assert response.status_code == 404


async def test_stream_needs_calls_read(api: httpx.AsyncClient) -> None:
    _, key = await create_org_with_key(api, scopes=["config:read"])
    assert (await api.get("/api/org/events", headers=key_headers(key))).status_code == 403
    assert (await api.post("/api/org/events/token", headers=key_headers(key))).status_code == 403
    assert (await api.get("/api/org/events")).status_code == 401
    _, reader_key = await create_org_with_key(api, scopes=["calls:read"])
    long_id = {"Last-Event-ID": "1" * 65, **key_headers(reader_key)}
    assert (await api.get("/api/org/events", headers=long_id)).status_code == 422


async def test_slow_client_is_dropped_and_resumes(services: None, make_settings: SettingsFactory) -> None:
    settings = make_settings(webhooks=hook_settings(), events=event_settings(subscriber_queue_size=8))
    async with run_app(settings) as app:
        org = Org(*await create_org_with_key(app.client))
        bus = bus_for(app.state.live_store)
        assert bus is not None
        key = org_key(org.id)
        # A client that connects and then never reads.
        _reader, writer = await asyncio.open_connection("127.0.0.1", app.server.port)
        writer.write(
            f"GET /api/org/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {org.key}\r\n\r\n".encode()
        )
        await writer.drain()
        async with asyncio.timeout(5):
            while bus.hub.subscribers(key) == 0:
                await asyncio.sleep(0.01)
        first_id = await bus.log.last_id(key)
        blob = "x" * 4000
        for n in range(3000):
            await bus.log.append(
                org.id, None, "transcript.turn", {"call_id": str(uuid.UUID(int=n)), "text": blob}
            )
            if bus.hub.drops:
                break
        async with asyncio.timeout(5):
            while bus.hub.subscribers(key):
                await asyncio.sleep(0.01)
        assert bus.hub.drops == 1
        writer.close()
        # It comes back with the last id it had and gets the rest.
        async with connect(
            app.client, "/api/org/events", headers={**org.headers, "Last-Event-ID": first_id}
        ) as s:
            replayed = await s.take(5)
    assert [m.json()["call_id"] for m in replayed] == [str(uuid.UUID(int=n)) for n in range(5)]


async def test_embedded_default_streams_in_process(services: None, make_settings: SettingsFactory) -> None:
    settings = make_settings(redis_url=None, webhooks=hook_settings(), events=event_settings())
    async with run_app(settings) as app:
        org = Org(*await create_org_with_key(app.client))
        async with connect(app.client, "/api/org/events", headers=org.headers) as stream:
            await stream.next()
            call_id = await start(app.client, org)
            await say(app.client, org, call_id, ("caller", "in process"))
            seen = await stream.take(2)
        async with connect(
            app.client, "/api/org/events", headers={**org.headers, "Last-Event-ID": str(seen[0].id)}
        ) as stream:
            [again] = await stream.take(1)
    assert [m.event for m in seen] == ["call.started", "transcript.turn"]
    assert again.json()["text"] == "in process"


async def test_list_calls_includes_live_calls_with_a_live_filter(api: httpx.AsyncClient, org: Org) -> None:
    ended = await start(api, org)
    await end(api, org, ended)
    live = await start(api, org)
    both = (await api.get("/api/calls", headers=org.headers)).json()
    assert [(c["call_id"], c["live"]) for c in both["items"]] == [(live, True), (ended, False)]
    only_live = (await api.get("/api/calls", params={"live": "true"}, headers=org.headers)).json()
    assert [c["call_id"] for c in only_live["items"]] == [live]
    stored = (await api.get("/api/calls", params={"live": "false"}, headers=org.headers)).json()
    assert [c["call_id"] for c in stored["items"]] == [ended]
    filtered = (await api.get("/api/calls", params={"status": "completed"}, headers=org.headers)).json()
    assert [c["call_id"] for c in filtered["items"]] == [ended]
    bad = await api.get("/api/calls", params={"live": "sometimes"}, headers=org.headers)
    assert bad.status_code == 422


async def test_stream_routes_are_documented_with_event_shapes(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    content = spec["paths"]["/api/org/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    shapes = content["x-event-data"]["anyOf"]
    types = {shape["properties"]["type"]["const"] for shape in shapes}
    assert {"snapshot", "call.started", "transcript.turn", "call.escalated", "call.ended"} <= types
    assert "/api/calls/{call_id}/events" in spec["paths"]


async def test_an_append_queued_without_waiting_lands_before_every_later_append(
    redis_client: object, redis_url: str
) -> None:
    # A caller line's turn is queued and written beside detection; the escalation the line causes
    # is appended after it and must never overtake it on the call's stream, under concurrency too.
    log = RedisEventLog.from_url(redis_url, call_maxlen=1000, org_maxlen=1000, ttl_seconds=60)
    org_id, calls = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(20)]

    async def one_line(call_id: str) -> None:
        turn = log.append_soon(org_id, call_id, [("transcript.turn", {"n": 1})])
        await log.append(org_id, call_id, "call.escalated", {"n": 2})
        await turn

    try:
        await asyncio.gather(*(one_line(c) for c in calls))
        for call_id in calls:
            entries = await log.read_after(call_key(call_id), "0-0")
            assert [e.type for e in entries or []] == ["transcript.turn", "call.escalated"]
        org_entries = await log.read_after(org_key(org_id), "0-0") or []
        assert len(org_entries) == 40
    finally:
        await log.close()


async def test_a_lines_events_ride_with_the_next_live_store_write_and_the_store_keeps_its_batcher(
    redis_client: object, redis_url: str
) -> None:
    store = RedisLiveStore.from_url(redis_url, ttl_seconds=60)
    log = RedisEventLog.from_url(
        redis_url, call_maxlen=1000, org_maxlen=1000, ttl_seconds=60, batcher=store.batcher
    )
    org_id, call_id = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        turn = log.append_soon(org_id, call_id, [("transcript.turn", {"n": 1})])  # nobody waits on it
        assert await store.touch(call_id) is False  # a live-store write (of a call that is not there)
        await asyncio.wait_for(turn, 5)
        assert store.batcher.pipelines == 1  # the event went out in the write's round trip
        entries = await log.read_after(call_key(call_id), "0-0")
        assert [e.type for e in entries or []] == ["transcript.turn"]
        await log.close()  # not the store's batcher: the store still writes
        assert await store.touch(call_id) is False and store.batcher.pipelines == 2
    finally:
        await log.close()
        await store.close()
