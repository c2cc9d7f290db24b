"""Tests of the Twilio fakes themselves, against a tiny app that validates signatures like ours must.

The app echoes inbound audio when asked and lets a test push raw messages (media, mark, clear) down the
server side of the socket, so playback emulation can be checked message by message.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse
from websockets.exceptions import InvalidStatus

from tests.fakes.server import LoopbackServer, serve
from tests.fakes.twilio import (
    DEFAULT_ACCOUNT_SID,
    FRAME_BYTES,
    FakeTwilioCaller,
    FakeTwilioRest,
    MediaStream,
    make_twilio_client,
    parse_stream_twiml,
)

TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://public.example"
STREAM_PUBLIC_URL = "wss://public.example/twilio/stream/abc"
TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
    f'<Stream url="{STREAM_PUBLIC_URL}"><Parameter name="x" value="y"/></Stream>'
    "</Connect></Response>"
)


class SignedApp:
    """Stands in for our app: validates webhook and upgrade signatures, records what Twilio sent."""

    def __init__(self) -> None:
        self.validator = RequestValidator(TOKEN)
        self.webhooks: list[tuple[str, dict[str, str], str | None, bool]] = []
        self.upgrade_signature_valid: bool | None = None
        self.inbound: list[tuple[float, dict[str, Any]]] = []
        self.echo = False
        self.ws: WebSocket | None = None
        self.stream_sid = ""
        self.server: LoopbackServer | None = None
        self.app = Starlette(
            routes=[
                Route("/twilio/voice", self.webhook, methods=["POST"]),
                Route("/twilio/status", self.webhook, methods=["POST"]),
                WebSocketRoute("/twilio/stream/{token}", self.stream),
            ]
        )

    async def webhook(self, request: Request) -> Response:
        params = dict(parse_qsl((await request.body()).decode()))
        signature = request.headers.get("x-twilio-signature")
        url = PUBLIC + request.url.path
        valid = signature is not None and self.validator.validate(url, params, signature)
        self.webhooks.append((request.url.path, params, signature, valid))
        if not valid:
            return Response(status_code=403)
        return Response(TWIML, media_type="application/xml")

    async def stream(self, ws: WebSocket) -> None:
        signature = ws.headers.get("x-twilio-signature")
        url = "wss://public.example" + ws.url.path
        self.upgrade_signature_valid = signature is not None and self.validator.validate(url, {}, signature)
        if not self.upgrade_signature_valid:
            await ws.close(1008)
            return
        await ws.accept()
        self.ws = ws
        try:
            while True:
                message = json.loads(await ws.receive_text())
                self.inbound.append((time.perf_counter(), message))
                if message["event"] == "start":
                    self.stream_sid = message["streamSid"]
                elif message["event"] == "media" and self.echo:
                    await self.send({"event": "media", "media": {"payload": message["media"]["payload"]}})
                    await self.send({"event": "mark", "mark": {"name": f"echo-{message['media']['chunk']}"}})
                elif message["event"] == "stop":
                    return
        except WebSocketDisconnect:
            pass

    async def send(self, message: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send_text(json.dumps({"streamSid": self.stream_sid} | message))

    async def send_audio(self, nbytes: int) -> None:
        await self.send({"event": "media", "media": {"payload": base64.b64encode(b"\x55" * nbytes).decode()}})

    def events(self, event: str) -> list[dict[str, Any]]:
        return [m for _, m in self.inbound if m["event"] == event]


@pytest.fixture
async def app() -> AsyncIterator[SignedApp]:
    signed_app = SignedApp()
    async with serve(signed_app.app) as server:
        signed_app.server = server
        yield signed_app


@pytest.fixture
def caller(app: SignedApp) -> FakeTwilioCaller:
    assert app.server is not None
    return FakeTwilioCaller(
        app_base_url=app.server.http_url, public_base_url=PUBLIC, auth_token=TOKEN, to_number="+15557650002"
    )


@pytest.fixture
async def stream(app: SignedApp, caller: FakeTwilioCaller) -> AsyncIterator[MediaStream]:
    async with await caller.connect_stream(TWIML, record_timing=True) as media_stream:
        await wait_for(lambda: bool(app.stream_sid))
        yield media_stream


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


# --- webhooks ----------------------------------------------------------------------------------------


async def test_voice_webhook_signature_validates_when_signed(
    app: SignedApp, caller: FakeTwilioCaller
) -> None:
    response = await caller.post_voice_webhook()

    assert response.status_code == 200
    path, params, _, valid = app.webhooks[0]
    assert (path, valid) == ("/twilio/voice", True)
    assert params["CallSid"] == caller.call_sid and params["CallSid"].startswith("CA")
    assert params["AccountSid"] == DEFAULT_ACCOUNT_SID
    assert (params["From"], params["To"], params["CallStatus"]) == ("+15551230001", "+15557650002", "ringing")
    assert (params["Direction"], params["ApiVersion"]) == ("inbound", "2010-04-01")


async def test_voice_webhook_extra_params_are_signed_and_none_drops_one(
    app: SignedApp, caller: FakeTwilioCaller
) -> None:
    response = await caller.post_voice_webhook(extra={"CallerName": "Ada", "Caller": None})

    assert response.status_code == 200
    _, params, _, valid = app.webhooks[0]
    assert valid and params["CallerName"] == "Ada" and "Caller" not in params


async def test_voice_webhook_sends_wrong_signature_when_asked(
    app: SignedApp, caller: FakeTwilioCaller
) -> None:
    response = await caller.post_voice_webhook(signature="bm90IGEgc2lnbmF0dXJl")

    assert response.status_code == 403
    assert app.webhooks[0][2:] == ("bm90IGEgc2lnbmF0dXJl", False)


async def test_voice_webhook_omits_signature_when_asked(app: SignedApp, caller: FakeTwilioCaller) -> None:
    response = await caller.post_voice_webhook(signature="omit")

    assert response.status_code == 403
    assert app.webhooks[0][2:] == (None, False)


async def test_status_callback_is_signed_and_carries_duration(
    app: SignedApp, caller: FakeTwilioCaller
) -> None:
    response = await caller.post_status("completed", duration=42)

    assert response.status_code == 200
    path, params, _, valid = app.webhooks[0]
    assert (path, valid) == ("/twilio/status", True)
    assert (params["CallStatus"], params["CallDuration"], params["SequenceNumber"]) == (
        "completed",
        "42",
        "0",
    )


# --- stream set-up -----------------------------------------------------------------------------------


def test_stream_url_from_twiml_maps_public_wss_to_app_address(caller: FakeTwilioCaller) -> None:
    url = caller.stream_url_from_twiml(TWIML)

    assert url == caller.app_base_url.replace("http://", "ws://") + "/twilio/stream/abc"


def test_parse_stream_twiml_reads_url_and_parameters() -> None:
    spec = parse_stream_twiml(TWIML)

    assert (spec.url, spec.parameters) == (STREAM_PUBLIC_URL, {"x": "y"})


async def test_stream_upgrade_is_signed_and_start_carries_parameters(
    app: SignedApp, caller: FakeTwilioCaller
) -> None:
    async with await caller.connect_stream(TWIML, custom_parameters={"tenant": "t1"}) as media_stream:
        await wait_for(lambda: len(app.inbound) >= 2)

    assert app.upgrade_signature_valid is True
    connected, start = (m for _, m in app.inbound[:2])
    assert connected == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert start["event"] == "start" and start["sequenceNumber"] == "1"
    assert start["streamSid"] == start["start"]["streamSid"] == media_stream.stream_sid
    assert media_stream.stream_sid.startswith("MZ") and len(media_stream.stream_sid) == 34
    assert start["start"]["callSid"] == caller.call_sid
    assert start["start"]["accountSid"] == caller.account_sid
    assert start["start"]["tracks"] == ["inbound"]
    assert start["start"]["customParameters"] == {"x": "y", "tenant": "t1"}
    assert start["start"]["mediaFormat"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}


async def test_stream_upgrade_with_wrong_signature_is_rejected(
    app: SignedApp, caller: FakeTwilioCaller
) -> None:
    with pytest.raises(InvalidStatus):
        await caller.connect_stream(TWIML, signature="d3Jvbmc=")

    assert app.upgrade_signature_valid is False


# --- inbound audio -----------------------------------------------------------------------------------


async def test_play_sends_160_byte_frames_with_increasing_string_timestamps(
    app: SignedApp, stream: MediaStream
) -> None:
    await stream.play(b"\x01" * (FRAME_BYTES * 4 + 10), realtime=False)
    await wait_for(lambda: len(app.events("media")) == 5)

    media = app.events("media")
    assert [m["sequenceNumber"] for m in media] == ["2", "3", "4", "5", "6"]
    assert [m["media"]["chunk"] for m in media] == ["1", "2", "3", "4", "5"]
    assert [m["media"]["timestamp"] for m in media] == ["0", "20", "40", "60", "80"]
    payloads = [base64.b64decode(m["media"]["payload"]) for m in media]
    assert {len(p) for p in payloads} == {FRAME_BYTES}
    assert payloads[-1] == b"\x01" * 10 + b"\xff" * (FRAME_BYTES - 10)
    assert all(m["media"]["track"] == "inbound" and m["streamSid"] == stream.stream_sid for m in media)


async def test_play_paces_frames_in_real_time(stream: MediaStream) -> None:
    started = time.perf_counter()
    await stream.play(b"\x01" * FRAME_BYTES * 50)
    elapsed = time.perf_counter() - started

    assert 0.9 <= elapsed < 2.0
    assert len(stream.sent_frames) == 50
    gaps = [b[1] - a[1] for a, b in zip(stream.sent_frames, stream.sent_frames[1:], strict=False)]
    assert 0.015 < sum(gaps) / len(gaps) < 0.03


async def test_play_silence_sends_whole_frames(app: SignedApp, stream: MediaStream) -> None:
    await stream.play_silence(50, realtime=False)
    await wait_for(lambda: len(app.events("media")) == 3)

    assert base64.b64decode(app.events("media")[0]["media"]["payload"]) == b"\xff" * FRAME_BYTES


async def test_dtmf_message_shape(app: SignedApp, stream: MediaStream) -> None:
    await stream.send_dtmf("7")
    await wait_for(lambda: bool(app.events("dtmf")))

    assert app.events("dtmf")[0] == {
        "event": "dtmf",
        "streamSid": stream.stream_sid,
        "sequenceNumber": "2",
        "dtmf": {"track": "inbound_track", "digit": "7"},
    }


async def test_stop_message_shape_then_close(app: SignedApp, stream: MediaStream) -> None:
    await stream.stop()

    assert app.events("stop") == [
        {
            "event": "stop",
            "sequenceNumber": "2",
            "streamSid": stream.stream_sid,
            "stop": {"accountSid": stream.account_sid, "callSid": stream.call_sid},
        }
    ]
    assert stream.closed and stream.close_code == 1000


async def test_wait_closed_returns_app_close_code(app: SignedApp, stream: MediaStream) -> None:
    assert app.ws is not None
    await app.ws.close(4001)

    assert await stream.wait_closed() == 4001


# --- outbound audio and playback emulation -----------------------------------------------------------


async def test_outbound_media_is_recorded_without_payload(app: SignedApp, stream: MediaStream) -> None:
    app.echo = True
    await stream.play(b"\x02" * FRAME_BYTES * 3, realtime=False)
    await stream.wait_for_audio(FRAME_BYTES * 3)

    assert stream.received_audio == b"\x02" * FRAME_BYTES * 3
    assert [n for n, _ in stream.received_frames] == [FRAME_BYTES] * 3
    assert stream.first_media_at is not None and stream.first_media_at > (stream.stream_started_at or 0)
    assert (await stream.wait_for_event("media")) == {
        "event": "media",
        "streamSid": stream.stream_sid,
        "media": {},
    }
    assert stream.protocol_errors == []


async def test_mark_with_no_queued_audio_is_echoed_at_once(app: SignedApp, stream: MediaStream) -> None:
    await app.send({"event": "mark", "mark": {"name": "m0"}})
    await wait_for(lambda: bool(app.events("mark")))

    assert app.events("mark")[0] == {
        "event": "mark",
        "sequenceNumber": "2",
        "streamSid": stream.stream_sid,
        "mark": {"name": "m0"},
    }


async def test_mark_is_echoed_after_queued_audio_has_played(app: SignedApp, stream: MediaStream) -> None:
    await app.send_audio(3200)  # 400 ms
    await app.send({"event": "mark", "mark": {"name": "m1"}})
    await stream.wait_for_audio(3200)
    sent_at = time.perf_counter()
    await stream.wait_until(lambda: "m1" in stream.marks_echoed, what="mark echo")
    waited = time.perf_counter() - sent_at

    assert 0.3 <= waited < 0.8
    assert len(stream.played_audio) == 3200
    await wait_for(lambda: bool(app.events("mark")))
    assert app.events("mark")[0]["mark"] == {"name": "m1"}


async def test_marks_wait_for_all_audio_queued_before_them(app: SignedApp, stream: MediaStream) -> None:
    await app.send_audio(800)
    await app.send({"event": "mark", "mark": {"name": "a"}})
    await app.send_audio(1600)
    await app.send({"event": "mark", "mark": {"name": "b"}})

    await stream.wait_until(lambda: stream.marks_echoed == ["a"], what="first echo")
    assert stream.queued_ms > 100
    await stream.wait_until(lambda: stream.marks_echoed == ["a", "b"], what="second echo")
    assert stream.queued_ms == 0


async def test_clear_echoes_pending_marks_at_once_and_drops_queued_audio(
    app: SignedApp, stream: MediaStream
) -> None:
    await app.send_audio(16000)  # 2 s
    await app.send({"event": "mark", "mark": {"name": "long"}})
    await stream.wait_for_audio(16000)
    await asyncio.sleep(0.3)
    cleared_at = time.perf_counter()
    await app.send({"event": "clear"})
    await stream.wait_until(lambda: stream.marks_echoed == ["long"], what="mark echo")

    assert time.perf_counter() - cleared_at < 0.2
    assert stream.clears == 1
    assert 1600 <= len(stream.played_audio) <= 4800
    assert stream.cleared_bytes == 16000 - len(stream.played_audio)
    assert len(stream.received_audio) == 16000
    await asyncio.sleep(0.05)
    assert len(stream.played_audio) <= 4800  # nothing plays after the clear


async def test_protocol_errors_are_recorded_not_raised(app: SignedApp, stream: MediaStream) -> None:
    assert app.ws is not None
    await app.ws.send_text(json.dumps({"event": "mark", "streamSid": "MZwrong", "mark": {}}))
    await app.send({"event": "media", "media": {"payload": "AAAA", "track": "outbound"}})
    await app.send({"event": "dance"})
    await stream.wait_until(lambda: len(stream.received_events) == 3)

    assert stream.protocol_errors == [
        "mark: wrong or missing streamSid",
        "mark: mark.name is required",
        "media: unexpected fields ['media.track']",
        "unknown event 'dance'",
    ]


# --- REST --------------------------------------------------------------------------------------------

# twilio 9.13 hands aiohttp 3.14 `auth=BasicAuth(...)`, which aiohttp deprecates (two warnings per request).
# These tests drive the stock SDK client on purpose, so only those two messages are silenced, only here.
stock_sdk_warnings = pytest.mark.filterwarnings(
    "ignore:BasicAuth is deprecated:DeprecationWarning",
    "ignore:The 'auth' parameter is deprecated:DeprecationWarning",
)


@pytest.fixture
def rest() -> FakeTwilioRest:
    return FakeTwilioRest(auth_token=TOKEN)


@pytest.fixture
async def rest_server(rest: FakeTwilioRest) -> AsyncIterator[LoopbackServer]:
    async with serve(rest.app) as server:
        yield server


@pytest.fixture
async def twilio_client(rest_server: LoopbackServer) -> AsyncIterator[Client]:
    client = make_twilio_client(rest_server.http_url, DEFAULT_ACCOUNT_SID, TOKEN)
    yield client
    await client.http_client.close()


def transfer_twiml() -> str:
    response = VoiceResponse()
    response.say("Connecting you now")
    response.dial(caller_id="+15557650002").number("+15559990003")
    return str(response)


@stock_sdk_warnings
async def test_rest_records_update_made_by_twilio_sdk(rest: FakeTwilioRest, twilio_client: Client) -> None:
    call = await twilio_client.calls("CA" + "1" * 32).update_async(twiml=transfer_twiml())

    update = await rest.wait_for_update()
    assert (call.sid, call.status, call.account_sid) == ("CA" + "1" * 32, "in-progress", DEFAULT_ACCOUNT_SID)
    assert update.call_sid == "CA" + "1" * 32
    assert update.twiml_dial_number() == "+15559990003"
    assert update.twiml_says() == ["Connecting you now"]


@stock_sdk_warnings
async def test_rest_hangup_completes_the_call(rest: FakeTwilioRest, twilio_client: Client) -> None:
    rest.add_call("CA" + "2" * 32, from_number="+15551230001")

    call = await twilio_client.calls("CA" + "2" * 32).update_async(status="completed")
    fetched = await twilio_client.calls("CA" + "2" * 32).fetch_async()

    assert (call.status, fetched.status, fetched._from) == ("completed", "completed", "+15551230001")
    assert rest.updates[0].status == "completed"


@stock_sdk_warnings
async def test_rest_rejects_wrong_basic_auth(rest: FakeTwilioRest, rest_server: LoopbackServer) -> None:
    client = make_twilio_client(rest_server.http_url, DEFAULT_ACCOUNT_SID, "wrong-token")
    try:
        with pytest.raises(TwilioRestException) as caught:
            await client.calls("CA" + "3" * 32).update_async(status="completed")
    finally:
        await client.http_client.close()

    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert rest.updates == [] and len(rest.requests) == 1


@stock_sdk_warnings
async def test_rest_fail_next_surfaces_as_twilio_rest_exception(
    rest: FakeTwilioRest, twilio_client: Client
) -> None:
    rest.fail_next(404, 20404)

    with pytest.raises(TwilioRestException) as caught:
        await twilio_client.calls("CA" + "4" * 32).update_async(status="completed")
    await twilio_client.calls("CA" + "4" * 32).update_async(status="completed")

    assert (caught.value.status, caught.value.code) == (404, 20404)
    assert len(rest.updates) == 1 and len(rest.requests) == 2


@stock_sdk_warnings
async def test_rest_unknown_call_is_404_when_strict(rest: FakeTwilioRest, twilio_client: Client) -> None:
    rest.strict_calls = True

    with pytest.raises(TwilioRestException) as caught:
        await twilio_client.calls("CA" + "5" * 32).update_async(status="completed")

    assert caught.value.code == 20404


@stock_sdk_warnings
async def test_rest_delay_ms_stalls_the_response(rest: FakeTwilioRest, twilio_client: Client) -> None:
    rest.delay_ms = 300
    started = time.perf_counter()

    await twilio_client.calls("CA" + "6" * 32).update_async(status="completed")

    assert time.perf_counter() - started >= 0.28


async def test_rest_wait_for_update_times_out(rest: FakeTwilioRest) -> None:
    with pytest.raises(TimeoutError):
        await rest.wait_for_update(timeout=0.05)
