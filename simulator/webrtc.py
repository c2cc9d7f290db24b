"""The simulator's WebRTC peer: real ICE, DTLS and SRTP (aiortc) standing in for OpenAI's media side.

A SIMULATOR, not OpenAI: it answers a browser's SDP offer, accepts the browser's microphone track and
its "oai-events" data channel, plays a generated tone as the agent's voice, and sends scripted Realtime
server events (a caller line's transcription, triggered by time or by sound on the incoming track).
It never talks to OpenAI, and by default only to peers on this machine (see `use_host_addresses`).

What the simulated `/v1/realtime/calls` does with it::

    sim = WebRTCSimulator(script=[ScriptedLine("my dog ate chocolate", at=1.0, on_speech=True)],
                          on_server_event=forward_to_sideband, on_client_event=handle_client_event)
    answer_sdp = await sim.answer(offer_sdp, call_id="rtc_sim_...")   # ValueError: not answerable
    call = sim.calls["rtc_sim_..."]
    call.send_event({"type": "response.output_audio_transcript.done", ...})   # onto the data channel
    call.speak(1.5)                                                          # the agent's "voice"
    await sim.hangup("rtc_sim_...")
    await sim.close()

Hooks get `(call_id, event)` and may be sync or async. `on_server_event` sees only the events the
simulator makes itself (scripted caller lines), not the ones passed to `send_event`, which their
sender already has. `on_client_event` sees each JSON event the peer sends on the data channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aioice.ice
import orjson
from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from simulator.audio import AgentVoice, frame_level

Event = dict[str, Any]
EventHook = Callable[[str, Event], Awaitable[None] | None]

log = logging.getLogger("callintake.simulator.webrtc")

BANNER = "callintake SIMULATOR WebRTC peer: a stand-in for OpenAI Realtime's media side, not OpenAI"
CHANNEL_LABEL = "oai-events"
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_MAX_RECORDED = 1000

_host_addresses: list[str] | None = ["127.0.0.1"]
_discover_host_addresses = aioice.ice.get_host_addresses


def use_host_addresses(addresses: Sequence[str] | None) -> None:
    """Which local addresses ICE offers, for every aiortc peer in this process.

    The default is loopback only, and offered candidates that are not on loopback are dropped, so a
    simulated call never sends a packet off this machine (nor an mDNS query). `None` restores aioice's
    own discovery (every interface) and keeps every offered candidate: for a browser on another host.
    """
    global _host_addresses
    _host_addresses = list(addresses) if addresses is not None else None


def _gather_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _host_addresses is None:
        return _discover_host_addresses(use_ipv4, use_ipv6)
    return [a for a in _host_addresses if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


# aioice has no setting for its host addresses; this one function is where it looks them up.
aioice.ice.get_host_addresses = _gather_host_addresses


@dataclass(frozen=True)
class ScriptedLine:
    """A caller line the simulator "hears": sent as transcription events once it is due.

    Due `at` seconds after the data channel opened and, with `on_speech`, once the incoming track has
    carried sound for the simulator's `speech_ms` since the previous line. Lines go out in order.
    """

    text: str
    at: float = 0.0
    on_speech: bool = False


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


async def _call_hook(hook: EventHook | None, call_id: str, event: Event) -> None:
    if hook is None:
        return
    try:
        result = hook(call_id, event)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("simulator_hook_failed", extra={"call_id": call_id})


class SimulatedCall:
    """One WebRTC call answered by the simulator. Build it through `WebRTCSimulator.answer`."""

    def __init__(
        self,
        call_id: str,
        *,
        script: Sequence[ScriptedLine],
        voice: AgentVoice,
        greeting_seconds: float,
        speech_level: float,
        speech_ms: float,
        on_server_event: EventHook | None,
        on_client_event: EventHook | None,
        on_closed: Callable[[SimulatedCall], None],
    ) -> None:
        self.call_id = call_id
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no default public STUN server
        self.voice = voice
        #: Every event sent on the data channel, and every JSON event received on it (the last 1000).
        self.sent: deque[Event] = deque(maxlen=_MAX_RECORDED)
        self.received: deque[Event] = deque(maxlen=_MAX_RECORDED)
        #: Audio frames received from the peer, and how many of them carried sound.
        self.frames_received = 0
        self.voiced_frames = 0
        self.opened = asyncio.Event()
        self.closed = asyncio.Event()
        self._script = list(script)
        self._greeting_seconds = greeting_seconds
        self._speech_level = speech_level
        self._speech_ms = speech_ms
        self._voiced_ms = 0.0
        self._on_server_event = on_server_event
        self._on_client_event = on_client_event
        self._on_closed = on_closed
        self._channel: RTCDataChannel | None = None
        self._pending: list[Event] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._opened_at = 0.0
        self._closing = False
        self._last_item: str | None = None
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self._on_datachannel)
        self.pc.on("connectionstatechange", self._on_connection_state)

    @property
    def connection_state(self) -> str:
        return str(self.pc.connectionState)

    def send_event(self, event: Event) -> None:
        """Send a Realtime server event on the data channel (queued until it opens)."""
        event = {"event_id": _new_id("event_sim"), **event}
        if self._channel is not None and self._channel.readyState == "open":
            self._channel.send(orjson.dumps(event).decode())
            self.sent.append(event)
        elif not self._closing:
            self._pending.append(event)

    def speak(self, seconds: float) -> None:
        """The agent's voice: the tone for `seconds` on the outgoing track."""
        self.voice.speak(seconds)

    async def caller_says(self, text: str) -> str:
        """Send what Realtime sends for one transcribed caller turn; returns its item id."""
        item_id = _new_id("item_sim")
        now_ms = round((time.monotonic() - self._opened_at) * 1000)
        events: list[Event] = [
            {"type": "input_audio_buffer.speech_started", "audio_start_ms": now_ms, "item_id": item_id},
            {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": now_ms, "item_id": item_id},
            {"type": "input_audio_buffer.committed", "previous_item_id": self._last_item, "item_id": item_id},
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": item_id,
                "content_index": 0,
                "transcript": text,
            },
        ]
        self._last_item = item_id
        for event in events:
            event = {"event_id": _new_id("event_sim"), **event}
            self.send_event(event)
            await _call_hook(self._on_server_event, self.call_id, event)
        return item_id

    async def close(self) -> None:
        """Hang up: stop the tracks and tasks, close the peer connection. Safe to call twice."""
        if self._closing:
            await self.closed.wait()
            return
        self._closing = True
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self.voice.stop()
        await self.pc.close()
        self._on_closed(self)
        self.closed.set()
        log.info("simulator_webrtc_closed", extra={"call_id": self.call_id})

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(self._listen(track))

    async def _listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, AudioFrame):
                continue
            self.frames_received += 1
            if frame_level(frame) >= self._speech_level:
                self.voiced_frames += 1
                self._voiced_ms += 1000 * frame.samples / frame.sample_rate

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != CHANNEL_LABEL or self._channel is not None:
            return  # only the one channel Realtime speaks on
        self._channel = channel
        channel.on("message", self._on_message)
        if channel.readyState == "open":
            self._on_open()
        else:
            channel.on("open", self._on_open)

    def _on_open(self) -> None:
        if self.opened.is_set():
            return
        self._opened_at = time.monotonic()
        self.opened.set()
        pending, self._pending = self._pending, []
        for event in pending:
            self.send_event(event)
        if self._greeting_seconds > 0:
            self.voice.speak(self._greeting_seconds)
        if self._script:
            self._spawn(self._run_script())

    def _on_message(self, message: str | bytes) -> None:
        try:
            event = orjson.loads(message)
        except orjson.JSONDecodeError:
            return  # the simulator does not answer malformed client events; it only records events
        if not isinstance(event, dict):
            return
        self.received.append(event)
        self._spawn(_call_hook(self._on_client_event, self.call_id, event))

    async def _run_script(self) -> None:
        for line in self._script:
            while True:
                due = time.monotonic() - self._opened_at >= line.at
                heard = not line.on_speech or self._voiced_ms >= self._speech_ms
                if due and heard:
                    break
                await asyncio.sleep(0.02)
            self._voiced_ms = 0.0
            await self.caller_says(line.text)

    def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        log.info("simulator_webrtc_state", extra={"call_id": self.call_id, "state": state})
        if state in ("failed", "closed") and not self._closing:
            self._spawn(self.close())


