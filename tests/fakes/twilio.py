"""Twilio's side of a phone call for tests and benchmarks: `FakeTwilioRest` stands in for api.twilio.com
and records call updates; `FakeTwilioCaller` signs webhooks and plays a Media Stream like real Twilio.

Pointing the twilio 9.13 SDK at `FakeTwilioRest`: every api.twilio.com URL is built by
`twilio.base.domain.Domain.absolute_url` from `client.api.base_url` (hard-coded to "https://api.twilio.com"
in `ApiBase.__init__`; `client.api` is created once and cached), so after
`client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient())` do

    client.api.base_url = settings.twilio.api_base_url    # e.g. "http://127.0.0.1:PORT", no trailing path
    client.edge = client.region = None                    # else TWILIO_EDGE/TWILIO_REGION rewrite the host

`make_twilio_client` does exactly that. `AsyncTwilioHttpClient()` opens an aiohttp session in its
constructor: build it inside the running loop and `await client.http_client.close()` when done. With
aiohttp 3.14 the stock client warns twice per request (DeprecationWarning: `BasicAuth`, and the `auth=`
parameter); a subclass whose `request` sends `Authorization: aiohttp.encode_basic_auth(*auth)` itself and
passes `auth=None` on avoids both.

Playback emulation (`MediaStream`): outbound audio from the app is queued on a virtual playhead
(`max(now, playhead) + len/8 ms`); a mark is echoed when the playhead passes it, a `clear` drops the queued
audio and echoes every pending mark at once. `played_audio` is exact to the moment it is read (it settles
the playhead on access) and freezes when the socket closes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import secrets
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
FRAME_MS = 20
FRAME_BYTES = 160  # 20 ms of 8 kHz mu-law, the size real Twilio sends
BYTES_PER_SECOND = 8000
SILENCE_BYTE = b"\xff"  # mu-law encodes zero amplitude as 0xFF
_SILENCE_B64 = base64.b64encode(SILENCE_BYTE * FRAME_BYTES).decode("ascii")
# Built with string formatting, not a JSON encoder: this runs 50 times a second per stream in benchmarks.
_MEDIA_TEMPLATE = (
    '{"event":"media","sequenceNumber":"%d","media":{"track":"inbound","chunk":"%d",'
    '"timestamp":"%d","payload":"%s"},"streamSid":"%s"}'
)
# Twilio reports 31951 for outbound messages with fields it does not know.
_OUTBOUND_FIELDS = {"media": {"payload"}, "mark": {"name"}}

SignatureArg = str | None | Literal["omit"]


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _rfc2822(dt: datetime | None) -> str | None:
    return format_datetime(dt) if dt is not None else None


def _ws_scheme(http_scheme: str) -> str:
    return "wss" if http_scheme in ("https", "wss") else "ws"


# --- TwiML -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamTwiml:
    url: str
    parameters: dict[str, str]
    name: str | None = None


def parse_stream_twiml(twiml: str) -> StreamTwiml:
    """The `<Connect><Stream>` of a TwiML document; raises ValueError when there is none."""
    root = ET.fromstring(twiml)
    for connect_el in root.iter("Connect"):
        stream_el = connect_el.find("Stream")
        if stream_el is not None and stream_el.get("url"):
            params = {p.get("name", ""): p.get("value", "") for p in stream_el.iter("Parameter")}
            return StreamTwiml(url=stream_el.get("url", ""), parameters=params, name=stream_el.get("name"))
    raise ValueError("TwiML has no <Connect><Stream url=...>")


# --- REST --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallUpdate:
    call_sid: str
    account_sid: str
    params: dict[str, str]
    received_at: float  # time.perf_counter()

    @property
    def status(self) -> str | None:
        return self.params.get("Status")

    @property
    def twiml(self) -> str | None:
        return self.params.get("Twiml")

    def twiml_dial_number(self) -> str | None:
        """The `<Number>` inside `<Dial>` (or the Dial's own text), None without a Dial."""
        if not self.twiml:
            return None
        dial = ET.fromstring(self.twiml).find(".//Dial")
        if dial is None:
            return None
        number = dial.find("Number")
        text = number.text if number is not None else dial.text
        return text.strip() if text else None

    def twiml_says(self) -> list[str]:
        if not self.twiml:
            return []
        return [(say.text or "").strip() for say in ET.fromstring(self.twiml).iter("Say")]


@dataclass(frozen=True)
class RestRequest:
    """Every request the fake received, including rejected and scripted-to-fail ones."""

    method: str
    account_sid: str
    call_sid: str
    params: dict[str, str]
    received_at: float


def _twilio_error(status: int, code: int, message: str) -> JSONResponse:
    # Twilio's legacy error body; the SDK turns it into TwilioRestException(status, code=code).
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


class FakeTwilioRest:
    """api.twilio.com Calls resource: records updates, checks Basic auth, fails or stalls on request.

    Unknown CallSids are created on first use (status in-progress) unless `strict_calls`, in which case
    they get 404/20404 like real Twilio; register calls with `add_call`.
    """

    def __init__(
        self, *, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str, strict_calls: bool = False
    ) -> None:
        self._credentials: dict[str, tuple[str, str]] = {}
        self.add_credentials(account_sid, auth_token)
        self.strict_calls = strict_calls
        self.delay_ms = 0
        self.calls: dict[str, dict[str, Any]] = {}
        self.updates: list[CallUpdate] = []
        self.requests: list[RestRequest] = []
        self._failures: deque[tuple[int, int, str | None]] = deque()
        self._updated = asyncio.Event()
        path = "/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}.json"
        self.app = Starlette(routes=[Route(path, self._call_endpoint, methods=["GET", "POST"])])

    def add_credentials(self, username: str, password: str, *, account_sid: str | None = None) -> None:
        """Accept `username:password` for `account_sid` (an API key SID may act for an account)."""
        self._credentials[username] = (password, account_sid or username)

    def add_call(
        self,
        call_sid: str,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        from_number: str = "+15551230001",
        to_number: str = "+15557650002",
        status: str = "in-progress",
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        call = {
            "sid": call_sid,
            "account_sid": account_sid,
            "from": from_number,
            "to": to_number,
            "status": status,
            "date_created": now,
            "start_time": now,
            "end_time": None,
        }
        self.calls[call_sid] = call
        return call

    def fail_next(
        self, status: int = 404, code: int = 20404, message: str | None = None, *, times: int = 1
    ) -> None:
        """The next `times` authorised requests fail with this HTTP status and Twilio error code."""
        self._failures.extend([(status, code, message)] * times)

    async def wait_for_update(self, n: int = 1, timeout: float = 5.0) -> CallUpdate:
        """The n-th (1-based) recorded update, waiting for it to arrive."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.updates) < n:
                    self._updated.clear()
                    await self._updated.wait()
        except TimeoutError:
            raise TimeoutError(f"{len(self.updates)} call update(s) after {timeout}s, wanted {n}") from None
        return self.updates[n - 1]

    def _authorised(self, request: Request, account_sid: str) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = self._credentials.get(username)
        return (
            expected is not None
            and hmac.compare_digest(expected[0].encode(), password.encode())
            and expected[1] == account_sid
        )

    async def _call_endpoint(self, request: Request) -> Response:
        account_sid = request.path_params["account_sid"]
        call_sid = request.path_params["call_sid"]
        # Parsed by hand: starlette's request.form() needs python-multipart, which we do not install.
        params = dict(parse_qsl((await request.body()).decode())) if request.method == "POST" else {}
        self.requests.append(RestRequest(request.method, account_sid, call_sid, params, time.perf_counter()))
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        if not self._authorised(request, account_sid):
            return _twilio_error(401, 20003, "Authentication Error - invalid username")
        if self._failures:
            status, code, message = self._failures.popleft()
            return _twilio_error(status, code, message or f"The requested resource {request.url.path} failed")
        call = self.calls.get(call_sid)
        if call is None or call["account_sid"] != account_sid:
            if self.strict_calls or call is not None:
                msg = f"The requested resource {request.url.path} was not found"
                return _twilio_error(404, 20404, msg)
            call = self.add_call(call_sid, account_sid=account_sid)
        if request.method == "POST":
            if params.get("Status") in ("completed", "canceled"):
                call["status"] = params["Status"]
                call["end_time"] = datetime.now(UTC)
            self.updates.append(CallUpdate(call_sid, account_sid, params, time.perf_counter()))
            self._updated.set()
        return JSONResponse(self._resource(call))

    @staticmethod
    def _resource(call: dict[str, Any]) -> dict[str, Any]:
        uri = f"/2010-04-01/Accounts/{call['account_sid']}/Calls/{call['sid']}"
        duration = None
        if call["end_time"] is not None:
            duration = str(int((call["end_time"] - call["start_time"]).total_seconds()))
        return {
            "sid": call["sid"],
            "account_sid": call["account_sid"],
            "parent_call_sid": None,
            "to": call["to"],
            "to_formatted": call["to"],
            "from": call["from"],
            "from_formatted": call["from"],
            "phone_number_sid": None,
            "status": call["status"],
            "direction": "inbound",
            "api_version": "2010-04-01",
            "answered_by": None,
            "caller_name": None,
            "forwarded_from": None,
            "group_sid": None,
            "trunk_sid": None,
            "queue_time": "0",
            "price": None,
            "price_unit": "USD",
            "duration": duration,
            "date_created": _rfc2822(call["date_created"]),
            "date_updated": _rfc2822(datetime.now(UTC)),
            "start_time": _rfc2822(call["start_time"]),
            "end_time": _rfc2822(call["end_time"]),
            "uri": uri + ".json",
            "subresource_uris": {
                "notifications": uri + "/Notifications.json",
                "recordings": uri + "/Recordings.json",
                "streams": uri + "/Streams.json",
            },
        }


def make_twilio_client(
    base_url: str, account_sid: str, auth_token: str, *, http_client: AsyncTwilioHttpClient | None = None
) -> Client:
    """A real twilio SDK async client aimed at `base_url`. Call inside the running loop; close with
    `await client.http_client.close()`."""
    client = Client(account_sid, auth_token, http_client=http_client or AsyncTwilioHttpClient())
    client.api.base_url = base_url.rstrip("/")
    client.edge = None
    client.region = None
    return client


# --- Caller ------------------------------------------------------------------------------------------


class FakeTwilioCaller:
    """Twilio towards our app for one call: signed voice/status webhooks, then the media-stream socket.

    `app_base_url` is where the app really listens (http://127.0.0.1:PORT); `public_base_url` is the
    PUBLIC_BASE_URL the app validates signatures against.
    """

    def __init__(
        self,
        *,
        app_base_url: str,
        public_base_url: str,
        auth_token: str,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        call_sid: str | None = None,
        from_number: str = "+15551230001",
        to_number: str,
        voice_path: str = "/twilio/voice",
        status_path: str = "/twilio/status",
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.app_base_url = app_base_url.rstrip("/")
        self.public_base_url = public_base_url.rstrip("/")
        self.account_sid = account_sid
        self.call_sid = call_sid or new_sid("CA")
        self.from_number = from_number
        self.to_number = to_number
        self.voice_path = voice_path
        self.status_path = status_path
        self._validator = RequestValidator(auth_token)
        self._http = http
        self._status_sequence = 0

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        return str(self._validator.compute_signature(url, params))

    def _call_params(self) -> dict[str, str]:
        return {
            "CallSid": self.call_sid,
            "AccountSid": self.account_sid,
            "From": self.from_number,
            "To": self.to_number,
            "Caller": self.from_number,
            "Called": self.to_number,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }

    async def _post(self, path: str, params: dict[str, str], signature: SignatureArg) -> httpx.Response:
        headers = {"User-Agent": "TwilioProxy/1.1"}
        if signature is None:
            headers["X-Twilio-Signature"] = self.sign(self.public_base_url + path, params)
        elif signature != "omit":
            headers["X-Twilio-Signature"] = signature
        url = self.app_base_url + path
        if self._http is not None:
            return await self._http.post(url, data=params, headers=headers)
        async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
            return await http.post(url, data=params, headers=headers)

    async def post_voice_webhook(
        self, *, extra: Mapping[str, str | None] | None = None, signature: SignatureArg = None
    ) -> httpx.Response:
        """POST the incoming-call webhook. `extra` adds or overrides params (None drops one);
        `signature` None signs correctly, a string is sent as is, "omit" sends no header."""
        params = self._call_params() | {"CallStatus": "ringing"}
        return await self._post(self.voice_path, _merge(params, extra), signature)

    async def post_status(
        self,
        status: str,
        *,
        duration: int | None = None,
        extra: Mapping[str, str | None] | None = None,
        signature: SignatureArg = None,
    ) -> httpx.Response:
        params = self._call_params() | {
            "CallStatus": status,
            "Timestamp": format_datetime(datetime.now(UTC)),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(self._status_sequence),
        }
        self._status_sequence += 1
        if duration is not None:
            params["CallDuration"] = str(duration)
        return await self._post(self.status_path, _merge(params, extra), signature)

    def _ws_urls(self, url: str) -> tuple[str, str]:
        """(URL Twilio signs, URL we connect to). Query strings are dropped: Twilio strips them."""
        parts, app = urlsplit(url), urlsplit(self.app_base_url)
        connect_url = urlunsplit((_ws_scheme(app.scheme), app.netloc, parts.path, "", ""))
        if not parts.netloc or parts.netloc == app.netloc:
            # Relative, or already the loopback address: rebuild what Twilio would have connected to.
            public = urlsplit(self.public_base_url)
            return urlunsplit((_ws_scheme(public.scheme), public.netloc, parts.path, "", "")), connect_url
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), connect_url

    def stream_url_from_twiml(self, twiml: str) -> str:
        """The app's loopback ws:// address for the TwiML's `<Connect><Stream url>` (same path)."""
        return self._ws_urls(parse_stream_twiml(twiml).url)[1]

    async def connect_stream(
        self,
        twiml_or_url: str,
        *,
        signature: SignatureArg = None,
        custom_parameters: Mapping[str, str] | None = None,
        send_start: bool = True,
        record_timing: bool = False,
        record_media_events: bool = False,
        keep_audio: bool = True,
        stream_sid: str | None = None,
    ) -> MediaStream:
        """Open the media stream as Twilio would (signed upgrade, then `connected` + `start`).

        A rejected upgrade raises websockets' InvalidStatus. `keep_audio=False` keeps byte counts only
        (for benchmarks with many streams)."""
        params: dict[str, str] = {}
        url = twiml_or_url
        if twiml_or_url.lstrip().startswith("<"):
            spec = parse_stream_twiml(twiml_or_url)
            url, params = spec.url, dict(spec.parameters)
        params.update(custom_parameters or {})
        signed_url, connect_url = self._ws_urls(url)
        headers = {}
        if signature is None:
            headers["X-Twilio-Signature"] = self.sign(signed_url, {})
        elif signature != "omit":
            headers["X-Twilio-Signature"] = signature
        ws = await connect(
            connect_url,
            additional_headers=headers,
            user_agent_header="Twilio.TmeWs/1.0",
            compression=None,
            proxy=None,
            ping_interval=None,
        )
        stream = MediaStream(
            ws,
            stream_sid=stream_sid or new_sid("MZ"),
            call_sid=self.call_sid,
            account_sid=self.account_sid,
            custom_parameters=params,
            record_timing=record_timing,
            record_media_events=record_media_events,
            keep_audio=keep_audio,
        )
        if send_start:
            await stream.send_start()
        return stream


def _merge(params: dict[str, str], extra: Mapping[str, str | None] | None) -> dict[str, str]:
    for key, value in (extra or {}).items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params


# --- Media stream ------------------------------------------------------------------------------------


@dataclass
class _Waiter:
    predicate: Callable[[], bool]
    future: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class MediaStream:
    """One Twilio Media Stream towards the app: plays inbound audio, records and "plays" outbound audio.

    Everything the app sends is checked against what Twilio accepts; problems land in
    `protocol_errors` rather than raising, so a test can assert the list is empty.
    """

    def __init__(
        self,
        ws: ClientConnection,
        *,
        stream_sid: str,
        call_sid: str,
        account_sid: str,
        custom_parameters: dict[str, str],
        record_timing: bool = False,
        record_media_events: bool = False,
        keep_audio: bool = True,
    ) -> None:
        self.ws = ws
        self.stream_sid = stream_sid
        self.call_sid = call_sid
        self.account_sid = account_sid
        self.custom_parameters = custom_parameters
        self.record_timing = record_timing
        self.record_media_events = record_media_events
        self.keep_audio = keep_audio
        self.received_audio = bytearray()
        self.received_bytes = 0
        self.received_events: list[dict[str, Any]] = []
        self.marks_echoed: list[str] = []
        self.clears = 0
        self.cleared_bytes = 0
        self.protocol_errors: list[str] = []
        self.first_media_at: float | None = None
        self.stream_started_at: float | None = None
        self.sent_frames: list[tuple[int, float]] = []
        self.received_frames: list[tuple[int, float]] = []
        self.close_code: int | None = None
        self._loop = asyncio.get_running_loop()
        self._seq = 0
        self._chunk = 0
        self._next_ts = 0
        self._t0 = self._loop.time()
        self._play_lock = asyncio.Lock()
        # Playback: _unplayed starts playing at _unplayed_start (loop time); nothing is queued when empty.
        self._unplayed = bytearray()
        self._unplayed_start = 0.0
        self._played = bytearray()
        self._played_bytes = 0
        self._closed_at: float | None = None
        self._pending_marks: deque[tuple[float, str]] = deque()
        self._marks_changed = asyncio.Event()
        self._waiters: list[_Waiter] = []
        self._event_cursor: dict[str, int] = {}
        self._marker = asyncio.create_task(self._run_marks())
        self._reader = asyncio.create_task(self._run_reader())

    # -- sending (Twilio -> app) --

    def _next_seq(self) -> str:
        self._seq += 1
        return str(self._seq)

    async def _send(self, text: str) -> bool:
        try:
            await self.ws.send(text)
        except ConnectionClosed:
            return False
        return True

    async def send_json(self, message: dict[str, Any]) -> bool:
        """Send any message as a text frame (for protocol-abuse tests); False if the socket is closed."""
        return await self._send(orjson.dumps(message).decode())

    async def send_start(self, *, tracks: tuple[str, ...] = ("inbound",)) -> None:
        """`connected` then `start`; the stream clock (media timestamps) starts here."""
        await self.send_json({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        start = {
            "accountSid": self.account_sid,
            "streamSid": self.stream_sid,
            "callSid": self.call_sid,
            "tracks": list(tracks),
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": self.custom_parameters,
        }
        self._t0 = self._loop.time()
        self.stream_started_at = time.perf_counter()
        seq = self._next_seq()
        await self.send_json(
            {"event": "start", "sequenceNumber": seq, "start": start, "streamSid": self.stream_sid}
        )

    async def play(self, audio: bytes, *, realtime: bool = True) -> None:
        """Send mu-law audio as 20 ms frames (the last one padded with silence).

        `timestamp` is the frame's position in the inbound audio; with `realtime` a pause between plays
        advances it to the wall clock, as Twilio's continuous stream would. Returns quietly if the app
        closes the socket meanwhile: check `wait_closed()`."""
        payloads = [
            base64.b64encode(audio[i : i + FRAME_BYTES].ljust(FRAME_BYTES, SILENCE_BYTE)).decode("ascii")
            for i in range(0, len(audio), FRAME_BYTES)
        ]
        await self._send_frames(payloads, realtime)

    async def play_silence(self, ms: int, *, realtime: bool = True) -> None:
        await self._send_frames([_SILENCE_B64] * -(-ms // FRAME_MS), realtime)

    async def _send_frames(self, payloads: list[str], realtime: bool) -> None:
        loop = self._loop
        async with self._play_lock:
            started = loop.time()
            if realtime:
                # A real phone streams continuously: a pause between play() calls was silence we did not
                # send, so timestamps jump to the wall clock instead of continuing where the last play ended.
                elapsed_ms = int((started - self._t0) * 1000)
                self._next_ts = max(self._next_ts, elapsed_ms - elapsed_ms % FRAME_MS)
            for i, payload in enumerate(payloads):
                if realtime and i:
                    # Absolute deadlines from the play start, so sleep overshoot does not accumulate.
                    delay = started + i * FRAME_MS / 1000 - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                self._seq += 1
                self._chunk += 1
                ts = self._next_ts
                text = _MEDIA_TEMPLATE % (self._seq, self._chunk, ts, payload, self.stream_sid)
                if not await self._send(text):
                    return
                self._next_ts = ts + FRAME_MS
                if self.record_timing:
                    self.sent_frames.append((ts, time.perf_counter()))

    async def send_dtmf(self, digit: str) -> None:
        if len(digit) != 1 or digit not in "0123456789*#":
            raise ValueError(f"not a DTMF digit: {digit!r}")
        seq = self._next_seq()
        dtmf = {"track": "inbound_track", "digit": digit}
        await self.send_json(
            {"event": "dtmf", "streamSid": self.stream_sid, "sequenceNumber": seq, "dtmf": dtmf}
        )

    async def stop(self) -> None:
        """The caller hung up: `stop`, then Twilio closes the socket."""
        stop = {"accountSid": self.account_sid, "callSid": self.call_sid}
        seq = self._next_seq()
        await self.send_json(
            {"event": "stop", "sequenceNumber": seq, "streamSid": self.stream_sid, "stop": stop}
        )
        await self.aclose()

    async def aclose(self) -> None:
        """Close the socket (no `stop`) and end the background tasks; idempotent."""
        await self.ws.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reader), timeout=5)
        for task in (self._reader, self._marker):
            task.cancel()
        await asyncio.gather(self._reader, self._marker, return_exceptions=True)

    async def __aenter__(self) -> MediaStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- playback emulation --

    def _settle(self, now: float) -> None:
        """Move what has played by `now` from the queue to the played side."""
        if not self._unplayed:
            return
        n = min(len(self._unplayed), int((now - self._unplayed_start) * BYTES_PER_SECOND))
        if n <= 0:
            return
        if self.keep_audio:
            self._played += self._unplayed[:n]
        self._played_bytes += n
        del self._unplayed[:n]
        self._unplayed_start += n / BYTES_PER_SECOND

    def _now(self) -> float:
        return self._closed_at if self._closed_at is not None else self._loop.time()

    @property
    def played_audio(self) -> bytearray:
        """Outbound audio that has "played" so far; cleared audio never plays."""
        self._settle(self._now())
        return self._played

    @property
    def played_bytes(self) -> int:
        self._settle(self._now())
        return self._played_bytes

    @property
    def queued_ms(self) -> float:
        """Outbound audio queued but not yet played."""
        self._settle(self._now())
        return len(self._unplayed) / BYTES_PER_SECOND * 1000

    async def _echo_mark(self, name: str) -> None:
        seq = self._next_seq()
        mark = {"event": "mark", "sequenceNumber": seq, "streamSid": self.stream_sid, "mark": {"name": name}}
        if await self.send_json(mark):
            self.marks_echoed.append(name)
            self._notify()

    async def _run_marks(self) -> None:
        # One task per stream sleeping until the next mark is due keeps 100 streams cheap.
        while True:
            self._marks_changed.clear()
            if not self._pending_marks:
                await self._marks_changed.wait()
                continue
            delay = self._pending_marks[0][0] - self._loop.time()
            if delay > 0:
                # Woken early when a clear empties the queue.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._marks_changed.wait()
                continue
            now = self._loop.time()
            self._settle(now)
            due = []
            while self._pending_marks and self._pending_marks[0][0] <= now:
                due.append(self._pending_marks.popleft()[1])
            for name in due:
                await self._echo_mark(name)

    # -- receiving (app -> Twilio) --

    async def _run_reader(self) -> None:
        try:
            async for raw in self.ws:
                if isinstance(raw, bytes):
                    self.protocol_errors.append("binary frame (Twilio warning 31950)")
                    continue
                try:
                    message = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    self.protocol_errors.append("frame is not JSON")
                    continue
                await self._on_message(message)
                self.received_events.append(message)
                if self._waiters:
                    self._notify()
        except ConnectionClosed:
            pass
        finally:
            await self._on_closed()

    async def _on_message(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if not isinstance(event, str) or (event != "clear" and event not in _OUTBOUND_FIELDS):
            self.protocol_errors.append(f"unknown event {event!r}")
            return
        allowed = _OUTBOUND_FIELDS.get(event)
        if message.get("streamSid") != self.stream_sid:
            self.protocol_errors.append(f"{event}: wrong or missing streamSid")
        extra = set(message) - {"event", "streamSid", *([event] if allowed else [])}
        body = message.get(event) if allowed else None
        if allowed and isinstance(body, dict):
            extra |= {f"{event}.{k}" for k in set(body) - allowed}
        if extra:
            self.protocol_errors.append(f"{event}: unexpected fields {sorted(extra)}")
        now = self._loop.time()
        if event == "media":
            self._on_media(body, now)
        elif event == "mark":
            name = body.get("name") if isinstance(body, dict) else None
            if not isinstance(name, str) or not name:
                self.protocol_errors.append("mark: mark.name is required")
            else:
                await self._on_mark(name, now)
        else:
            await self._on_clear(now)

    def _on_media(self, body: Any, now: float) -> None:
        payload = body.get("payload") if isinstance(body, dict) else None
        try:
            audio = binascii.a2b_base64(payload) if isinstance(payload, str) else None
        except binascii.Error:
            audio = None
        if audio is None:
            self.protocol_errors.append("media: payload missing or not base64")
            return
        if not self.record_media_events:
            del body["payload"]
        if self.first_media_at is None:
            self.first_media_at = time.perf_counter()
        if self.record_timing:
            self.received_frames.append((len(audio), time.perf_counter()))
        self.received_bytes += len(audio)
        if self.keep_audio:
            self.received_audio += audio
        self._settle(now)
        if not self._unplayed:
            self._unplayed_start = now  # the playhead had run dry: this audio starts playing now
        self._unplayed += audio

    async def _on_mark(self, name: str, now: float) -> None:
        self._settle(now)
        if not self._unplayed and not self._pending_marks:
            await self._echo_mark(name)
            return
        due = self._unplayed_start + len(self._unplayed) / BYTES_PER_SECOND if self._unplayed else now
        self._pending_marks.append((due, name))
        self._marks_changed.set()

    async def _on_clear(self, now: float) -> None:
        self.clears += 1
        self._settle(now)
        self.cleared_bytes += len(self._unplayed)
        self._unplayed.clear()
        names = [name for _, name in self._pending_marks]
        self._pending_marks.clear()
        self._marks_changed.set()
        for name in names:
            await self._echo_mark(name)

    async def _on_closed(self) -> None:
        now = self._loop.time()
        self._settle(now)
        self._closed_at = now
        self._unplayed.clear()  # the call is gone; queued audio and pending marks never play
        self._pending_marks.clear()
        self._marker.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ws.wait_closed(), timeout=2)
        self.close_code = self.ws.close_code
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            if waiter.predicate():
                waiter.future.set_result(None)
            else:
                waiter.future.set_exception(ConnectionError(f"media stream closed (code {self.close_code})"))

    # -- waiting --

    def _notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.future.done() and waiter.predicate():
                waiter.future.set_result(None)

    @property
    def closed(self) -> bool:
        return self._reader.done()

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
    ) -> None:
        """Wait until `predicate()` holds (checked after every message and mark echo).
        Raises TimeoutError, or ConnectionError if the socket closes first."""
        if predicate():
            return
        if self.closed:
            raise ConnectionError(f"media stream closed (code {self.close_code}) before {what}")
        waiter = _Waiter(predicate)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter.future
        except TimeoutError:
            raise TimeoutError(f"no {what} within {timeout}s") from None
        finally:
            self._waiters.remove(waiter)

    async def wait_for_audio(self, nbytes: int, timeout: float = 5.0) -> None:
        await self.wait_until(lambda: self.received_bytes >= nbytes, timeout, f"{nbytes} bytes of audio")

    async def wait_for_event(self, event: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next not-yet-returned message of this event type (each call advances past the last)."""
        start = self._event_cursor.get(event, 0)
        found: list[int] = []

        def seen() -> bool:
            nonlocal start
            events = self.received_events
            for i in range(start, len(events)):
                if events[i].get("event") == event:
                    found.append(i)
                    return True
            start = len(events)
            return False

        await self.wait_until(seen, timeout, f"{event!r} event")
        self._event_cursor[event] = found[0] + 1
        return self.received_events[found[0]]

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        """Wait until the socket closes (the app hung up, or after `stop`); returns the close code."""
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except TimeoutError:
            raise TimeoutError(f"media stream still open after {timeout}s") from None
        return self.close_code
