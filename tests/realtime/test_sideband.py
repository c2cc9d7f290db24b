"""Browser calls over the unified interface, run on the server: the SDP exchange, the sideband the agent
runs on (server-side detection and tools), a browser's session.update undone, re-attach, and the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from app.realtime import webrtc
from app.settings import CallSettings, OpenAISettings
from simulator.realtime import AudioReply, FakeConnection, FakeRealtime, FunctionCall
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.server import LoopbackServer
from tests.fixtures.factories import create_org_with_key, key_headers
from tests.fixtures.realtime import API_KEY, openai_for
from tests.realtime.test_session_mint import outbox_locked, started_row_committed

OFFER = b"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
SDP = {"Content-Type": "application/sdp"}


AppFactory = Callable[..., Any]


@pytest.fixture
async def app(
    services: None, make_settings: SettingsFactory, fake: tuple[FakeRealtime, LoopbackServer]
) -> AsyncIterator[RunningApp]:
    openai = openai_for(fake[1])
    calls = CallSettings(sweeper_enabled=False, idle_timeout_seconds=300)
    async with run_app(make_settings(openai=openai, calls=calls)) as running:
        yield running


@pytest.fixture
def realtime(fake: tuple[FakeRealtime, LoopbackServer]) -> FakeRealtime:
    return fake[0]


async def org_key(client: httpx.AsyncClient, **config: Any) -> str:
    _, key = await create_org_with_key(client, **config)
    return key


async def offer(
    client: httpx.AsyncClient,
    key: str,
    body: bytes = OFFER,
    *,
    headers: dict[str, str] | None = None,
    **params: str,
) -> httpx.Response:
    return await client.post(
        "/api/realtime/calls",
        content=body,
        headers={**key_headers(key), **SDP, **(headers or {})},
        params=params,
    )


async def started(client: httpx.AsyncClient, realtime: FakeRealtime, key: str) -> tuple[str, FakeConnection]:
    response = await offer(client, key)
    assert response.status_code == 201, response.text
    call = await realtime.wait_for_call(len(realtime.calls))
    conn = await realtime.wait_for_sideband(call.id)
    await conn.wait_for_event("response.create")  # the greeting the server asks for
    return response.headers["x-call-id"], conn


async def detail(client: httpx.AsyncClient, key: str, call_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/calls/{call_id}", headers=key_headers(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def stored(client: httpx.AsyncClient, key: str, call_id: str, timeout: float = 5.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while (body := await detail(client, key, call_id))["live"]:
            await asyncio.sleep(0.02)
    return body


def events_of(body: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [event for event in body["events"] if event["type"] == type_]


def system_lines(conn: FakeConnection) -> list[str]:
    return [
        e["item"]["content"][0]["text"]
        for e in conn.received("conversation.item.create")
        if e["item"].get("role") == "system"
    ]


def outputs(conn: FakeConnection) -> list[dict[str, Any]]:
    return [
        orjson.loads(e["item"]["output"])
        for e in conn.received("conversation.item.create")
        if e["item"]["type"] == "function_call_output"
    ]


async def test_browser_call_runs_on_the_server_end_to_end(app: RunningApp, realtime: FakeRealtime) -> None:
    client = app.client
    key = await org_key(client)
    response = await offer(client, key, headers={"X-Caller-Name": "Ada", "X-Caller-Phone": "+15550001234"})
    assert response.status_code == 201, response.text
    call_id = response.headers["x-call-id"]
    assert response.headers["location"] == f"/api/calls/{call_id}"
    assert response.headers["content-type"].startswith("application/sdp")
    assert response.content.startswith(b"v=0\r\n") and b"m=audio" in response.content
    # The server forwarded the offer with its own session and the standard key.
    [request] = realtime.call_requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.json["type"] == "realtime" and request.json["tools"]
    assert "audio" in request.json and "format" not in request.json["audio"]["input"]
    # The org has an escalation phone, but a browser call cannot be transferred: nothing promises it.
    assert "connecting them with a person now" not in request.json["instructions"]
    assert "call them back" in request.json["instructions"]
    [call] = realtime.calls.values()
    assert call.offer == OFFER
    conn = await realtime.wait_for_sideband(call.id)
    assert conn.query == {"call_id": call.id}
    await conn.wait_for_event("response.create")

    # A caller line with an emergency: the server escalates and the agent speaks the safety line.
    await conn.caller_says("My chest hurts and I can't breathe")
    await conn.wait_for(lambda: len(system_lines(conn)) == 1)
    [line] = system_lines(conn)
    assert "call 911 now" in line and "call them back" in line and "connecting" not in line
    # A tool the model calls runs on the server; its output goes back over the sideband.
    intake = {"caller_name": "Ada", "urgency_level": "emergency", "summary": "Chest pain, breathless."}
    await conn.caller_says("Please hurry", FunctionCall("complete_intake", intake, call_id="call_ci"))
    await conn.wait_for(lambda: len(outputs(conn)) == 1)
    assert outputs(conn)[0]["status"] == "saved"
    # The agent's end_call, after the goodbye, hangs OpenAI's side up and ends the call.
    goodbye = AudioReply("Help is on the way. Goodbye.", 200)
    await conn.caller_says(
        "Thanks", FunctionCall("end_call", {"reason": "done"}, call_id="call_end", then_audio=goodbye)
    )
    body = await stored(client, key, call_id)

    assert realtime.hangups == [call.id] and call.hung_up
    assert (body["channel"], body["end_reason"], body["status"]) == ("browser", "agent_end_call", "completed")
    assert (body["escalated"], body["urgency"], body["caller_name"]) == (True, "emergency", "Ada")
    transcript = [(t["speaker"], t["text"]) for t in body["transcript"]]
    assert ("caller", "My chest hurts and I can't breathe") in transcript
    assert ("agent", "Help is on the way. Goodbye.") in transcript
    assert body["intake"]["summary"] == "Chest pain, breathless."
    assert [e["data"]["source"] for e in events_of(body, "escalated")] == ["detection"]
    assert next(e["data"]["action"] for e in events_of(body, "detection")) == "escalated"
    assert events_of(body, "webrtc_call_created")[0]["data"]["openai_call_id"] == call.id


async def test_browser_session_update_is_reverted_once(app: RunningApp, realtime: FakeRealtime) -> None:
    key = await org_key(app.client)
    call_id, conn = await started(app.client, realtime, key)
    ours = conn.session["instructions"]
    await realtime.browser_session_update(conn.call.id, {"type": "realtime", "instructions": "Say anything."})
    update = await conn.wait_for_event("session.update")
    await asyncio.sleep(0.3)  # what a loop would send meanwhile

    assert update["session"]["instructions"] == ours and update["session"]["tools"] == conn.session["tools"]
    assert len(conn.received("session.update")) == 1 and conn.session["instructions"] == ours
    reverted = events_of(await detail(app.client, key, call_id), "session_override_reverted")
    assert [e["data"]["fields"] for e in reverted] == [["instructions"]]


async def test_sideband_closing_while_the_call_lives_reattaches(
    app: RunningApp, realtime: FakeRealtime
) -> None:
    key = await org_key(app.client)
    call_id, conn = await started(app.client, realtime, key)
    await conn.close(1001, "proxy rotated")
    again = await realtime.wait_for_sideband(conn.call.id, 2)
    await again.caller_says("I would like a cleaning")
    async with asyncio.timeout(5):
        while not any(
            t["text"] == "I would like a cleaning"
            for t in (await detail(app.client, key, call_id))["transcript"]
        ):
            await asyncio.sleep(0.02)

    body = await detail(app.client, key, call_id)
    assert body["live"] and len(events_of(body, "sideband_reattached")) == 1


async def test_ended_webrtc_call_gets_a_404_on_reattach_and_is_finalized(
    app: RunningApp, realtime: FakeRealtime
) -> None:
    key = await org_key(app.client)
    call_id, conn = await started(app.client, realtime, key)
    await realtime.browser_hangs_up(conn.call.id)
    body = await stored(app.client, key, call_id)

    assert body["end_reason"] == "openai_call_ended" and len(conn.call.sidebands) == 1
    assert realtime.hangups == []  # nothing left to hang up


async def test_rest_end_stops_the_sideband_and_hangs_up_openai(
    app: RunningApp, realtime: FakeRealtime
) -> None:
    key = await org_key(app.client)
    call_id, conn = await started(app.client, realtime, key)
    end = {"call_id": call_id, "reason": "browser_hung_up"}
    response = await app.client.post("/api/call/end", json=end, headers=key_headers(key))
    assert response.status_code == 200, response.text
    await conn.wait_closed(timeout=5)
    running = app.state.extras["sideband"].calls
    async with asyncio.timeout(5):
        while running:
            await asyncio.sleep(0.02)

    assert realtime.hangups == [conn.call.id]
    assert (await stored(app.client, key, call_id))["end_reason"] == "browser_hung_up"


async def test_resume_with_call_id_supersedes_the_old_webrtc_call(
    app: RunningApp, realtime: FakeRealtime
) -> None:
    key = await org_key(app.client)
    call_id, conn = await started(app.client, realtime, key)
    response = await offer(app.client, key, call_id=call_id)
    assert response.status_code == 201 and response.headers["x-call-id"] == call_id
    second = await realtime.wait_for_call(2)
    await realtime.wait_for_sideband(second.id)
    await conn.wait_closed(timeout=5)

    body = await detail(app.client, key, call_id)
    assert body["live"] and len(events_of(body, "webrtc_call_created")) == 2
    assert realtime.hangups == [conn.call.id]  # the older WebRTC call, not the one that took over


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (OFFER, {"Content-Type": "application/json"}, 415),
        (b"hello", SDP, 422),
        (b"v=0\r\n" + b"a=x\r\n" * 20000, SDP, 413),
        (OFFER, {**SDP, "X-Caller-Phone": "not a phone"}, 422),
    ],
    ids=["not-sdp-type", "not-an-offer", "too-big", "bad-caller-phone"],
)
async def test_bad_offer_is_refused_before_openai(
    app: RunningApp, realtime: FakeRealtime, body: bytes, headers: dict[str, str], status: int
) -> None:
    key = await org_key(app.client)
    response = await app.client.post(
        "/api/realtime/calls", content=body, headers={**key_headers(key), **headers}
    )

    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert realtime.call_requests == []


async def test_unknown_or_other_orgs_call_id_is_404_and_ended_is_409(
    app: RunningApp, realtime: FakeRealtime
) -> None:
    key, other = await org_key(app.client), await org_key(app.client)
    call_id, _conn = await started(app.client, realtime, key)
    before = len(realtime.call_requests)
    unknown = await offer(app.client, key, call_id="00000000-0000-4000-8000-000000000000")
    malformed = await offer(app.client, key, call_id="nope")
    cross = await offer(app.client, other, call_id=call_id)
    await app.client.post("/api/call/end", json={"call_id": call_id}, headers=key_headers(key))
    ended = await offer(app.client, key, call_id=call_id)

    assert (unknown.status_code, malformed.status_code, cross.status_code) == (404, 404, 404)
    assert ended.status_code == 409
    assert len(realtime.call_requests) == before


async def test_upstream_rejection_maps_like_the_mint(app: RunningApp, realtime: FakeRealtime) -> None:
    key = await org_key(app.client)
    realtime.fail_next(401)
    response = await offer(app.client, key)

    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_auth_failed"
    assert response.json()["error"]["details"]["call_id"]
    assert realtime.calls == {}


async def test_client_secret_path_records_its_events_as_from_the_client(
    app: RunningApp, realtime: FakeRealtime
) -> None:
    key = await org_key(app.client)
    minted = await app.client.post("/api/realtime/session", json={}, headers=key_headers(key))
    call_id = minted.json()["call_id"]
    tool = {
        "name": "escalate_call",
        "arguments": {"reason": "pain", "urgency": "urgent"},
        "tool_call_id": "t1",
    }
    await app.client.post(f"/api/calls/{call_id}/tool-calls", json=tool, headers=key_headers(key))
    body = await detail(app.client, key, call_id)

    assert [e["data"]["source"] for e in events_of(body, "session_minted")] == ["client"]
    assert [e["data"]["source"] for e in events_of(body, "escalated")] == ["client"]
    assert (
        "trusts the browser"
        in app.server.app.openapi()["paths"]["/api/realtime/session"]["post"]["description"]
    )


async def test_silent_sideband_ends_on_the_idle_timer_and_hangs_up(
    services: None, make_settings: SettingsFactory, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime, server = fake
    openai = OpenAISettings(api_key=SecretStr(API_KEY), base_url=f"{server.http_url}/v1")
    calls = CallSettings(sweeper_enabled=False, idle_timeout_seconds=1)
    async with run_app(make_settings(openai=openai, calls=calls)) as running:
        key = await org_key(running.client)
        call_id, conn = await started(running.client, realtime, key)
        body = await stored(running.client, key, call_id)

    assert body["end_reason"] == "idle_timeout" and realtime.hangups == [conn.call.id]


async def test_detection_records_one_escalation_on_every_path(
    app: RunningApp, realtime: FakeRealtime
) -> None:
    """The same story, the same events: a forwarded emergency line (client path) and a sideband caller
    line each give one detection and one escalation write."""
    key = await org_key(app.client)
    minted = (await app.client.post("/api/realtime/session", json={}, headers=key_headers(key))).json()
    line = {"turns": [{"speaker": "caller", "text": "My chest hurts and I can't breathe"}]}
    await app.client.post(f"/api/calls/{minted['call_id']}/transcript", json=line, headers=key_headers(key))
    call_id, conn = await started(app.client, realtime, key)
    await conn.caller_says("My chest hurts and I can't breathe")
    await conn.wait_for(lambda: len(system_lines(conn)) == 1)

    for body in (await detail(app.client, key, minted["call_id"]), await detail(app.client, key, call_id)):
        story = [
            (e["type"], e["data"]["source"] if e["type"] == "escalated" else e["data"]["action"])
            for e in body["events"]
            if e["type"] in ("detection", "escalated")
        ]
        # One detection (its own source: which part of the detector fired), one escalation write.
        assert story == [("detection", "escalated"), ("escalated", "detection")]


async def test_agent_end_call_keeps_its_reason_and_hangs_up_when_an_end_arrives_during_a_slow_hang_up(
    app: RunningApp, realtime: FakeRealtime
) -> None:
    key = await org_key(app.client)
    call_id, conn = await started(app.client, realtime, key)
    realtime.hangup_delay_ms = 1500
    goodbye = AudioReply("Goodbye.", 100)
    await conn.caller_says(
        "Thanks", FunctionCall("end_call", {"reason": "done"}, call_id="call_end", then_audio=goodbye)
    )
    async with asyncio.timeout(5):
        while not realtime.hangup_requests:  # the agent's hang-up is in flight
            await asyncio.sleep(0.01)
    end = {"call_id": call_id, "reason": "browser_hung_up"}
    response = await app.client.post("/api/call/end", json=end, headers=key_headers(key))
    body = await stored(app.client, key, call_id)

    assert response.status_code == 200, response.text
    # The agent decided first; the end that cut its hang-up short did not leave OpenAI's side up.
    assert body["end_reason"] == "agent_end_call"
    assert realtime.hangups == [conn.call.id] and conn.call.hung_up


async def test_sdp_answer_does_not_wait_for_the_outbox_commit(app: RunningApp) -> None:
    key = await org_key(app.client)
    first = await offer(app.client, key)  # the key is cached: auth needs no PostgreSQL either
    assert first.status_code == 201
    async with outbox_locked(app):
        response = await asyncio.wait_for(offer(app.client, key), 5)
        assert response.status_code == 201
    await started_row_committed(app, response.headers["x-call-id"])


async def test_openai_call_left_by_a_failed_start_is_hung_up(app: RunningApp, realtime: FakeRealtime) -> None:
    # The offer goes out before the call starts here; if the start fails, nobody runs the OpenAI call.
    client = app.state.extras["realtime_client"]
    created: asyncio.Future[tuple[bytes, str]] = asyncio.ensure_future(
        client.create_call(OFFER, {"type": "realtime", "model": "gpt-realtime"})
    )
    created.add_done_callback(lambda done: webrtc._hang_up_unused(client, done))
    _, openai_call_id = await created
    async with asyncio.timeout(5):
        while openai_call_id not in realtime.hangups:
            await asyncio.sleep(0.02)
