"""The audio bridge of one phone call: Twilio media stream <-> OpenAI Realtime.

One task group per call:
- `_pump_twilio`: caller audio to OpenAI untouched (payload sliced, never decoded), marks, stop.
- `_pump_upstream`: agent audio to Twilio with a mark per chunk, barge-in, events for the agent.
- `agent.run` (calls/agent.py): transcripts with server-side detection, tools, transfer, hang-up. This class
  is its Channel: it carries audio and marks, and does what the agent decides.
- `_watch`: the maximum call duration, a live-store heartbeat, and stop requests from the status webhook.
Whatever ends the call (stop, either socket closing, a fatal OpenAI error, the time limit, a transfer or
hang-up) records one reason, cancels the group, closes both sockets and finalizes the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import NoReturn

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from websockets.exceptions import ConnectionClosed

from app import metrics
from app.calls.agent import CallAgent
from app.calls.channel import (
    CallContext,
    CallEnded,
    TransferFailed,
    end_channel_call,
    reraise_swallowed_cancel,
)
from app.calls.owner import (
    CallOwned,
    Command,
    EndCommand,
    HangupCommand,
    LostReason,
    TransferCommand,
    call_owners,
)
from app.calls.second_opinion import EXTRAS_KEY as SECOND_OPINION_KEY
from app.calls.service import OrgContext
from app.calls.slots import slot_kept
from app.realtime import events
from app.realtime.upstream import Upstream
from app.safety import policy
from app.state import AppState
from app.telephony import actions, protocol, twiml
from app.telephony.playback import Playback
from app.telephony.runtime import TelephonyRuntime
from app.telephony.twilio_client import TwilioRestFailed
from app.telephony.ws_server import relay_socket

log = logging.getLogger("callintake.telephony")

ACTIVITY_INTERVAL = 30.0  # live-store heartbeat (at most a third of the sweeper's idle timeout)
FATAL_ERROR_CODES = frozenset(
    {"session_expired", "invalid_api_key", "beta_api_shape_disabled", "insufficient_quota"}
)
_TWILIO_GONE = (WebSocketDisconnect, RuntimeError)


class PhoneBridge:
    def __init__(
        self,
        *,
        state: AppState,
        runtime: TelephonyRuntime,
        org: OrgContext,
        call_id: str,
        call_sid: str,
        stream_sid: str,
        started_at: datetime,
        twilio_ws: WebSocket,
        upstream: Upstream,
    ) -> None:
        self.state = state
        self.runtime = runtime
        self.org = org
        self.call_id = call_id
        self.call_sid = call_sid
        self._stream_sid = stream_sid
        self._started_at = started_at
        self._ws = twilio_ws
        self._upstream = upstream
        self.playback = Playback()
        context = CallContext(
            state.session_factory, state.live_store, org, call_id, state.extras.get(SECOND_OPINION_KEY)
        )
        self.agent = CallAgent(self, context)
        self.closing = False
        self.active_response: str | None = None
        self.barge_ins = 0
        self._stop_requested = asyncio.Event()
        self._finished = asyncio.Event()
        self._end_reason: str | None = None
        self._end_status = "completed"
        self._upstream_failed = False
        # Served by RelayWebSocketProtocol: media frames are relayed from its data_received (`_relay_now`)
        # while the pump waits, and Twilio-bound frames are written at once when nothing waits before them.
        self._socket = relay_socket(twilio_ws.scope)
        self._pump_waiting = False
        self._upstream_waiting = False
        self._relayed_in = metrics.relay_timer("inbound")  # issue 12: bound once per call
        self._relayed_out = metrics.relay_timer("outbound")
        self._heard = False  # the first agent audio has gone out (issue 12)

    # -- lifecycle ---------------------------------------------------------------------------------

    async def run(self) -> None:
        self.runtime.bridges[self.call_id] = self
        try:
            owners = call_owners(self.state)
            async with (
                owners.own(self.call_id, on_command=self._on_command, on_lost=self._on_owner_lost),
                slot_kept(self.state, org_id=self.org.org_id, call_id=self.call_id),
            ):
                await self._run_owned()
        except CallOwned:  # another worker already runs this call: leave it alone
            self.closing = True
            await asyncio.gather(self._close_twilio(), self._close_upstream())
        finally:
            if not self.closing:  # cancelled (shutdown): at least give the upstream session back
                await self._close_upstream()
            self.runtime.bridges.pop(self.call_id, None)
            self._finished.set()

    async def _on_command(self, command: Command) -> None:
        if isinstance(command, TransferCommand):
            self.agent.queue("transfer")  # the agent decides: the hand-off line, then the transfer
            return
        if isinstance(command, HangupCommand):
            await self.hang_up(command.reason)
        elif isinstance(command, EndCommand):
            self._set_end(command.reason or "ended", command.status)
        else:  # supersede: not for phone calls
            return
        self._stop_requested.set()

    def _on_owner_lost(self, reason: LostReason) -> None:
        self._set_end("owner_lost", "failed")
        self._stop_requested.set()

    async def _run_owned(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pump_twilio(), name=f"twilio-{self.call_id}")
                group.create_task(self._pump_upstream(), name=f"openai-{self.call_id}")
                group.create_task(self.agent.run(), name=f"agent-{self.call_id}")
                group.create_task(self._watch(), name=f"watch-{self.call_id}")
        except* CallEnded:
            pass
        except* Exception as failure:  # a bug: end the call rather than leave the caller in silence
            log.error("bridge_failed", extra={"error_type": type(failure.exceptions[0]).__name__})
            self._set_end("bridge_error", "failed")
        await self._wrap_up()

    async def stop(self, reason: str, *, status: str, wait_seconds: float) -> None:
        """End the call from outside (the status webhook) and wait for it to be finalized."""
        self._set_end(reason, status)
        self._stop_requested.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_seconds):
                await self._finished.wait()

    def _set_end(self, reason: str, status: str = "completed") -> None:
        if self._end_reason is None:
            self._end_reason, self._end_status = reason, status

    def end(self, reason: str, status: str = "completed") -> NoReturn:
        """End the call from inside its task group (the first reason recorded wins)."""
        self._set_end(reason, status)
        raise CallEnded()

    close = end  # the Channel name

    # -- the Channel the agent drives ----------------------------------------------------------------

    @property
    def responding(self) -> bool:
        return self.active_response is not None

    @property
    def can_transfer(self) -> bool:
        return policy.can_transfer("phone", self.org.config, rest_available=self.runtime.calls is not None)

    async def wait_heard(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self.playback.drained.wait()  # the last mark is back: the line has been heard
        except TimeoutError:
            return False
        return True

    async def transfer(self) -> bool:
        calls = self.runtime.calls
        if calls is None:
            raise TransferFailed()
        try:
            return await calls.redirect(self.call_sid, actions.dial_escalation(self.runtime, self.org))
        except TwilioRestFailed as exc:
            raise TransferFailed() from exc

    async def hang_up(self, reason: str) -> None:
        # Before the REST call: Twilio's stop for this hang-up may arrive before its answer.
        self._set_end(reason)
        calls = self.runtime.calls
        if calls is not None:
            # If this fails, closing the stream ends the call too: no verb follows </Connect>.
            with contextlib.suppress(TwilioRestFailed):
                await calls.hang_up(self.call_sid)

    def _end_upstream(self, reason: str) -> NoReturn:
        if self._end_reason is None:
            self._upstream_failed = True
        self.end(reason, "failed")

    async def _wrap_up(self) -> None:
        self.closing = True
        reason, status = self._end_reason or "ended", self._end_status
        log.info("bridge_ended", extra={"reason": reason, "barge_ins": self.barge_ins})
        if self._upstream_failed:
            await actions.apologize(self.runtime, self.org, self.call_sid)
        await asyncio.gather(self._close_twilio(), self._close_upstream())
        for line in self.playback.flush():
            self.agent.queue("turn", "agent", line)
        # What arrived before the end still belongs to the call: the last lines, a late complete_intake.
        await self.agent.finish()
        await end_channel_call(self.state, self.org, self.call_id, reason=reason, status=status)

    async def _close_twilio(self) -> None:
        with contextlib.suppress(*_TWILIO_GONE, OSError):
            await self._ws.close(1000)

    async def _close_upstream(self) -> None:
        with contextlib.suppress(Exception):
            await self._upstream.close()

    # -- Twilio -> OpenAI --------------------------------------------------------------------------

    async def _pump_twilio(self) -> None:
        # Starlette's WebSocket.receive re-checks its state machine on every message; this pump (50
        # messages a call-second) reads the ASGI receive beneath it and keeps that state right itself.
        # With the relay socket it sees only what `_relay_now` declined: stop, marks it cannot slice,
        # and media while the upstream cannot take a frame at once.
        receive = self._ws._receive
        send_up = self._upstream.send
        payload_of = protocol.inbound_payload
        append = events.append_audio
        clock, relayed = time.perf_counter, self._relayed_in
        socket = self._socket
        if socket is not None:
            socket.text_hook = self._relay_now
        try:
            while True:
                self._pump_waiting = True
                message = await receive()
                self._pump_waiting = False
                received = clock()
                text = message.get("text")
                if text is None:
                    if message["type"] == "websocket.disconnect":
                        self._ws.client_state = WebSocketState.DISCONNECTED
                        self.end("stream_closed")
                    continue  # binary frames are not Twilio's
                payload = payload_of(text)
                if payload is None:
                    await self._on_twilio_event(text)
                    continue
                try:
                    await send_up(append(payload))
                    relayed(clock() - received)
                except ConnectionClosed:
                    self._end_upstream("upstream_closed")
        finally:
            self._pump_waiting = False
            if socket is not None:
                socket.text_hook = None

    def _relay_now(self, text: str) -> bool:
        """From the socket's data_received: a caller's media frame to OpenAI, or the echo of a mark to
        playback; False leaves the frame (or any other message) to the pump. Only while the pump waits
        with nothing before this frame, so frames keep their order."""
        if not self._pump_waiting:
            return False
        payload = protocol.inbound_payload(text)
        if payload is None:
            name = protocol.mark_name(text)
            if name is None:
                return False
            for line in self.playback.on_mark(name):
                self.agent.queue("turn", "agent", line)
            return True
        started = time.perf_counter()
        try:
            if not self._upstream.send_now(events.append_audio(payload)):
                return False
        except Exception:  # a failed write: the pump's send ends the call with the right reason
            return False
        self._relayed_in(time.perf_counter() - started)
        return True

    async def _on_twilio_event(self, text: str) -> None:
        name = protocol.mark_name(text)  # the echo of a mark per relayed chunk: sliced, not parsed
        event = protocol.parse(text) if name is None else None
        if isinstance(event, protocol.Mark):
            name = event.mark.name
        if name is not None:
            for line in self.playback.on_mark(name):
                self.agent.queue("turn", "agent", line)
        elif isinstance(event, protocol.Stop):
            self.end("caller_hung_up")
        elif isinstance(event, protocol.Media):
            if event.media.track in (None, "inbound"):
                try:
                    await self._upstream.send(events.append_audio(event.media.payload))
                except ConnectionClosed:
                    self._end_upstream("upstream_closed")
        elif isinstance(event, protocol.Dtmf):
            log.info("dtmf_ignored")  # never the digit
        elif event is None:
            log.debug("twilio_message_skipped")

    # -- OpenAI -> Twilio --------------------------------------------------------------------------

    async def _pump_upstream(self) -> None:
        # With the relay socket and the relay connection, audio deltas are played from the upstream's
        # data_received (`_play_now`) while this pump waits; it sees them only when Twilio cannot take
        # a frame at once.
        send = self._ws.send_text
        socket = self._socket
        sid = self._stream_sid
        on_audio = self.playback.on_audio
        sliced = events.audio_delta
        size = events.base64_size
        clock, relayed = time.perf_counter, self._relayed_out
        recv = self._upstream.ws.recv
        hooked = socket is not None and self._upstream.set_text_hook(self._play_now)
        try:
            while True:
                self._upstream_waiting = True
                raw = await recv()
                self._upstream_waiting = False
                received = clock()
                text = raw if isinstance(raw, str) else raw.decode()
                hit = sliced(text)
                if hit is None:
                    await self._on_upstream_event(text)
                    continue
                if socket is not None and socket.can_send_now():
                    self._play(hit, received)
                    continue
                name = on_audio(hit[0], size(hit[1]))
                if name is None:
                    continue  # a late chunk of an item the caller interrupted
                try:  # the ASGI send: uvicorn's own protocol, or Twilio's socket is backed up
                    await send(protocol.media(sid, hit[1]))
                    relayed(clock() - received)
                    self._heard = self._heard or metrics.first_agent_audio(self._started_at)
                    await send(protocol.mark(sid, name))
                except _TWILIO_GONE:
                    self.end("stream_closed")
        except ConnectionClosed:
            pass
        finally:
            self._upstream_waiting = False
            if hooked:
                self._upstream.set_text_hook(None)
        self._end_upstream("upstream_closed")

    def _play_now(self, text: str) -> bool:
        """From the upstream's data_received: an agent audio delta to Twilio with its mark, when the pump
        waits with nothing before it and Twilio can take both frames now; False leaves it (or any other
        event) to the pump."""
        socket = self._socket
        if not self._upstream_waiting or socket is None or not socket.can_send_now():
            return False
        hit = events.audio_delta(text)
        if hit is None:
            return False
        self._play(hit, time.perf_counter())
        return True

    def _play(self, hit: tuple[str, str], received: float) -> None:
        """(item id, base64 delta) to Twilio with its mark, written now: only after `can_send_now()`."""
        socket = self._socket
        assert socket is not None
        name = self.playback.on_audio(hit[0], events.base64_size(hit[1]))
        if name is None:
            return  # a late chunk of an item the caller interrupted
        socket.send_text_now(protocol.media(self._stream_sid, hit[1]))
        self._relayed_out(time.perf_counter() - received)
        self._heard = self._heard or metrics.first_agent_audio(self._started_at)
        socket.send_text_now(protocol.mark(self._stream_sid, name))

    async def _on_upstream_event(self, text: str) -> None:
        event = events.parse(text)
        if isinstance(event, events.SpeechStarted):
            await self.cut_playback()
        elif isinstance(event, events.InputTranscriptionCompleted):
            self.agent.queue("turn", "caller", event.transcript)
        elif isinstance(event, events.OutputTranscriptDone):
            line = self.playback.on_transcript(event.item_id, event.transcript)
            if line:
                self.agent.queue("turn", "agent", line)
        elif isinstance(event, events.FunctionCallArgumentsDone):
            self.agent.queue("tool", event)
        elif isinstance(event, events.ResponseCreated):
            self.active_response = event.response.id
        elif isinstance(event, events.ResponseDone):
            if self.active_response == event.response.id:
                self.active_response = None
            self.agent.queue("response_done", event)
        elif isinstance(event, events.Error):
            self._on_error(event.error)
        elif isinstance(event, events.AudioDelta):  # a delta in a shape the slicer does not take
            name = self.playback.on_audio(event.item_id, events.base64_size(event.delta))
            if name is not None:
                await self._send_twilio(protocol.media(self._stream_sid, event.delta))
                await self._send_twilio(protocol.mark(self._stream_sid, name))

    def _on_error(self, error: events.ErrorDetail) -> None:
        log.warning("openai_error", extra={"code": error.code, "error_kind": error.type})
        if error.type == "server_error" or error.code in FATAL_ERROR_CODES:
            self._end_upstream("upstream_error")
        if error.code == "conversation_already_has_active_response" and error.event_id:
            self.agent.queue("create_rejected", error.event_id)

    async def cut_playback(self) -> None:
        """Barge-in: stop what the caller hears and tell OpenAI how much of the item they heard."""
        cut, lines = self.playback.cut()
        if cut is None:
            return
        self.barge_ins += 1
        await self._send_twilio(protocol.clear(self._stream_sid))
        await self.send_upstream(events.truncate(cut.item_id, cut.audio_end_ms))
        for line in lines:
            self.agent.queue("turn", "agent", line)

    async def _send_twilio(self, text: str) -> None:
        socket = self._socket
        if socket is not None and socket.send_text_now(text):
            return
        try:
            await self._ws.send_text(text)
        except _TWILIO_GONE:
            self.end("stream_closed")

    async def send_upstream(self, text: str) -> None:
        if self.closing:
            return
        try:
            await self._upstream.send(text)
        except ConnectionClosed:
            self._end_upstream("upstream_closed")

    # -- watch: time limit, heartbeat, stop requests -----------------------------------------------

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        limits = self.state.settings.calls
        deadline = loop.time() + self._started_at.timestamp() + limits.max_duration_seconds - time.time()
        interval = min(ACTIVITY_INTERVAL, limits.idle_timeout_seconds / 3)
        next_touch = loop.time() + interval
        while True:
            reraise_swallowed_cancel()
            now = loop.time()
            if now >= deadline:
                await self._time_limit()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, min(deadline, next_touch) - now)):
                    await self._stop_requested.wait()
                    raise CallEnded()
            if loop.time() >= next_touch:
                # Only marks activity, so the sweeper's idle timeout never ends a healthy silent call.
                await self.state.live_store.touch(self.call_id)
                next_touch = loop.time() + interval

    async def _time_limit(self) -> NoReturn:
        calls = self.runtime.calls
        if calls is not None:
            with contextlib.suppress(TwilioRestFailed):
                await calls.redirect(
                    self.call_sid,
                    twiml.say_and_hang_up(twiml.TIME_LIMIT, language=self.org.config.language),
                )
        self.end("max_duration")
