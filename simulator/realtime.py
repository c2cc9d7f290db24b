"""A fake OpenAI Realtime API (GA shape): `POST /v1/realtime/client_secrets`, the `/v1/realtime` WebSocket,
and the WebRTC unified interface: `POST /v1/realtime/calls` (multipart, standard key), the sideband
WebSocket `/v1/realtime?call_id=rtc_...` (no audio deltas; scriptable caller lines and browser overrides)
and `POST /v1/realtime/calls/{id}/hangup`.

With `FakeRealtime(webrtc=WebRTCMode())` (`--webrtc` standalone) `/v1/realtime/calls` is answered by the
WebRTC simulator (simulator/webrtc.py, real ICE/DTLS/SRTP with aiortc), so a real browser can call it:
the simulator's scripted caller lines go to the call's sidebands, the fake's own server events on a
sideband are mirrored onto the browser's data channel, the browser closing its peer ends the call, and
a hang-up closes the peer. Off by default.

It records every request and client event, answers with scriptable responses, and runs standalone as the
local simulator: `python -m simulator.realtime --port 8787` (see `main`).
"""

from __future__ import annotations

import argparse
import asyncio
import binascii
import contextlib
import copy
import itertools
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

if TYPE_CHECKING:
    from simulator.webrtc import ScriptedLine, SimulatedCall, WebRTCSimulator

Event = dict[str, Any]
T = TypeVar("T")

DEFAULT_MODEL = "gpt-realtime"
_SECRET_FIELDS = frozenset({"session", "expires_after"})
_SESSION_FIELDS = frozenset(
    {
        "type", "model", "instructions", "output_modalities", "audio", "tools", "tool_choice",
        "parallel_tool_calls", "reasoning", "max_output_tokens", "truncation", "tracing", "prompt",
        "include", "id", "object", "expires_at",
    }
)  # fmt: skip
_AUDIO_FIELDS = {
    "input": frozenset({"format", "noise_reduction", "transcription", "turn_detection"}),
    "output": frozenset({"format", "voice", "speed"}),
}
# G.711 is 8 kHz x 1 byte; GA PCM is 24 kHz x 16 bit. The truncate check depends on these.
_BYTES_PER_MS = {"audio/pcmu": 8, "audio/pcma": 8, "audio/pcm": 48}
_CLIENT_EVENTS = frozenset(
    {
        "session.update", "response.create", "response.cancel", "output_audio_buffer.clear",
        "input_audio_buffer.append", "input_audio_buffer.commit", "input_audio_buffer.clear",
        "conversation.item.create", "conversation.item.truncate", "conversation.item.delete",
        "conversation.item.retrieve",
    }
)  # fmt: skip
# Appends are ~50 events/s per call; the two usual serialisations (orjson, json.dumps) skip the JSON parse.
_APPEND_PREFIXES = (
    '{"type":"input_audio_buffer.append","audio":"',
    '{"type": "input_audio_buffer.append", "audio": "',
)
_ids = itertools.count(1)


def _new_id(prefix: str) -> str:
    return f"{prefix}_fake{next(_ids):012d}"


@dataclass(frozen=True)
class AudioReply:
    text: str
    audio_ms: int


@dataclass(frozen=True)
class FunctionCall:
    """A `function_call` response. `then_audio`, if given, is queued first in the script, so the
    `response.create` the client sends after its `function_call_output` is answered with it."""

    name: str
    arguments: dict[str, Any] | str
    call_id: str | None = None
    then_audio: AudioReply | None = None


@dataclass(frozen=True)
class ErrorEvent:
    code: str
    message: str
    type: str = "invalid_request_error"


@dataclass(frozen=True)
class CloseSocket:
    code: int = 1011


ScriptedResponse = AudioReply | FunctionCall | ErrorEvent | CloseSocket


@dataclass
class Behaviour:
    """How one connection answers. The FakeRealtime's instance is a template, cloned per connection."""

    # Steps are consumed, in order, by response.create and by caller-driven turns alike.
    script: list[ScriptedResponse] = field(default_factory=list)
    # The first unscripted response.create speaks `greeting`; later ones (or all, if False) speak the reply.
    greet_on_response_create: bool = True
    greeting: AudioReply = AudioReply("Hello, thanks for calling. How can I help you today?", 1000)
    reply_text: str = "Okay, I can help with that."
    reply_audio_ms: int = 600
    chunk_ms: int = 100
    realtime_factor: float | None = None  # None: chunks back to back; 4.0: paced at 4x real time
    respond_every_ms: int | None = None  # caller-audio driven turns, see FakeConnection._caller_turn
    caller_transcripts: list[str] = field(default_factory=list)
    record_timing: bool = False
    # Steps put first in the script by the first system message the client adds (what a server sends
    # once it has escalated), e.g. the agent's end_call after the escalation.
    after_system_message: list[ScriptedResponse] = field(default_factory=list)

    def clone(self) -> Behaviour:
        return replace(
            self,
            script=list(self.script),
            caller_transcripts=list(self.caller_transcripts),
            after_system_message=list(self.after_system_message),
        )


# A simulated caller's emergency: callintake's detection escalates on it (the browser test's line).
EMERGENCY_LINE = "my dog just ate a whole bar of dark chocolate and is shaking"
GOODBYE = AudioReply("Help is on the way: a colleague will call you back right now. Goodbye.", 3500)


