"""The fake's WebRTC mode: /v1/realtime/calls answered by the real WebRTC simulator, with an aiortc
peer standing in for the browser (all on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from aiortc import RTCSessionDescription
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from simulator.realtime import EMERGENCY_LINE, FakeRealtime, WebRTCMode
from simulator.webrtc import ScriptedLine
from tests.fakes.server import LoopbackServer, serve
from tests.simulator.test_realtime import (
    CALL_SESSION,
    KEY,
    auth,
    open_sideband,
    recv,
    recv_until,
    send,
)
from tests.simulator.test_webrtc import ClientPeer, wait_for

LINE = "the caller's scripted line"


@pytest.fixture
def fake() -> FakeRealtime:
    return FakeRealtime(api_key=KEY, webrtc=WebRTCMode(caller_lines=[ScriptedLine(LINE, at=0.3)]))


@pytest.fixture
async def server(fake: FakeRealtime) -> AsyncIterator[LoopbackServer]:
    async with serve(fake.app) as server:
        try:
            yield server
        finally:
            await fake.aclose()


@pytest.fixture
async def http(server: LoopbackServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.http_url}/v1", timeout=10) as client:
        yield client


@pytest.fixture
async def browser() -> AsyncIterator[ClientPeer]:
    peer = ClientPeer()
    try:
        yield peer
    finally:
        await peer.close()


async def call(http: httpx.AsyncClient, browser: ClientPeer) -> str:
    files = {
        "sdp": (None, (await browser.offer()).encode(), "application/sdp"),
        "session": (None, orjson.dumps(CALL_SESSION), "application/json"),
    }
    response = await http.post("/realtime/calls", files=files, headers=auth())
    assert response.status_code == 201, response.text
    await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))
    await wait_for(lambda: browser.pc.connectionState == "connected", "browser connected")
    return str(response.headers["location"].rpartition("/")[2])


async def browser_events_until(browser: ClientPeer, type_: str) -> list[dict[str, Any]]:
    events = []
    while True:
        events.append(await browser.next_event())
        if events[-1]["type"] == type_:
            return events


def transcripts(events: list[dict[str, Any]]) -> list[str]:
    return [e["transcript"] for e in events if e["type"].endswith("transcription.completed")]


async def test_webrtc_mode_is_off_by_default() -> None:
    assert FakeRealtime().webrtc is None


async def test_answer_is_the_simulators_and_the_caller_line_reaches_the_sideband(
    fake: FakeRealtime, server: LoopbackServer, http: httpx.AsyncClient, browser: ClientPeer
) -> None:
    call_id = await call(http, browser)
    async with open_sideband(server, call_id) as ws:
        sideband = await recv_until(ws, "conversation.item.input_audio_transcription.completed")
        # The fake's own events on the sideband are mirrored onto the browser's data channel.
        await send(ws, {"type": "response.create"})
        await recv_until(ws, "output_audio_buffer.stopped")
        seen = await browser_events_until(browser, "output_audio_buffer.stopped")

    assert fake.webrtc is not None and fake.webrtc.calls[call_id].connection_state == "connected"
    assert transcripts(sideband) == [LINE]
    assert transcripts(seen) == [LINE]  # once: the simulator sent it, the mirror did not send it again
    agent = [e["transcript"] for e in seen if e["type"] == "response.output_audio_transcript.done"]
    assert agent == [fake.behaviour.greeting.text]
    assert "session.created" in [e["type"] for e in seen]


async def test_end_call_follows_the_escalation_then_the_goodbye(
    server: LoopbackServer, http: httpx.AsyncClient, browser: ClientPeer
) -> None:
    call_id = await call(http, browser)
    async with open_sideband(server, call_id) as ws:
        await recv(ws)
        system = {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "x"}]}
        await send(ws, {"type": "conversation.item.create", "item": system})
        await send(ws, {"type": "response.create"})
        done = (await recv_until(ws, "response.function_call_arguments.done"))[-1]
        output = {"type": "function_call_output", "call_id": done["call_id"], "output": "{}"}
        await send(ws, {"type": "conversation.item.create", "item": output})
        await send(ws, {"type": "response.create"})
        goodbye = await recv_until(ws, "response.output_audio_transcript.done")

    assert done["name"] == "end_call"
    assert goodbye[-1]["transcript"] == WebRTCMode().goodbye.text


async def test_hangup_closes_the_browsers_peer(
    fake: FakeRealtime, server: LoopbackServer, http: httpx.AsyncClient, browser: ClientPeer
) -> None:
    call_id = await call(http, browser)
    response = await http.post(f"/realtime/calls/{call_id}/hangup", headers=auth())

    assert response.status_code == 200
    assert fake.webrtc is not None and fake.webrtc.calls == {}
    await wait_for(lambda: browser.pc.connectionState in ("closed", "failed"), "browser peer closed", 40)


async def test_browser_closing_its_peer_ends_the_call_and_its_sidebands(
    fake: FakeRealtime, server: LoopbackServer, http: httpx.AsyncClient, browser: ClientPeer
) -> None:
    call_id = await call(http, browser)
    async with open_sideband(server, call_id) as ws:
        await recv(ws)
        await browser.close()
        await wait_for(lambda: fake.calls[call_id].ended, "the call to end", 40)
        await closed(ws)

    assert not fake.calls[call_id].hung_up  # the browser's end, not a hang-up


async def closed(ws: ClientConnection) -> None:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 10)


def test_default_script_is_the_emergency_line() -> None:
    assert [line.text for line in WebRTCMode().script()] == [EMERGENCY_LINE]