def _only_loopback_candidates(sdp: str) -> str:
    # An offered candidate elsewhere would have us send ICE checks off this machine, or an mDNS query.
    kept = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            if len(parts) < 5 or parts[4] not in _LOOPBACK:
                continue
        kept.append(line)
    return "\r\n".join(kept) + "\r\n"


class WebRTCSimulator:
    """Answers SDP offers with simulated calls; holds the calls that are open."""

    def __init__(
        self,
        *,
        script: Sequence[ScriptedLine] = (),
        tone_hz: float = 440.0,
        greeting_seconds: float = 0.6,
        speech_level: float = 300.0,
        speech_ms: float = 400.0,
        on_server_event: EventHook | None = None,
        on_client_event: EventHook | None = None,
    ) -> None:
        self.script = list(script)
        self._tone_hz = tone_hz
        self._greeting_seconds = greeting_seconds
        self._speech_level = speech_level
        self._speech_ms = speech_ms
        self._on_server_event = on_server_event
        self._on_client_event = on_client_event
        #: The open calls by call id; a call leaves when it closes.
        self.calls: dict[str, SimulatedCall] = {}
        log.info("simulator_webrtc_ready", extra={"banner": BANNER})

    async def answer(self, offer_sdp: str, *, call_id: str | None = None) -> str:
        """Answer a WebRTC offer; the answer SDP (full ICE candidates, no trickle).

        Raises ValueError for an offer it cannot answer (not SDP, no usable media), or a call id in use.
        """
        call_id = call_id or _new_id("rtc_sim")
        if call_id in self.calls:
            raise ValueError("call id already in use")
        if _host_addresses is not None:
            offer_sdp = _only_loopback_candidates(offer_sdp)
        call = SimulatedCall(
            call_id,
            script=self.script,
            voice=AgentVoice(self._tone_hz),
            greeting_seconds=self._greeting_seconds,
            speech_level=self._speech_level,
            speech_ms=self._speech_ms,
            on_server_event=self._on_server_event,
            on_client_event=self._on_client_event,
            on_closed=self._forget,
        )
        self.calls[call_id] = call
        try:
            await call.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            has_audio = any(t.kind == "audio" for t in call.pc.getTransceivers())
            if not has_audio and call.pc.sctp is None:
                raise ValueError("the offer has neither audio nor a data channel")
            if has_audio:
                call.pc.addTrack(call.voice)
            await call.pc.setLocalDescription(await call.pc.createAnswer())
        except Exception as exc:
            await call.close()
            raise ValueError("the simulator cannot answer this SDP offer") from exc
        log.info("simulator_webrtc_answered", extra={"call_id": call_id})
        answer = call.pc.localDescription.sdp
        # The session name is free text; it says what answered, as everything the simulator makes does.
        return answer.replace("\r\ns=-\r\n", "\r\ns=callintake-simulator\r\n", 1)

    async def hangup(self, call_id: str) -> bool:
        """Close one call; False when no such call is open."""
        call = self.calls.get(call_id)
        if call is None:
            return False
        await call.close()
        return True

    async def close(self) -> None:
        """Close every open call."""
        for call in list(self.calls.values()):
            with contextlib.suppress(Exception):
                await call.close()

    def _forget(self, call: SimulatedCall) -> None:
        if self.calls.get(call.call_id) is call:
            del self.calls[call.call_id]