@dataclass(frozen=True)
class WebRTCMode:
    """Real WebRTC for `/v1/realtime/calls` (see the module docstring).

    `caller_lines` are the simulator's scripted caller lines (`None`: the emergency line 2 s after the
    data channel opened, once the browser's microphone carried sound). With `end_call_after_escalation`
    the agent answers callintake's escalation with `end_call` and then says `goodbye`.
    """

    caller_lines: Sequence[ScriptedLine] | None = None
    end_call_after_escalation: bool = True
    goodbye: AudioReply = GOODBYE
    greeting_seconds: float = 0.6

    def script(self) -> list[ScriptedLine]:
        from simulator.webrtc import ScriptedLine

        if self.caller_lines is None:
            return [ScriptedLine(EMERGENCY_LINE, at=2.0, on_speech=True)]
        return list(self.caller_lines)

    def end_call(self) -> FunctionCall:
        return FunctionCall("end_call", {"reason": "escalated to a person"}, then_audio=self.goodbye)


@dataclass(frozen=True)
class RecordedRequest:
    headers: dict[str, str]  # lower-case names
    json: Any  # None if the body was not JSON
    received_at: float  # time.time()


@dataclass(frozen=True)
class _Fail:
    status: int
    body: Event


@dataclass(frozen=True)
class _Stall:
    seconds: float


def _error_body(
    message: str, code: str | None, param: str | None = None, type_: str = "invalid_request_error"
) -> Event:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _error_for_status(status: int) -> Event:
    if status == 429:
        return _error_body("Rate limit reached (fake).", "rate_limit_exceeded", type_="requests")
    if status >= 500:
        return _error_body(
            "The server had an error while processing your request (fake).", None, type_="server_error"
        )
    return _error_body(f"Scripted failure {status} (fake).", None)


def _json_response(status: int, body: Any) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _session_problem(session: Any) -> tuple[str, str, str] | None:
    """(code, param, message) for a session the GA API would refuse; catches beta-shaped sessions."""
    if not isinstance(session, dict):
        return "invalid_type", "session", "Invalid type for 'session': expected an object."
    if session.get("type") != "realtime":
        value = session.get("type")
        return "invalid_value", "session.type", f"Invalid value: {value!r}. Supported values are: 'realtime'."
    for key in session:
        if key not in _SESSION_FIELDS:
            return "unknown_parameter", f"session.{key}", f"Unknown parameter: 'session.{key}'."
    # Objects must stay objects: the fake reads audio.{input,output}.format.type after every merge.
    audio = session.get("audio", {})
    if not isinstance(audio, dict):
        return "invalid_type", "session.audio", "Invalid type for 'session.audio': expected an object."
    for direction, allowed in _AUDIO_FIELDS.items():
        part = audio.get(direction, {})
        if not isinstance(part, dict):
            param = f"session.audio.{direction}"
            return "invalid_type", param, f"Invalid type for '{param}': expected an object."
        for key in part:
            if key not in allowed:
                param = f"session.audio.{direction}.{key}"
                return "unknown_parameter", param, f"Unknown parameter: '{param}'."
        fmt = part.get("format", {"type": "audio/pcmu"})
        if not isinstance(fmt, dict) or fmt.get("type") not in _BYTES_PER_MS:
            param = f"session.audio.{direction}.format.type"
            return "invalid_value", param, f"Invalid value for '{param}'."
    return None


def _merge(into: Event, patch: Event) -> None:
    # Only the fields sent change; copies keep recorded events from being mutated by later updates.
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _default_session(model: str) -> Event:
    # Real sessions default to audio/pcm 24 kHz; the fake defaults to pcmu: every caller here is a phone.
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": _new_id("sess"),
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "prompt": None,
        "expires_at": int(time.time()) + 3600,
        "audio": {
            "input": {
                "format": {"type": "audio/pcmu"},
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                    "create_response": True,
                    "interrupt_response": True,
                    "idle_timeout_ms": None,
                },
            },
            "output": {"format": {"type": "audio/pcmu"}, "voice": "marin", "speed": 1.0},
        },
    }


