"""Pins the fake OpenAI Realtime API's behaviour, so tests and benchmarks built on it can trust it."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from simulator.realtime import (
    AudioReply,
    Behaviour,
    CloseSocket,
    ErrorEvent,
    FakeRealtime,
    FunctionCall,
)
from tests.fakes.server import LoopbackServer, serve

KEY = "sk-simulator-not-openai"
SESSION = {
    "type": "realtime",
    "model": "gpt-realtime-2.1",
    "audio": {"output": {"voice": "marin"}},
}


@pytest.fixture
def fake() -> FakeRealtime:
    return FakeRealtime(api_key=KEY)


@pytest.fixture
async def server(fake: FakeRealtime) -> AsyncIterator[LoopbackServer]:
    async with serve(fake.app) as server:
        yield server


@pytest.fixture
async def http(server: LoopbackServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.http_url}/v1", timeout=5) as client:
        yield client


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def open_socket(server: LoopbackServer, *, key: str = KEY, extra: dict[str, str] | None = None) -> Any:
    url = f"{server.ws_url}/v1/realtime?model=gpt-realtime-2.1"
    return connect(url, additional_headers={**auth(key), **(extra or {})})


async def send(ws: ClientConnection, event: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(event).decode())


async def recv(ws: ClientConnection) -> dict[str, Any]:
    event: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    return event


async def recv_until(ws: ClientConnection, type_: str, **match: Any) -> list[dict[str, Any]]:
    """Every event up to and including the first of `type_` whose fields equal `match`."""
    events = []
    while True:
        event = await recv(ws)
        events.append(event)
        if event["type"] == type_ and all(event.get(k) == v for k, v in match.items()):
            return events


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events if event["type"] != "response.output_audio.delta"]


def audio_of(events: list[dict[str, Any]]) -> bytes:
    deltas = [e["delta"] for e in events if e["type"] == "response.output_audio.delta"]
    return b"".join(base64.b64decode(delta) for delta in deltas)


async def append(ws: ClientConnection, ms: int, frame_ms: int = 20) -> None:
    for _ in range(ms // frame_ms):
        payload = base64.b64encode(b"\xff" * frame_ms * 8).decode()  # μ-law silence, 8 bytes per ms
        await send(ws, {"type": "input_audio_buffer.append", "audio": payload})


# -- POST /v1/realtime/client_secrets ---------------------------------------------------------------


async def test_mint_returns_ga_shape_and_records_body(fake: FakeRealtime, http: httpx.AsyncClient) -> None:
    body = {"expires_after": {"anchor": "created_at", "seconds": 120}, "session": SESSION}
    before = int(time.time())
    response = await http.post("/realtime/client_secrets", json=body, headers=auth())

    assert response.status_code == 200
    minted = response.json()
    assert minted["value"].startswith("ek_")
    assert before + 120 <= minted["expires_at"] <= int(time.time()) + 120
    assert minted["session"]["id"].startswith("sess_")
    assert minted["session"]["object"] == "realtime.session"
    assert minted["session"]["expires_at"] == minted["expires_at"]
    assert minted["session"]["model"] == "gpt-realtime-2.1"
    [recorded] = fake.secret_requests
    assert recorded.json == body
    assert recorded.headers["authorization"] == f"Bearer {KEY}"


async def test_mint_expiry_defaults_to_600_seconds(http: httpx.AsyncClient) -> None:
    response = await http.post("/realtime/client_secrets", json={"session": SESSION}, headers=auth())

    assert response.json()["expires_at"] - time.time() == pytest.approx(600, abs=2)


async def test_mint_wrong_key_is_401(fake: FakeRealtime, http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/realtime/client_secrets", json={"session": SESSION}, headers=auth("sk-wrong")
    )

    assert response.status_code == 401
    assert response.json()["error"] == {
        "message": "Incorrect API key provided.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
    assert len(fake.secret_requests) == 1  # failures are recorded too


async def test_mint_unknown_top_level_param_is_400(http: httpx.AsyncClient) -> None:
    body = {"session": SESSION, "model": "gpt-realtime-2.1"}
    response = await http.post("/realtime/client_secrets", json=body, headers=auth())

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_parameter"
    assert response.json()["error"]["param"] == "model"


async def test_mint_session_without_realtime_type_is_400(http: httpx.AsyncClient) -> None:
    body = {"session": {"model": "gpt-realtime-2.1"}}
    response = await http.post("/realtime/client_secrets", json=body, headers=auth())

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_value"
    assert response.json()["error"]["param"] == "session.type"


async def test_mint_beta_session_field_is_400(http: httpx.AsyncClient) -> None:
    body = {"session": {**SESSION, "voice": "marin"}}
    response = await http.post("/realtime/client_secrets", json=body, headers=auth())

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "session.voice"


async def test_fail_next_answers_scripted_statuses_in_order(
    fake: FakeRealtime, http: httpx.AsyncClient
) -> None:
    fake.fail_next(500)
    fake.fail_next(429, times=2)
    fake.fail_next(503, {"error": {"message": "custom"}})

    statuses = []
    for _ in range(5):
        response = await http.post("/realtime/client_secrets", json={"session": SESSION}, headers=auth())
        statuses.append(response.status_code)

    assert statuses == [500, 429, 429, 503, 200]
    assert response.status_code == 200
    assert len(fake.secret_requests) == 5


async def test_fail_next_429_has_rate_limit_code(fake: FakeRealtime, http: httpx.AsyncClient) -> None:
    fake.fail_next(429)
    response = await http.post("/realtime/client_secrets", json={"session": SESSION}, headers=auth())

    assert response.json()["error"]["code"] == "rate_limit_exceeded"


async def test_stall_next_outlasts_client_timeout_then_recovers(
    fake: FakeRealtime, http: httpx.AsyncClient
) -> None:
    fake.stall_next(30)

    with pytest.raises(httpx.ReadTimeout):
        await http.post("/realtime/client_secrets", json={"session": SESSION}, headers=auth(), timeout=0.2)
    started = time.perf_counter()
    response = await http.post("/realtime/client_secrets", json={"session": SESSION}, headers=auth())

    assert response.status_code == 200
    assert time.perf_counter() - started < 1


async def test_stall_next_answers_after_the_delay(fake: FakeRealtime, http: httpx.AsyncClient) -> None:
    fake.stall_next(0.3)
    started = time.perf_counter()
    response = await http.post("/realtime/client_secrets", json={"session": SESSION}, headers=auth())

    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3


async def test_delay_ms_delays_every_answer(fake: FakeRealtime, http: httpx.AsyncClient) -> None:
    fake.delay_ms = 150
    started = time.perf_counter()
    responses = await asyncio.gather(
        *(http.post("/realtime/client_secrets", json={"session": SESSION}, headers=auth()) for _ in range(5))
    )

    elapsed = time.perf_counter() - started
    assert [r.status_code for r in responses] == [200] * 5
    assert 0.15 <= elapsed < 1  # concurrent: the delay is per request, not a queue


# -- WebSocket /v1/realtime: handshake ---------------------------------------------------------------


async def test_ws_handshake_without_key_is_http_401(fake: FakeRealtime, server: LoopbackServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with open_socket(server, key="sk-wrong"):
            pass

    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body or b"")["error"]["code"] == "invalid_api_key"
    assert fake.connections == []


async def test_ws_reject_ws_with_refuses_handshake(fake: FakeRealtime, server: LoopbackServer) -> None:
    fake.reject_ws_with = 500

    with pytest.raises(InvalidStatus) as refused:
        async with open_socket(server):
            pass

    assert refused.value.response.status_code == 500


async def test_ws_accepts_minted_ephemeral_key(server: LoopbackServer, http: httpx.AsyncClient) -> None:
    minted = (await http.post("/realtime/client_secrets", json={"session": SESSION}, headers=auth())).json()

    async with open_socket(server, key=minted["value"]) as ws:
        assert (await recv(ws))["type"] == "session.created"


async def test_ws_beta_header_gets_error_then_close_4000(fake: FakeRealtime, server: LoopbackServer) -> None:
    async with open_socket(server, extra={"OpenAI-Beta": "realtime=v1"}) as ws:
        error = await recv(ws)
        with pytest.raises(ConnectionClosed):
            await recv(ws)

    assert error["type"] == "error"
    assert error["error"]["code"] == "beta_api_shape_disabled"
    assert ws.close_code == 4000
    assert fake.connections[0].headers["openai-beta"] == "realtime=v1"


async def test_session_created_first_with_model(fake: FakeRealtime, server: LoopbackServer) -> None:
    async with open_socket(server) as ws:
        created = await recv(ws)
        conn = await fake.wait_for_connection()

    assert created["type"] == "session.created"
    assert created["session"]["model"] == "gpt-realtime-2.1"
    assert created["session"]["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    assert conn.model == "gpt-realtime-2.1"


# -- WebSocket: client events -------------------------------------------------------------------------


async def test_session_update_merges_and_answers_session_updated(
    fake: FakeRealtime, server: LoopbackServer
) -> None:
    update = {
        "type": "session.update",
        "event_id": "evt_1",
        "session": {"type": "realtime", "instructions": "Be brief.", "audio": {"output": {"voice": "cedar"}}},
    }
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, update)
        updated = await recv(ws)
        conn = await fake.wait_for_connection()

    assert updated["type"] == "session.updated"
    assert updated["session"]["instructions"] == "Be brief."
    assert updated["session"]["audio"]["output"] == {
        "format": {"type": "audio/pcmu"},
        "voice": "cedar",
        "speed": 1.0,
    }
    assert conn.events == [update]


async def test_session_update_beta_shape_is_error(server: LoopbackServer) -> None:
    update = {
        "type": "session.update",
        "event_id": "evt_2",
        "session": {"type": "realtime", "modalities": ["audio"]},
    }
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, update)
        error = await recv(ws)

    assert error["type"] == "error"
    assert error["error"]["code"] == "unknown_parameter"
    assert error["error"]["param"] == "session.modalities"
    assert error["error"]["event_id"] == "evt_2"


async def test_session_update_beta_audio_format_is_error(server: LoopbackServer) -> None:
    audio = {"input": {"format": "g711_ulaw"}}
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "session.update", "session": {"type": "realtime", "audio": audio}})
        error = await recv(ws)

    assert error["error"]["code"] == "invalid_value"
    assert error["error"]["param"] == "session.audio.input.format.type"


async def test_item_create_answers_added_and_done(fake: FakeRealtime, server: LoopbackServer) -> None:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "conversation.item.create", "item": item})
        added, done = await recv(ws), await recv(ws)

    assert added["type"] == "conversation.item.added"
    assert done["type"] == "conversation.item.done"
    assert added["item"]["id"] == done["item"]["id"]
    assert added["item"]["content"] == item["content"]


async def test_function_call_output_must_be_a_string(server: LoopbackServer) -> None:
    item = {"type": "function_call_output", "call_id": "call_1", "output": {"ok": True}}
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "conversation.item.create", "item": item})
        error = await recv(ws)

    assert error["error"]["code"] == "invalid_type"


async def test_response_create_streams_full_audio_response(
    fake: FakeRealtime, server: LoopbackServer
) -> None:
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "response.create", "response": {"metadata": {"turn": "greeting"}}})
        events = await recv_until(ws, "response.done")
        conn = await fake.wait_for_connection()

    assert types(events) == [
        "response.created",
        "response.output_item.added",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.output_item.done",
        "response.done",
    ]
    assert events[1]["item"]["role"] == "assistant"
    item_id = events[1]["item"]["id"]
    deltas = [e for e in events if e["type"] == "response.output_audio.delta"]
    assert len(deltas) == 10  # the 1000 ms greeting in 100 ms chunks
    assert all(d["item_id"] == item_id and d["response_id"] == events[0]["response"]["id"] for d in deltas)
    assert audio_of(events) == bytes(conn.sent_audio[item_id])
    assert len(conn.sent_audio[item_id]) == 1000 * 8
    transcript = next(e for e in events if e["type"] == "response.output_audio_transcript.done")
    assert transcript["transcript"] == Behaviour().greeting.text
    done = events[-1]["response"]
    assert done["status"] == "completed"
    assert done["metadata"] == {"turn": "greeting"}
    assert done["output"][0]["id"] == item_id


async def test_later_response_uses_reply_and_pcm_rate(fake: FakeRealtime, server: LoopbackServer) -> None:
    pcm = {
        "type": "session.update",
        "session": {"type": "realtime", "audio": {"output": {"format": {"type": "audio/pcm"}}}},
    }
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, pcm)
        await recv_until(ws, "session.updated")
        await send(ws, {"type": "response.create"})
        await recv_until(ws, "response.done")
        await send(ws, {"type": "response.create"})
        events = await recv_until(ws, "response.done")

    assert len(audio_of(events)) == 600 * 48  # reply_audio_ms of 24 kHz 16-bit PCM
    assert events[-1]["response"]["output"][0]["content"][0]["transcript"] == Behaviour().reply_text


async def test_response_create_while_active_is_error(fake: FakeRealtime, server: LoopbackServer) -> None:
    fake.behaviour = Behaviour(realtime_factor=1.0)
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "response.create"})
        await recv_until(ws, "response.output_audio.delta")
        await send(ws, {"type": "response.create", "event_id": "evt_again"})
        error = await recv_until(ws, "error")

    assert error[-1]["error"]["code"] == "conversation_already_has_active_response"
    assert error[-1]["error"]["event_id"] == "evt_again"


async def test_response_cancel_ends_stream_as_cancelled(fake: FakeRealtime, server: LoopbackServer) -> None:
    fake.behaviour = Behaviour(realtime_factor=1.0, greeting=AudioReply("a long greeting", 5000))
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "response.create"})
        first = await recv_until(ws, "response.output_audio.delta")
        await send(ws, {"type": "response.cancel"})
        rest = await recv_until(ws, "response.done")
        conn = await fake.wait_for_connection()

    done = rest[-1]["response"]
    assert done["status"] == "cancelled"
    assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
    assert done["output"][0]["status"] == "incomplete"
    item_id = first[1]["item"]["id"]
    assert 0 < len(conn.sent_audio[item_id]) < 5000 * 8
    assert audio_of(first + rest) == bytes(conn.sent_audio[item_id])


async def test_response_cancel_without_response_is_error(server: LoopbackServer) -> None:
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "response.cancel"})
        error = await recv(ws)

    assert error["error"]["code"] == "response_cancel_not_active"


async def test_function_call_step_then_audio_after_output(fake: FakeRealtime, server: LoopbackServer) -> None:
    fake.behaviour = Behaviour(
        script=[
            FunctionCall(
                "flag_emergency",
                {"kind": "gas_leak"},
                call_id="call_1",
                then_audio=AudioReply("Stay safe.", 300),
            )
        ]
    )
    output = {"type": "function_call_output", "call_id": "call_1", "output": '{"ok":true}'}
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "response.create"})
        call_events = await recv_until(ws, "response.done")
        await send(ws, {"type": "conversation.item.create", "item": output})
        await send(ws, {"type": "response.create"})
        reply_events = await recv_until(ws, "response.done")
        conn = await fake.wait_for_connection()

    assert types(call_events) == [
        "response.created",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.done",
    ]
    args_done = call_events[3]
    assert args_done["call_id"] == "call_1"
    assert args_done["name"] == "flag_emergency"
    assert json.loads(args_done["arguments"]) == {"kind": "gas_leak"}
    assert args_done["item_id"] == call_events[1]["item"]["id"]
    assert args_done["response_id"] == call_events[0]["response"]["id"]
    assert args_done["output_index"] == 0
    assert call_events[-1]["response"]["output"][0]["type"] == "function_call"
    transcript = next(e for e in reply_events if e["type"] == "response.output_audio_transcript.done")
    assert transcript["transcript"] == "Stay safe."
    assert conn.received("conversation.item.create")[0]["item"] == output


async def test_truncate_beyond_sent_audio_is_error(fake: FakeRealtime, server: LoopbackServer) -> None:
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "response.create"})
        events = await recv_until(ws, "response.done")
        item_id = events[1]["item"]["id"]
        truncate = {
            "type": "conversation.item.truncate",
            "event_id": "evt_t",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": 1500,
        }
        await send(ws, truncate)
        error = await recv(ws)
        conn = await fake.wait_for_connection()

    assert error["type"] == "error"
    assert error["error"]["code"] == "invalid_value"
    assert error["error"]["message"] == "Audio content of 1000ms is already shorter than 1500ms"
    assert error["error"]["event_id"] == "evt_t"
    assert conn.received("conversation.item.truncate") == [truncate]


async def test_truncate_within_sent_audio_is_truncated(server: LoopbackServer) -> None:
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "response.create"})
        item_id = (await recv_until(ws, "response.done"))[1]["item"]["id"]
        await send(
            ws,
            {
                "type": "conversation.item.truncate",
                "item_id": item_id,
                "content_index": 0,
                "audio_end_ms": 1000,
            },
        )
        truncated = await recv(ws)

    assert truncated["type"] == "conversation.item.truncated"
    assert truncated["item_id"] == item_id
    assert truncated["audio_end_ms"] == 1000


async def test_truncate_unknown_item_is_error(server: LoopbackServer) -> None:
    async with open_socket(server) as ws:
        await recv(ws)
        await send(
            ws,
            {
                "type": "conversation.item.truncate",
                "item_id": "item_x",
                "content_index": 0,
                "audio_end_ms": 0,
            },
        )
        error = await recv(ws)

    assert error["error"]["message"] == "Only model output audio messages can be truncated"


async def test_append_decodes_audio_in_any_serialisation(fake: FakeRealtime, server: LoopbackServer) -> None:
    fake.behaviour = Behaviour(record_timing=True)
    chunks = [b"\x01" * 160, b"\x02" * 160, b"\x03" * 160]
    async with open_socket(server) as ws:
        await recv(ws)
        b64 = [base64.b64encode(chunk).decode() for chunk in chunks]
        await ws.send(orjson.dumps({"type": "input_audio_buffer.append", "audio": b64[0]}).decode())
        await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": b64[1]}))
        await ws.send(json.dumps({"event_id": "e1", "type": "input_audio_buffer.append", "audio": b64[2]}))
        await send(ws, {"type": "input_audio_buffer.commit"})
        conn = await fake.wait_for_connection()
        await conn.wait_for_event("input_audio_buffer.commit")

    assert bytes(conn.input_audio) == b"".join(chunks)
    assert conn.append_count == 3
    assert len(conn.append_times) == 3
    assert conn.events == [{"type": "input_audio_buffer.commit"}]  # appends are not stored whole


async def test_unknown_client_event_is_error(server: LoopbackServer) -> None:
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "response.audio.delta"})
        error = await recv(ws)

    assert error["error"]["code"] == "invalid_value"
    assert error["error"]["param"] == "type"


# -- WebSocket: caller-driven turns and scripted steps ------------------------------------------------


async def test_respond_every_ms_drives_caller_turn(fake: FakeRealtime, server: LoopbackServer) -> None:
    fake.behaviour = Behaviour(respond_every_ms=200, caller_transcripts=["My boiler is leaking."])
    async with open_socket(server) as ws:
        await recv(ws)
        await append(ws, 200)
        events = await recv_until(ws, "response.done")
        conn = await fake.wait_for_connection()

    assert types(events)[:5] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed",
        "response.created",
    ]
    started, stopped, _, transcribed = events[:4]
    assert (started["audio_start_ms"], stopped["audio_end_ms"]) == (0, 200)
    assert started["item_id"] == transcribed["item_id"]
    assert transcribed["transcript"] == "My boiler is leaking."
    assert transcribed["content_index"] == 0
    assert len(audio_of(events)) == 600 * 8  # reply_audio_ms default
    assert conn.append_count == 10


async def test_caller_turn_interrupts_playing_response(fake: FakeRealtime, server: LoopbackServer) -> None:
    fake.behaviour = Behaviour(respond_every_ms=100, realtime_factor=1.0, reply_audio_ms=3000)
    async with open_socket(server) as ws:
        await recv(ws)
        await append(ws, 100)
        await recv_until(ws, "response.output_audio.delta")
        await append(ws, 100)
        events = await recv_until(ws, "response.done")

    order = types(events)
    assert order.index("input_audio_buffer.speech_started") < order.index("response.done")
    assert events[-1]["response"]["status"] == "cancelled"
    assert events[-1]["response"]["status_details"]["reason"] == "turn_detected"


async def test_error_step_sends_error_event(fake: FakeRealtime, server: LoopbackServer) -> None:
    fake.behaviour = Behaviour(script=[ErrorEvent("server_error", "boom", type="server_error")])
    async with open_socket(server) as ws:
        await recv(ws)
        await send(ws, {"type": "response.create"})
        error = await recv(ws)

    assert error["type"] == "error"
    assert error["error"]["code"] == "server_error"
    assert error["error"]["type"] == "server_error"


async def test_close_step_closes_socket_with_code(fake: FakeRealtime, server: LoopbackServer) -> None:
    async with open_socket(server) as ws:
        await recv(ws)
        conn = await fake.wait_for_connection()
        conn.queue(CloseSocket(1011))
        await send(ws, {"type": "response.create"})
        with pytest.raises(ConnectionClosed):
            await recv(ws)

    assert ws.close_code == 1011
    assert await conn.wait_closed() == 1011


async def test_send_event_and_close_from_test(fake: FakeRealtime, server: LoopbackServer) -> None:
    async with open_socket(server) as ws:
        await recv(ws)
        conn = await fake.wait_for_connection()
        await conn.send_event({"type": "rate_limits.updated", "rate_limits": []})
        pushed = await recv(ws)
        await conn.close(4001)
        with pytest.raises(ConnectionClosed):
            await recv(ws)

    assert pushed["type"] == "rate_limits.updated"
    assert pushed["event_id"].startswith("event_")
    assert ws.close_code == 4001


async def test_client_hangup_is_recorded(fake: FakeRealtime, server: LoopbackServer) -> None:
    async with open_socket(server) as ws:
        await recv(ws)
        conn = await fake.wait_for_connection()

    assert await conn.wait_closed() == 1000


# -- the WebRTC unified interface: POST /v1/realtime/calls, the sideband, hangup ------------------------

OFFER = b"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
CALL_SESSION = {**SESSION, "instructions": "Be brief.", "tools": []}


async def create_call(
    http: httpx.AsyncClient, *, key: str = KEY, session: Any = CALL_SESSION, sdp: bytes = OFFER
) -> httpx.Response:
    files = {
        "sdp": (None, sdp, "application/sdp"),
        "session": (None, orjson.dumps(session), "application/json"),
    }
    return await http.post("/realtime/calls", files=files, headers=auth(key))


async def test_delay_ms_delays_the_sdp_exchange_too(fake: FakeRealtime, http: httpx.AsyncClient) -> None:
    fake.delay_ms = 150
    started = time.perf_counter()
    response = await create_call(http)

    assert response.status_code == 201
    assert time.perf_counter() - started >= 0.15


def open_sideband(server: LoopbackServer, call_id: str, *, key: str = KEY) -> Any:
    return connect(f"{server.ws_url}/v1/realtime?call_id={call_id}", additional_headers=auth(key))


async def test_create_call_answers_sdp_with_location(fake: FakeRealtime, http: httpx.AsyncClient) -> None:
    response = await create_call(http)

    assert response.status_code == 201 and response.headers["content-type"] == "application/sdp"
    call_id = response.headers["location"].rpartition("/")[2]
    assert response.headers["location"] == f"/v1/realtime/calls/{call_id}" and call_id.startswith("rtc_")
    lines = response.text.split("\r\n")
    assert lines[0] == "v=0" and lines[-1] == "" and any(line.startswith("m=audio") for line in lines)
    assert all(line[1] == "=" for line in lines if line)
    assert fake.calls[call_id].offer == OFFER and fake.calls[call_id].session["instructions"] == "Be brief."
    assert fake.call_requests[0].json == CALL_SESSION


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [({"key": "sk-wrong"}, 401), ({"sdp": b"hello"}, 400), ({"session": {"model": "x"}}, 400)],
    ids=["wrong-key", "not-sdp", "not-realtime-session"],
)
async def test_create_call_refuses_bad_requests(
    fake: FakeRealtime, http: httpx.AsyncClient, kwargs: dict[str, Any], status: int
) -> None:
    response = await create_call(http, **kwargs)

    assert response.status_code == status and fake.calls == {}


async def test_create_call_needs_multipart(fake: FakeRealtime, http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/realtime/calls", content=OFFER, headers={**auth(), "Content-Type": "application/sdp"}
    )

    assert response.status_code == 400 and fake.calls == {}


async def test_sideband_for_unknown_call_is_http_404(server: LoopbackServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await open_sideband(server, "rtc_nope")

    assert refused.value.response.status_code == 404
    assert b"call_id_not_found" in refused.value.response.body


async def test_sideband_with_ephemeral_key_is_404(server: LoopbackServer, http: httpx.AsyncClient) -> None:
    call_id = (await create_call(http)).headers["location"].rpartition("/")[2]
    minted = (await http.post("/realtime/client_secrets", json={"session": SESSION}, headers=auth())).json()

    with pytest.raises(InvalidStatus) as refused:
        await open_sideband(server, call_id, key=minted["value"])

    assert refused.value.response.status_code == 404


async def test_sideband_sees_caller_lines_and_responses_without_audio(
    fake: FakeRealtime, server: LoopbackServer, http: httpx.AsyncClient
) -> None:
    call_id = (await create_call(http)).headers["location"].rpartition("/")[2]
    async with open_sideband(server, call_id) as ws:
        created = await recv(ws)
        conn = await fake.wait_for_sideband(call_id)
        await conn.caller_says("I need an appointment", AudioReply("Sure, when?", 300))
        events = await recv_until(ws, "output_audio_buffer.stopped")

    assert created["type"] == "session.created" and created["session"]["instructions"] == "Be brief."
    transcripts = [e["transcript"] for e in events if e["type"].endswith("transcription.completed")]
    assert transcripts == ["I need an appointment"]
    assert [e["transcript"] for e in events if e["type"] == "response.output_audio_transcript.done"] == [
        "Sure, when?"
    ]
    assert "response.output_audio.delta" not in [e["type"] for e in events]
    assert types(events).index("output_audio_buffer.started") < types(events).index("response.done")


async def test_sideband_function_call_and_browser_override(
    fake: FakeRealtime, server: LoopbackServer, http: httpx.AsyncClient
) -> None:
    call_id = (await create_call(http)).headers["location"].rpartition("/")[2]
    async with open_sideband(server, call_id) as ws:
        await recv(ws)
        conn = await fake.wait_for_sideband(call_id)
        await conn.caller_says("Hurry", FunctionCall("end_call", {"reason": "done"}, call_id="call_9"))
        done = await recv_until(ws, "response.function_call_arguments.done")
        await fake.browser_session_update(call_id, {"type": "realtime", "instructions": "Other."})
        updated = (await recv_until(ws, "session.updated"))[-1]

    assert (done[-1]["call_id"], done[-1]["name"]) == ("call_9", "end_call")
    assert updated["session"]["instructions"] == "Other." == fake.calls[call_id].session["instructions"]


async def test_hangup_ends_the_call_and_its_sidebands(
    fake: FakeRealtime, server: LoopbackServer, http: httpx.AsyncClient
) -> None:
    call_id = (await create_call(http)).headers["location"].rpartition("/")[2]
    async with open_sideband(server, call_id) as ws:
        await recv(ws)
        first = await http.post(f"/realtime/calls/{call_id}/hangup", headers=auth())
        with pytest.raises(ConnectionClosed):
            while True:
                await recv(ws)
    again = await http.post(f"/realtime/calls/{call_id}/hangup", headers=auth())
    with pytest.raises(InvalidStatus) as refused:
        await open_sideband(server, call_id)

    assert (first.status_code, again.status_code) == (200, 404)
    assert refused.value.response.status_code == 404
    assert fake.hangups == [call_id, call_id] and fake.calls[call_id].hung_up


async def test_main_serves_standalone() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator.realtime",
        "--port",
        "0",
        cwd=Path(__file__).parents[2],
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        assert line.startswith("OPENAI_BASE_URL=http://127.0.0.1:")
        base_url = line.removeprefix("OPENAI_BASE_URL=")
        async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
            response = await client.post(
                "/realtime/client_secrets", json={"session": SESSION}, headers=auth()
            )
        assert response.status_code == 200
    finally:
        process.terminate()
        await process.wait()