def _audio_pattern(seed: int, size: int) -> bytes:
    """Deterministic audio: a byte counter starting at `seed`, so relays can be checked byte for byte."""
    start = seed % 256
    return (bytes(range(256)) * (size // 256 + 2))[start : start + size]


async def _poll(predicate: Callable[[], T | None], timeout: float, what: str) -> T:
    # Polling keeps the fake free of loop-bound primitives, so it can be built outside the test's loop.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (result := predicate()) is None:
        if loop.time() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.005)
    return result


class _Closed(Exception):
    """The socket went away while the fake was sending; the sender just stops."""


@dataclass(eq=False)
class _Response:
    id: str
    metadata: Any
    output: list[Event] = field(default_factory=list)
    cancel_reason: str | None = None
    task: asyncio.Task[None] | None = None

    def body(self, status: str) -> Event:
        details = {"type": "cancelled", "reason": self.cancel_reason} if status == "cancelled" else None
        usage = (
            None if status == "in_progress" else {"total_tokens": 0, "input_tokens": 0, "output_tokens": 0}
        )
        return {
            "object": "realtime.response",
            "id": self.id,
            "status": status,
            "status_details": details,
            "output": [dict(item) for item in self.output],
            "output_modalities": ["audio"],
            "metadata": self.metadata,
            "usage": usage,
        }


class FakeConnection:
    """One accepted WebSocket: what the client sent, what the fake sent, and hooks to push more."""

    def __init__(self, ws: WebSocket, behaviour: Behaviour, call: FakeCall | None = None) -> None:
        self._ws = ws
        self.behaviour = behaviour
        self.headers: dict[str, str] = dict(ws.headers)
        self.query: dict[str, str] = dict(ws.query_params)
        self.call = call  # set for a sideband: audio goes over WebRTC, the session is the call's
        self.model: str | None = ws.query_params.get("model") or (call.session.get("model") if call else None)
        self.session: Event = call.session if call else _default_session(self.model or DEFAULT_MODEL)
        self.events: list[Event] = []  # every client event in order, except input_audio_buffer.append
        self.sent_events: list[Event] = []  # every server event in order, except response.output_audio.delta
        self.input_audio = bytearray()
        self.append_count = 0
        self.append_times: list[float] = []  # perf_counter per append, only with behaviour.record_timing
        self.sent_audio: dict[str, bytearray] = {}  # assistant item_id -> exact audio bytes sent
        self.closed = False
        self.close_code: int | None = None
        self._sent_audio_bpm: dict[str, int] = {}
        self._in_bpm = self._out_bpm = 8
        self._turn_bytes = 0
        self._greeted = False
        self._last_item_id: str | None = None
        self._active: _Response | None = None
        self._responses = 0
        #: WebRTC mode: what the fake sends here also goes onto the browser's data channel, and `speak`
        #: plays a reply's audio (seconds) to the browser; a reply then lasts as long as its audio.
        self.mirror: Callable[[Event], None] | None = None
        self.speak: Callable[[float], None] | None = None

    # -- test-facing API ---------------------------------------------------------------------------

    async def send_event(self, event: Event) -> None:
        """Push any server event now (an `event_id` is added if missing)."""
        await self._send_event(dict(event))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        self.closed, self.close_code = True, code
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # already gone
            await self._ws.close(code, reason)

    def queue(self, *steps: ScriptedResponse) -> None:
        self.behaviour.script.extend(steps)

    async def caller_says(self, transcript: str, *steps: ScriptedResponse) -> None:
        """A caller turn as server VAD reports it, with this transcript; answered by `steps` or the script."""
        self.queue(*steps)
        await self._caller_turn(transcript)

    def received(self, type_: str) -> list[Event]:
        return [event for event in self.events if event.get("type") == type_]

    async def wait_for(self, predicate: Callable[[], bool], *, timeout: float = 5.0) -> None:
        await _poll(lambda: True if predicate() else None, timeout, "condition")

    async def wait_for_event(self, type_: str, *, nth: int = 1, timeout: float = 5.0) -> Event:
        """The nth (1-based) client event of this type, waiting for it if needed."""

        def find() -> Event | None:
            matches = self.received(type_)
            return matches[nth - 1] if len(matches) >= nth else None

        return await _poll(find, timeout, f"client event {type_!r} #{nth}")

    async def wait_closed(self, *, timeout: float = 5.0) -> int | None:
        await _poll(lambda: True if self.closed else None, timeout, "the socket to close")
        return self.close_code

    # -- sending -----------------------------------------------------------------------------------

    async def _send_text(self, text: str) -> None:
        try:
            await self._ws.send_text(text)
        except (RuntimeError, WebSocketDisconnect) as exc:
            raise _Closed from exc

    async def _send_event(self, event: Event, *, mirror: bool = True) -> None:
        event.setdefault("event_id", _new_id("event"))
        self.sent_events.append(event)
        if mirror and self.mirror is not None and event.get("type") != "error":
            self.mirror(event)  # errors answer this socket's own client events; the browser sent none
        await self._send_text(orjson.dumps(event).decode())

    async def _emit(self, type_: str, **fields: Any) -> None:
        await self._send_event({"type": type_, **fields})

    async def _error(self, code: str, message: str, cause: Event | None = None, **extra: Any) -> None:
        # `cause` is the client event at fault; its event_id is echoed as the real server does.
        error = {"type": "invalid_request_error", "code": code, "message": message, "param": None, **extra}
        error["event_id"] = cause.get("event_id") if cause else None
        await self._emit("error", error=error)

    # -- receiving ---------------------------------------------------------------------------------

    async def _serve(self) -> None:
        await self._emit("session.created", session=copy.deepcopy(self.session))
        while True:
            message = await self._ws.receive()
            if message["type"] == "websocket.disconnect":
                if not self.closed:
                    self.closed, self.close_code = True, message.get("code")
                return
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode()
            if await self._fast_append(text):
                continue
            try:
                event = orjson.loads(text)
            except orjson.JSONDecodeError:
                await self._error("invalid_json", "The event is not valid JSON.")
                continue
            if not isinstance(event, dict):
                await self._error("invalid_json", "The event is not a JSON object.")
            elif event.get("type") == "input_audio_buffer.append":
                await self._on_append(event.get("audio") or "")
            else:
                self.events.append(event)
                await self._dispatch(event)

    async def _shutdown(self) -> None:
        self.closed = True
        active = self._active
        if active is not None and active.task is not None:
            active.task.cancel()
            await asyncio.gather(active.task, return_exceptions=True)

    async def _fast_append(self, text: str) -> bool:
        for prefix in _APPEND_PREFIXES:
            if text.startswith(prefix) and text.endswith('"}'):
                audio = text[len(prefix) : -2]
                if '"' not in audio and "\\" not in audio:  # else another field follows: parse properly
                    await self._on_append(audio)
                    return True
        return False

    async def _on_append(self, b64: str) -> None:
        if self.behaviour.record_timing:
            self.append_times.append(time.perf_counter())
        chunk = binascii.a2b_base64(b64)
        self.input_audio += chunk
        self.append_count += 1
        every = self.behaviour.respond_every_ms
        if every is not None:
            self._turn_bytes += len(chunk)
            if self._turn_bytes >= every * self._in_bpm:
                self._turn_bytes -= every * self._in_bpm
                await self._caller_turn()

    async def _dispatch(self, event: Event) -> None:
        kind = event.get("type")
        if kind == "session.update":
            await self._on_session_update(event)
        elif kind == "conversation.item.create":
            await self._on_item_create(event)
        elif kind == "response.create":
            await self._on_response_create(event)
        elif kind == "response.cancel":
            if self._active is None:
                await self._error(
                    "response_cancel_not_active", "Cancellation failed: no active response found"
                )
            else:
                await self._cancel_active("client_cancelled")
        elif kind == "conversation.item.truncate":
            await self._on_truncate(event)
        elif kind == "input_audio_buffer.commit":
            previous, self._last_item_id = self._last_item_id, _new_id("item")
            await self._emit(
                "input_audio_buffer.committed", previous_item_id=previous, item_id=self._last_item_id
            )
        elif kind == "input_audio_buffer.clear":
            self._turn_bytes = 0
            await self._emit("input_audio_buffer.cleared")
        elif kind == "conversation.item.delete":
            await self._emit("conversation.item.deleted", item_id=event.get("item_id"))
        elif kind == "output_audio_buffer.clear":
            if self.call is None:
                await self._error("invalid_value", "output_audio_buffer.clear is WebRTC/SIP only.", event)
            else:
                await self._emit("output_audio_buffer.cleared")
        elif kind not in _CLIENT_EVENTS:
            await self._error("invalid_value", f"Invalid value: {kind!r}.", event, param="type")

    async def _on_session_update(self, event: Event) -> None:
        session = event.get("session")
        problem = _session_problem(session)
        if problem is not None:
            code, param, message = problem
            await self._error(code, message, event, param=param)
            return
        assert isinstance(session, dict)
        _merge(
            self.session, {key: value for key, value in session.items() if key != "model"}
        )  # fixed at connect
        audio = self.session["audio"]
        self._in_bpm = _BYTES_PER_MS[audio["input"]["format"]["type"]]
        self._out_bpm = _BYTES_PER_MS[audio["output"]["format"]["type"]]
        await self._emit("session.updated", session=copy.deepcopy(self.session))

    async def _on_item_create(self, event: Event) -> None:
        item = event.get("item")
        if not isinstance(item, dict):
            await self._error(
                "missing_required_parameter", "Missing required parameter: 'item'.", event, param="item"
            )
            return
        if item.get("type") == "function_call_output" and not isinstance(item.get("output"), str):
            message = "Invalid type for 'item.output': expected a string."
            await self._error("invalid_type", message, event, param="item.output")
            return
        if item.get("role") == "system" and self.behaviour.after_system_message:
            self.behaviour.script[:0] = self.behaviour.after_system_message
            self.behaviour.after_system_message = []
        stored = copy.deepcopy(item)
        stored.update(id=item.get("id") or _new_id("item"), object="realtime.item", status="completed")
        previous = event.get("previous_item_id", self._last_item_id)
        self._last_item_id = stored["id"]
        await self._emit("conversation.item.added", previous_item_id=previous, item=stored)
        await self._emit("conversation.item.done", previous_item_id=previous, item=dict(stored))

    async def _on_response_create(self, event: Event) -> None:
        if self._active is not None:
            message = (
                f"Conversation already has an active response in progress: {self._active.id}. "
                "Wait until the response is finished before creating a new one."
            )
            await self._error("conversation_already_has_active_response", message, event)
            return
        behaviour = self.behaviour
        if behaviour.script:
            step = behaviour.script.pop(0)
        elif behaviour.greet_on_response_create and not self._greeted:
            step = behaviour.greeting
        else:
            step = AudioReply(behaviour.reply_text, behaviour.reply_audio_ms)
        self._greeted = True
        options = event.get("response")
        await self._run_step(step, options.get("metadata") if isinstance(options, dict) else None)

    async def _on_truncate(self, event: Event) -> None:
        item_id, end_ms = event.get("item_id"), event.get("audio_end_ms")
        if not isinstance(item_id, str) or item_id not in self.sent_audio:
            message = "Only model output audio messages can be truncated"
            await self._error("invalid_value", message, event, param="item_id")
            return
        if not isinstance(end_ms, int) or end_ms < 0:
            await self._error(
                "invalid_value", "Invalid value for 'audio_end_ms'.", event, param="audio_end_ms"
            )
            return
        have_ms = len(self.sent_audio[item_id]) // self._sent_audio_bpm[item_id]
        if end_ms > have_ms:
            # Real OpenAI's wording; a bridge that truncates by wall clock instead of audio played hits it.
            message = f"Audio content of {have_ms}ms is already shorter than {end_ms}ms"
            await self._error("invalid_value", message, event, param="audio_end_ms")
            return
        content_index = event.get("content_index", 0)
        await self._emit(
            "conversation.item.truncated", item_id=item_id, content_index=content_index, audio_end_ms=end_ms
        )

    async def _caller_turn(self, transcript: str | None = None) -> None:
        """A turn as server VAD reports it; speech_started comes first so barge-in can be exercised."""
        behaviour = self.behaviour
        end_ms = len(self.input_audio) // self._in_bpm
        start_ms = max(0, end_ms - (behaviour.respond_every_ms or 0))
        item_id = _new_id("item")
        await self._emit("input_audio_buffer.speech_started", audio_start_ms=start_ms, item_id=item_id)
        if self._active is not None:
            await self._cancel_active("turn_detected")  # what interrupt_response=true does
        await self._emit("input_audio_buffer.speech_stopped", audio_end_ms=end_ms, item_id=item_id)
        previous, self._last_item_id = self._last_item_id, item_id
        await self._emit("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)
        transcripts = behaviour.caller_transcripts
        await self._emit(
            "conversation.item.input_audio_transcription.completed",
            item_id=item_id,
            content_index=0,
            transcript=transcript or (transcripts.pop(0) if transcripts else "caller said something"),
            usage={"type": "duration", "seconds": (end_ms - start_ms) / 1000},
        )
        script = behaviour.script
        await self._run_step(
            script.pop(0) if script else AudioReply(behaviour.reply_text, behaviour.reply_audio_ms)
        )

    # -- responses ---------------------------------------------------------------------------------

    async def _run_step(self, step: ScriptedResponse, metadata: Any = None) -> None:
        if isinstance(step, ErrorEvent):
            await self._error(step.code, step.message, type=step.type)
        elif isinstance(step, CloseSocket):
            await self.close(step.code, "scripted close")
        else:
            response = _Response(_new_id("resp"), metadata)
            self._active = response
            response.task = asyncio.create_task(self._stream(response, step))

    async def _cancel_active(self, reason: str) -> None:
        # A flag rather than Task.cancel(): the stream still sends its .done events, as the real server does.
        response = self._active
        if response is not None and response.task is not None:
            response.cancel_reason = reason
            await asyncio.gather(response.task, return_exceptions=True)

    async def _stream(self, response: _Response, step: AudioReply | FunctionCall) -> None:
        try:
            await self._emit("response.created", response=response.body("in_progress"))
            if isinstance(step, FunctionCall):
                await self._stream_function_call(response, step)
            elif self.call is not None:
                await self._stream_webrtc_audio(response, step)
            else:
                await self._stream_audio(response, step)
            # Cleared before response.done goes out: the client may answer it with response.create at once.
            self._active = None
            status = "cancelled" if response.cancel_reason else "completed"
            await self._emit("response.done", response=response.body(status))
            if self.call is not None and isinstance(step, AudioReply):
                await asyncio.sleep(0.01)  # the browser finishes playing (kept short for tests)
                await self._emit("output_audio_buffer.stopped", response_id=response.id)
        except _Closed:
            pass
        finally:
            if self._active is response:
                self._active = None

    async def _stream_audio(self, response: _Response, reply: AudioReply) -> None:
        behaviour, bpm, index, item_id = self.behaviour, self._out_bpm, len(response.output), _new_id("item")
        item: Event = {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant"}
        item.update(status="in_progress", content=[])
        response.output.append(item)
        await self._emit(
            "response.output_item.added", response_id=response.id, output_index=index, item=dict(item)
        )
        self._responses += 1
        audio = _audio_pattern(self._responses * 37, reply.audio_ms * bpm)
        sent = self.sent_audio[item_id] = bytearray()
        self._sent_audio_bpm[item_id] = bpm
        chunk = max(1, behaviour.chunk_ms * bpm)
        # Deltas are the hot path: formatted by hand, and kept out of sent_events (sent_audio has the bytes).
        head = f'{{"type":"response.output_audio.delta","response_id":"{response.id}","item_id":"{item_id}",'
        head += f'"output_index":{index},"content_index":0,"event_id":"'
        loop = asyncio.get_running_loop()
        started = loop.time()
        for n, offset in enumerate(range(0, len(audio), chunk)):
            if response.cancel_reason:
                break
            piece = audio[offset : offset + chunk]
            b64 = binascii.b2a_base64(piece, newline=False).decode()
            await self._send_text(f'{head}{_new_id("event")}","delta":"{b64}"}}')
            sent += piece
            if behaviour.realtime_factor:
                due = started + (n + 1) * behaviour.chunk_ms / behaviour.realtime_factor / 1000
                await asyncio.sleep(max(0.0, due - loop.time()))
            else:
                await asyncio.sleep(0)
        ids = {"response_id": response.id, "item_id": item_id, "output_index": index, "content_index": 0}
        await self._emit("response.output_audio.done", **ids)
        await self._emit("response.output_audio_transcript.done", **ids, transcript=reply.text)
        item["status"] = "incomplete" if response.cancel_reason else "completed"
        item["content"] = [{"type": "output_audio", "transcript": reply.text}]
        await self._emit(
            "response.output_item.done", response_id=response.id, output_index=index, item=dict(item)
        )

    async def _stream_webrtc_audio(self, response: _Response, reply: AudioReply) -> None:
        """A sideband sees the response but not its audio: no deltas, the buffer events instead."""
        index, item_id = len(response.output), _new_id("item")
        item: Event = {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant"}
        item.update(status="in_progress", content=[])
        response.output.append(item)
        await self._emit(
            "response.output_item.added", response_id=response.id, output_index=index, item=dict(item)
        )
        await self._emit("output_audio_buffer.started", response_id=response.id)
        await asyncio.sleep(0)
        if self.speak is not None:
            self.speak(reply.audio_ms / 1000)
            deadline = asyncio.get_running_loop().time() + reply.audio_ms / 1000
            while not response.cancel_reason and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)
        ids = {"response_id": response.id, "item_id": item_id, "output_index": index, "content_index": 0}
        await self._emit("response.output_audio.done", **ids)
        await self._emit("response.output_audio_transcript.done", **ids, transcript=reply.text)
        item["status"] = "incomplete" if response.cancel_reason else "completed"
        item["content"] = [{"type": "output_audio", "transcript": reply.text}]
        await self._emit(
            "response.output_item.done", response_id=response.id, output_index=index, item=dict(item)
        )

    async def _stream_function_call(self, response: _Response, call: FunctionCall) -> None:
        index, item_id, call_id = len(response.output), _new_id("item"), call.call_id or _new_id("call")
        args = call.arguments if isinstance(call.arguments, str) else orjson.dumps(call.arguments).decode()
        item: Event = {
            "id": item_id,
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
        }
        item.update(call_id=call_id, name=call.name, arguments="")
        response.output.append(item)
        await self._emit(
            "response.output_item.added", response_id=response.id, output_index=index, item=dict(item)
        )
        ids = {"response_id": response.id, "item_id": item_id, "output_index": index, "call_id": call_id}
        await self._emit("response.function_call_arguments.delta", **ids, delta=args)
        await self._emit("response.function_call_arguments.done", **ids, name=call.name, arguments=args)
        item.update(status="completed", arguments=args)
        await self._emit(
            "response.output_item.done", response_id=response.id, output_index=index, item=dict(item)
        )
        if call.then_audio is not None:
            self.behaviour.script.insert(0, call.then_audio)


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]] | None:
    """name -> (part content type, bytes) of a multipart/form-data body; None if it is not one."""
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return None
    boundary = next(
        (
            v.strip().strip('"')
            for k, _, v in (p.partition("=") for p in params.split(";"))
            if k.strip() == "boundary"
        ),
        None,
    )
    if not boundary:
        return None
    parts: dict[str, tuple[str | None, bytes]] = {}
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            return None
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = next(
            (
                v.strip('"')
                for k, _, v in (p.strip().partition("=") for p in disposition.split(";"))
                if k == "name"
            ),
            None,
        )
        if name is None:
            return None
        parts[name] = (headers.get("content-type"), content.removesuffix(b"\r\n"))
    return parts


def _sdp_answer(call_id: str) -> str:
    """A syntactically valid SDP answer (audio + the oai-events data channel)."""
    lines = [
        "v=0",
        f"o=- {abs(hash(call_id)) % 10**12} 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=msid-semantic: WMS",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:fake",
        "a=ice-pwd:fakefakefakefakefakefake",
        "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
        "a=setup:active",
        "a=mid:0",
        "a=sendrecv",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        "a=mid:1",
        "a=sctp-port:5000",
    ]
    return "\r\n".join(lines) + "\r\n"


@dataclass(eq=False)
class FakeCall:
    """One WebRTC call made through the unified interface; its sidebands share its session."""

    id: str
    session: Event
    offer: bytes
    ended: bool = False
    hung_up: bool = False
    sidebands: list[FakeConnection] = field(default_factory=list)


class FakeRealtime:
    """Controller + state. `app` is the ASGI app; all recorded traffic is inspectable."""

    def __init__(
        self,
        *,
        api_key: str = "sk-simulator-not-openai",
        delay_ms: float = 0.0,
        behaviour: Behaviour | None = None,
        webrtc: WebRTCMode | None = None,
    ) -> None:
        self.api_key = api_key
        self.delay_ms = delay_ms
        self.behaviour = behaviour or Behaviour()  # template, cloned for each connection
        #: The WebRTC simulator answering /v1/realtime/calls; None (the default): a placeholder SDP answer.
        self.webrtc: WebRTCSimulator | None = None
        self._webrtc_tasks: set[asyncio.Task[None]] = set()
        if webrtc is not None:
            from simulator.webrtc import WebRTCSimulator

            self.webrtc = WebRTCSimulator(
                script=webrtc.script(),
                greeting_seconds=webrtc.greeting_seconds,
                on_server_event=self._caller_line_to_sidebands,
            )
            if webrtc.end_call_after_escalation:
                self.behaviour.after_system_message.append(webrtc.end_call())
        self.secret_requests: list[RecordedRequest] = []
        self.connections: list[FakeConnection] = []
        self.reject_ws_with: int | None = None
        self.minted: set[str] = set()  # ephemeral keys issued; they open sockets too, as real ones do
        self.call_requests: list[RecordedRequest] = []  # POST /v1/realtime/calls (json: the session part)
        self.calls: dict[str, FakeCall] = {}
        self.hangups: list[str] = []
        self.hangup_requests: list[str] = []  # every hang-up asked for, answered or not
        # A hang-up waits this long before it acts (a slow OpenAI); one the client gives up on does nothing.
        self.hangup_delay_ms = 0
        self._http_script: deque[_Fail | _Stall] = deque()
        self.app = Starlette(
            routes=[
                Route("/v1/realtime/client_secrets", self._mint, methods=["POST"]),
                Route("/v1/realtime/calls", self._create_call, methods=["POST"]),
                Route("/v1/realtime/calls/{call_id}/hangup", self._hangup, methods=["POST"]),
                WebSocketRoute("/v1/realtime", self._realtime_socket),
            ]
        )

    # -- WebRTC calls: what a test does on the browser's side ----------------------------------------

    async def wait_for_call(self, n: int = 1, timeout: float = 5) -> FakeCall:
        """The n-th (1-based) WebRTC call created."""
        return await _poll(
            lambda: list(self.calls.values())[n - 1] if len(self.calls) >= n else None, timeout, f"call #{n}"
        )

    async def wait_for_sideband(self, call_id: str, n: int = 1, timeout: float = 5) -> FakeConnection:
        """The n-th (1-based) sideband attached to this call."""
        call = self.calls[call_id]
        return await _poll(
            lambda: call.sidebands[n - 1] if len(call.sidebands) >= n else None, timeout, f"sideband #{n}"
        )

    async def browser_session_update(self, call_id: str, session: Event) -> None:
        """The browser sends session.update over its data channel: every sideband sees session.updated."""
        call = self.calls[call_id]
        _merge(call.session, {key: value for key, value in session.items() if key != "model"})
        for conn in call.sidebands:
            if not conn.closed:
                await conn.send_event({"type": "session.updated", "session": copy.deepcopy(call.session)})

    async def aclose(self) -> None:
        """WebRTC mode: close every simulated peer (the server's shutdown; nothing to do otherwise)."""
        for task in list(self._webrtc_tasks):
            task.cancel()
        await asyncio.gather(*self._webrtc_tasks, return_exceptions=True)
        if self.webrtc is not None:
            await self.webrtc.close()

    async def _caller_line_to_sidebands(self, call_id: str, event: Event) -> None:
        # The simulator already put the event on the data channel; the sidebands see it as well.
        call = self.calls.get(call_id)
        for conn in list(call.sidebands) if call else []:
            if not conn.closed:
                with contextlib.suppress(_Closed):
                    await conn._send_event(dict(event), mirror=False)

    def _attach_browser(self, connection: FakeConnection, call_id: str) -> None:
        def peer() -> SimulatedCall | None:
            return self.webrtc.calls.get(call_id) if self.webrtc is not None else None

        def mirror(event: Event) -> None:
            if (found := peer()) is not None:
                found.send_event(event)

        def speak(seconds: float) -> None:
            if (found := peer()) is not None:
                found.speak(seconds)

        connection.mirror, connection.speak = mirror, speak

    async def _webrtc_answer(self, call_id: str, offer: bytes) -> Response | None:
        """The simulator's answer for this call, or the 400 for an offer it cannot answer."""
        assert self.webrtc is not None
        try:
            answer = await self.webrtc.answer(offer.decode(errors="replace"), call_id=call_id)
        except ValueError:
            del self.calls[call_id]
            return _json_response(400, _error_body("Invalid SDP offer.", "invalid_offer", "sdp"))
        task = asyncio.ensure_future(self._ends_when_peer_closes(call_id))
        self._webrtc_tasks.add(task)
        task.add_done_callback(self._webrtc_tasks.discard)
        headers = {"Location": f"/v1/realtime/calls/{call_id}"}
        return Response(answer, status_code=201, media_type="application/sdp", headers=headers)

    async def _ends_when_peer_closes(self, call_id: str) -> None:
        assert self.webrtc is not None
        peer = self.webrtc.calls.get(call_id)
        if peer is None:
            return
        await peer.closed.wait()
        call = self.calls.get(call_id)
        if call is not None and not call.ended:
            await self.browser_hangs_up(call_id)

    async def browser_hangs_up(self, call_id: str, *, close_sidebands: bool = True) -> None:
        """The browser closes its peer connection: the call ends (and, unless told not to, its
        sidebands close cleanly; agents-js #684 reports that sometimes they do not)."""
        call = self.calls[call_id]
        call.ended = True
        if close_sidebands:
            for conn in call.sidebands:
                await conn.close(1000, "call ended")

    async def _create_call(self, request: Request) -> Response:
        raw = await request.body()
        parts = _multipart(request.headers.get("content-type", ""), raw)
        session_part = parts.get("session") if parts else None
        try:
            session = orjson.loads(session_part[1]) if session_part else None
        except orjson.JSONDecodeError:
            session = None
        self.call_requests.append(RecordedRequest(dict(request.headers), session, time.time()))
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        if self._http_script:
            action = self._http_script.popleft()
            if isinstance(action, _Fail):
                return _json_response(action.status, action.body)
            await _sleep_unless_disconnected(request, action.seconds)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            # The multipart shape takes the standard key only (an ephemeral key posts raw SDP).
            return _json_response(401, _error_body("Incorrect API key provided.", "invalid_api_key"))
        if parts is None or set(parts) != {"sdp", "session"}:
            return _json_response(400, _error_body("Expected multipart parts 'sdp' and 'session'.", None))
        sdp_type, sdp = parts["sdp"]
        if (sdp_type or "").lower() != "application/sdp" or not sdp.startswith(b"v=0"):
            return _json_response(400, _error_body("Invalid SDP offer.", "invalid_offer", "sdp"))
        if (session_part[1] if session_part else None) is None or session_part[0] != "application/json":
            return _json_response(400, _error_body("Invalid 'session' part.", "invalid_value", "session"))
        problem = _session_problem(session)
        if problem is not None:
            code, param, message = problem
            return _json_response(400, _error_body(message, code, param))
        assert isinstance(session, dict)
        call_id = _new_id("rtc")
        effective = _default_session(str(session.get("model") or DEFAULT_MODEL))
        pcm = {"type": "audio/pcm", "rate": 24000}  # WebRTC: the browser's audio, never seen here
        effective["audio"]["input"]["format"] = dict(pcm)
        effective["audio"]["output"]["format"] = dict(pcm)
        _merge(effective, {key: value for key, value in session.items() if key != "model"})
        self.calls[call_id] = FakeCall(call_id, effective, sdp)
        if self.webrtc is not None:
            return await self._webrtc_answer(call_id, sdp)
        headers = {"Location": f"/v1/realtime/calls/{call_id}"}
        return Response(_sdp_answer(call_id), status_code=201, media_type="application/sdp", headers=headers)

    async def _hangup(self, request: Request) -> Response:
        call_id = request.path_params["call_id"]
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _json_response(401, _error_body("Incorrect API key provided.", "invalid_api_key"))
        self.hangup_requests.append(call_id)
        if self.hangup_delay_ms:
            await _sleep_unless_disconnected(request, self.hangup_delay_ms / 1000)
            if await request.is_disconnected():
                return Response(status_code=499)
        self.hangups.append(call_id)
        call = self.calls.get(call_id)
        if call is None or call.ended:
            return _json_response(
                404, _error_body("No call found for the provided call_id.", "call_id_not_found")
            )
        call.ended = call.hung_up = True
        for conn in call.sidebands:
            await conn.close(1000, "call ended")
        if self.webrtc is not None:
            await self.webrtc.hangup(call_id)
        return Response(status_code=200)

    def fail_next(self, status: int, body: Event | None = None, *, times: int = 1) -> None:
        self._http_script.extend(_Fail(status, body or _error_for_status(status)) for _ in range(times))

    def stall_next(self, seconds: float, *, times: int = 1) -> None:
        """Answer normally, but only after `seconds` (or once the client hangs up)."""
        self._http_script.extend(_Stall(seconds) for _ in range(times))

    async def wait_for_connection(self, n: int = 1, timeout: float = 5) -> FakeConnection:
        """The n-th (1-based) accepted connection."""
        return await _poll(
            lambda: self.connections[n - 1] if len(self.connections) >= n else None,
            timeout,
            f"connection #{n}",
        )

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        token = header[len("Bearer ") :]
        return token == self.api_key or token in self.minted

    async def _mint(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            body = None
        self.secret_requests.append(RecordedRequest(dict(request.headers), body, time.time()))
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        if self._http_script:
            action = self._http_script.popleft()
            if isinstance(action, _Fail):
                return _json_response(action.status, action.body)
            await _sleep_unless_disconnected(request, action.seconds)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _json_response(401, _error_body("Incorrect API key provided.", "invalid_api_key"))
        if not isinstance(body, dict):
            return _json_response(400, _error_body("We could not parse the JSON body of your request.", None))
        for key in body:
            if key not in _SECRET_FIELDS:
                return _json_response(
                    400, _error_body(f"Unknown parameter: '{key}'.", "unknown_parameter", key)
                )
        session = body.get("session", {"type": "realtime"})
        problem = _session_problem(session)
        if problem is not None:
            code, param, message = problem
            return _json_response(400, _error_body(message, code, param))
        expires = body.get("expires_after") or {}
        seconds = expires.get("seconds", 600) if isinstance(expires, dict) else None
        anchor = expires.get("anchor", "created_at") if isinstance(expires, dict) else None
        if not isinstance(seconds, int) or not 10 <= seconds <= 7200 or anchor != "created_at":
            return _json_response(
                400, _error_body("Invalid 'expires_after'.", "invalid_value", "expires_after")
            )
        expires_at = int(time.time()) + seconds
        value = "ek_" + secrets.token_urlsafe(24)
        self.minted.add(value)
        effective = {**session, "id": _new_id("sess"), "object": "realtime.session", "expires_at": expires_at}
        return _json_response(200, {"value": value, "expires_at": expires_at, "session": effective})

    async def _realtime_socket(self, ws: WebSocket) -> None:
        # A true HTTP status at the handshake (ASGI denial response), as OpenAI gives, not accept-then-close.
        if self.reject_ws_with is not None:
            await ws.send_denial_response(
                _json_response(self.reject_ws_with, _error_for_status(self.reject_ws_with))
            )
            return
        if not self._authorized(ws.headers.get("authorization")):
            body = _error_body("Incorrect API key provided.", "invalid_api_key")
            await ws.send_denial_response(_json_response(401, body))
            return
        call: FakeCall | None = None
        if "call_id" in ws.query_params:
            call = self.calls.get(ws.query_params["call_id"])
            standard = ws.headers.get("authorization") == f"Bearer {self.api_key}"
            if call is None or call.ended or not standard:  # ephemeral keys get this 404 too (2026-09)
                body = _error_body("No session found for the provided call_id.", "call_id_not_found")
                await ws.send_denial_response(_json_response(404, body))
                return
        connection = FakeConnection(ws, self.behaviour.clone(), call)
        if call is not None and self.webrtc is not None:
            self._attach_browser(connection, call.id)
        await ws.accept()
        self.connections.append(connection)
        if call is not None:
            call.sidebands.append(connection)
        try:
            if "openai-beta" in connection.headers:
                await connection._error("beta_api_shape_disabled", "The Realtime beta API shape is disabled.")
                await connection.close(4000, "beta_api_shape_disabled")
                return
            await connection._serve()
        except _Closed:
            pass
        finally:
            await connection._shutdown()


async def _sleep_unless_disconnected(request: Request, seconds: float) -> None:
    # Stop waiting when the client gives up, so a stalled request never holds the server's shutdown.
    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    tasks = {asyncio.ensure_future(asyncio.sleep(seconds)), asyncio.ensure_future(disconnected())}
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the fake standalone (the local simulator, and the benchmarks' upstream)."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m simulator.realtime", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port (printed)")
    parser.add_argument("--api-key", default="sk-simulator-not-openai")
    parser.add_argument(
        "--delay-ms", type=float, default=0.0, help="delay before each client_secrets or calls answer"
    )
    parser.add_argument(
        "--respond-every-ms", type=int, default=None, help="reply after this much caller audio"
    )
    parser.add_argument("--reply-audio-ms", type=int, default=600)
    parser.add_argument("--realtime-factor", type=float, default=None, help="pace audio at N x real time")
    parser.add_argument(
        "--webrtc", action="store_true", help="answer /v1/realtime/calls with the real WebRTC simulator"
    )
    parser.add_argument(
        "--caller-line", action="append", help="with --webrtc: a scripted caller line (repeatable)"
    )
    parser.add_argument(
        "--caller-line-at", type=float, default=2.0, help="with --webrtc: seconds before each caller line"
    )
    parser.add_argument(
        "--no-end-call", action="store_true", help="with --webrtc: no end_call after the escalation"
    )
    parser.add_argument(
        "--any-address",
        action="store_true",
        help="with --webrtc: ICE on every interface, for a browser on another machine (default: loopback)",
    )
    args = parser.parse_args(argv)

    behaviour = Behaviour(
        respond_every_ms=args.respond_every_ms,
        reply_audio_ms=args.reply_audio_ms,
        realtime_factor=args.realtime_factor,
    )
    webrtc: WebRTCMode | None = None
    if args.webrtc:
        from simulator.webrtc import ScriptedLine, use_host_addresses

        if args.any_address:
            use_host_addresses(None)
        lines = [
            ScriptedLine(text, at=args.caller_line_at, on_speech=True) for text in args.caller_line or []
        ]
        webrtc = WebRTCMode(caller_lines=lines or None, end_call_after_escalation=not args.no_end_call)
    fake = FakeRealtime(api_key=args.api_key, delay_ms=args.delay_ms, behaviour=behaviour, webrtc=webrtc)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)  # before the URL is printed, so a client reading it can connect at once
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"OPENAI_BASE_URL=http://{host}:{port}/v1", flush=True)
    print(f"OPENAI_API_KEY={args.api_key}", flush=True)
    config = uvicorn.Config(fake.app, log_level="warning", ws="websockets-sansio", ws_max_size=16 << 20)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
