"""The sideband channel of one browser call: the server's own WebSocket to the browser's WebRTC call
(`?call_id=rtc_...`, standard key), over which the call agent runs. No audio passes through us.

One task group per call:
- `_pump`: sideband events for the agent (caller and agent lines, tools, responses), what the caller is
  hearing (`output_audio_buffer.*`), a browser's `session.update` undone, and the loss of the socket
  (one re-attach; a 404 `call_id_not_found` means the call has ended).
- `agent.run` (calls/agent.py): the same agent as a phone call, with no transfer.
- `_watch`: the end from elsewhere (`/api/call/end`), a newer WebRTC call for the same call (resume), the
  idle timer, the maximum duration, and the live-store heartbeat.
Whatever ends the call records one reason, hangs up OpenAI's side (closing the socket does not end a
WebRTC call) and finalizes the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import Any, NoReturn

from websockets.exceptions import ConnectionClosed

from app import tracing
from app.calls.agent import CallAgent
from app.calls.channel import (
    CallContext,
    CallEnded,
    TransferFailed,
    call_event,
    end_channel_call,
    reraise_swallowed_cancel,
)
from app.calls.owner import (
    CallOwned,
    Command,
    EndCommand,
    HangupCommand,
    LostReason,
    SupersedeCommand,
    TransferCommand,
    call_owners,
)
from app.calls.second_opinion import EXTRAS_KEY as SECOND_OPINION_KEY
from app.calls.service import OrgContext
from app.calls.slots import slot_kept
from app.errors import AppError
from app.logging import bind_call_context
from app.realtime import errors, events
from app.realtime.client import RealtimeClient
from app.realtime.upstream import GREETING_EVENT_ID, Upstream, attach_sideband
from app.state import AppState

log = logging.getLogger("callintake.sideband")

EXTRAS_KEY = "sideband"
POLL_SECONDS = 1.0  # how soon an end from elsewhere (REST, a resume) is noticed
HEARTBEAT_SECONDS = 30.0
MAX_REASSERTS = 20  # a browser that keeps overriding is undone this often, then only recorded
MAX_REATTACHES = 5  # one attempt per loss; a socket that keeps dropping ends the call
FATAL_ERROR_CODES = frozenset({"session_expired", "invalid_api_key", "insufficient_quota"})
# Ends after which OpenAI's side is already gone. A superseded call's own (older) WebRTC call is hung up.
_NO_HANGUP = frozenset({"openai_call_ended"})


def _tool_key(tool: Any) -> Any:
    if not isinstance(tool, dict):
        return tool
    return {key: tool.get(key) for key in ("type", "name", "description", "parameters")}


def _same_tools(seen: Any, ours: list[dict[str, Any]]) -> bool:
    return isinstance(seen, list) and [_tool_key(t) for t in seen] == [_tool_key(t) for t in ours]


class SidebandCall:
    """One browser call's sideband; the agent's Channel."""

    def __init__(
        self,
        *,
        state: AppState,
        org: OrgContext,
        call_id: str,
        openai_call_id: str,
        session: dict[str, Any],
        started_at: datetime,
    ) -> None:
        self.state = state
        self.org = org
        self.call_id = call_id
        self.openai_call_id = openai_call_id
        self._client: RealtimeClient = state.extras["realtime_client"]
        self._instructions = session.get("instructions")
        self._model = session.get("model")
        self._tools: list[dict[str, Any]] = list(session.get("tools") or [])
        self._started_at = started_at
        self._upstream: Upstream | None = None
        self.agent = CallAgent(
            self,
            CallContext(
                state.session_factory,
                state.live_store,
                org,
                call_id,
                state.extras.get(SECOND_OPINION_KEY),
            ),
        )
        self.closing = False
        self.active_response: str | None = None
        self._heard = asyncio.Event()
        self._heard.set()
        self._reasserting = False
        self._reasserts = 0
        self._hanging_up = False
        self._hung_up = False
        self._reattaches = 0
        self._last_event = 0.0
        self._end_reason: str | None = None
        self._end_status = "completed"
        self._superseded = asyncio.Event()
        self.finished = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._created()
            owners = call_owners(self.state)
            # A resume takes over from the older sideband, which lets go once it sees it is superseded.
            async with (
                owners.own(
                    self.call_id, on_command=self._on_command, on_lost=self._on_owner_lost, wait_seconds=5.0
                ),
                slot_kept(self.state, org_id=self.org.org_id, call_id=self.call_id),
            ):
                await self._run_owned()
        except CallOwned:
            pass
        finally:
            if not self.closing:  # cancelled (shutdown): the socket at least goes back
                await self._close_socket()
            self.finished.set()

    async def _created(self) -> None:
        """The OpenAI call id on the call (the sweeper hangs it up if this process dies) and its event,
        side by side: written here, off the SDP answer's path, and before this sideband takes the lease."""
        try:
            await asyncio.gather(
                self.state.live_store.update_call(self.call_id, openai_call_id=self.openai_call_id),
                self._record("webrtc_call_created", model=self._model, openai_call_id=self.openai_call_id),
            )
        except Exception as exc:  # a Redis outage: the call runs on (the lease below will say if it can)
            log.warning("webrtc_call_unrecorded", extra={"error_type": type(exc).__name__})

    async def _on_command(self, command: Command) -> None:
        if isinstance(command, SupersedeCommand):
            self.supersede()
            return
        if isinstance(command, TransferCommand):
            self.agent.queue("transfer")  # no transfer here: the agent promises a call back and records it
            return
        if isinstance(command, EndCommand):
            self._set_end(command.reason or "ended", command.status)
        elif isinstance(command, HangupCommand):
            self._set_end(command.reason)
        self._superseded.set()  # wakes _watch, which ends the call with the reason set above

    def _on_owner_lost(self, reason: LostReason) -> None:
        self._set_end("owner_lost", "failed")
        self._superseded.set()

    async def _run_owned(self) -> None:
        try:
            self._upstream = await attach_sideband(self.state.settings.openai, self.openai_call_id)
        except AppError as exc:
            log.warning("sideband_attach_failed", extra={"code": exc.code})
            await self._record("sideband_unavailable", code=exc.code)
            reason = (
                "openai_call_ended"
                if isinstance(exc, errors.SidebandCallNotFound)
                else "sideband_unavailable"
            )
            self._set_end(reason, "failed")
            await self._wrap_up()
            return
        await self._record("sideband_attached")
        self._last_event = asyncio.get_running_loop().time()
        try:
            await self.send_upstream(events.response_create(event_id=GREETING_EVENT_ID))
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pump(), name=f"sideband-{self.call_id}")
                group.create_task(self.agent.run(), name=f"agent-{self.call_id}")
                group.create_task(self._watch(), name=f"watch-{self.call_id}")
        except* CallEnded:
            pass
        except* Exception as failure:  # a bug: end the call rather than leave it running unwatched
            log.error("sideband_failed", extra={"error_type": type(failure.exceptions[0]).__name__})
            self._set_end("sideband_error", "failed")
        await self._wrap_up()

    def supersede(self) -> None:
        """A newer WebRTC call took over this call (a resume): stop without ending the call."""
        self._set_end("superseded")
        self._superseded.set()

    def _set_end(self, reason: str, status: str = "completed") -> None:
        if self._end_reason is None:
            self._end_reason, self._end_status = reason, status

    def close(self, reason: str, status: str = "completed") -> NoReturn:
        self._set_end(reason, status)
        raise CallEnded()

    async def _wrap_up(self) -> None:
        self.closing = True
        reason, status = self._end_reason or "ended", self._end_status
        log.info("sideband_ended", extra={"reason": reason, "reasserts": self._reasserts})
        if reason not in _NO_HANGUP:
            await self.hang_up(reason)
        await self._close_socket()
        await self.agent.finish()
        if reason != "superseded":
            await end_channel_call(
                self.state, self.org, self.call_id, reason=reason, status=status, source="sideband"
            )

    async def _close_socket(self) -> None:
        if self._upstream is not None:
            with contextlib.suppress(Exception):
                await self._upstream.close()

    async def _record(self, type_: str, **data: Any) -> None:
        await self.state.live_store.add_event(self.call_id, call_event(type_, source="server", **data))

    # -- the Channel the agent drives ----------------------------------------------------------------

    @property
    def responding(self) -> bool:
        return self.active_response is not None

    @property
    def can_transfer(self) -> bool:
        return False  # a browser call is escalated for a person to call back

    async def send_upstream(self, text: str) -> None:
        if self.closing or self._upstream is None:
            return
        with contextlib.suppress(ConnectionClosed):  # the pump notices the loss and re-attaches
            await self._upstream.send(text)

    async def cut_playback(self) -> None:
        # WebRTC plays the audio: OpenAI clears the browser's buffer (and truncates what was unheard).
        if not self._heard.is_set():
            await self.send_upstream(events.output_audio_buffer_clear())

    async def wait_heard(self, seconds: float) -> bool:
        # output_audio_buffer.started/stopped bracket what the browser plays; give `started` a moment.
        await asyncio.sleep(0.05)
        try:
            async with asyncio.timeout(seconds):
                await self._heard.wait()
        except TimeoutError:
            return False
        return True

    async def transfer(self) -> bool:
        raise TransferFailed()

    async def hang_up(self, reason: str) -> None:
        # Recorded before OpenAI hears of it: the sideband closing for this hang-up, or the browser
        # reporting its data channel closing meanwhile, is not why the call ended.
        self._set_end(reason)
        if self._hung_up:
            return
        self._hanging_up = True
        try:
            await self._client.hang_up_call(self.openai_call_id)
        except AppError as exc:
            log.warning("openai_hangup_failed", extra={"code": exc.code})
        # Only once it was answered: a hang-up cut short by the call's end (cancelled) goes again at wrap-up.
        self._hung_up = True

    # -- sideband events -----------------------------------------------------------------------------

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            upstream = self._upstream
            assert upstream is not None
            try:
                async for raw in upstream:
                    self._last_event = loop.time()
                    await self._on_event(raw)
            except ConnectionClosed:
                pass
            # A clean close is ambiguous (the call ended, or a proxy rotated the socket): attach again once.
            await self._reattach()

    async def _reattach(self) -> None:
        if self._hanging_up:
            # We hung up ourselves and OpenAI closed the socket for it: the close that follows our
            # hang-up records why the call ended, not this loss.
            await asyncio.Event().wait()
        self._reattaches += 1
        if self._reattaches > MAX_REATTACHES:
            self.close("sideband_lost", "failed")
        try:
            self._upstream = await attach_sideband(self.state.settings.openai, self.openai_call_id)
        except errors.SidebandCallNotFound:
            self.close("openai_call_ended")
        except AppError as exc:
            log.warning("sideband_reattach_failed", extra={"code": exc.code})
            self.close("sideband_lost", "failed")
        await self._record("sideband_reattached")
        log.info("sideband_reattached")

    async def _on_event(self, raw: str | bytes) -> None:
        event = events.parse(raw)
        if isinstance(event, events.InputTranscriptionCompleted):
            self.agent.queue("turn", "caller", event.transcript)
        elif isinstance(event, events.OutputTranscriptDone):
            self.agent.queue("turn", "agent", event.transcript)
        elif isinstance(event, events.FunctionCallArgumentsDone):
            self.agent.queue("tool", event)
        elif isinstance(event, events.ResponseCreated):
            self.active_response = event.response.id
        elif isinstance(event, events.ResponseDone):
            if self.active_response == event.response.id:
                self.active_response = None
            self.agent.queue("response_done", event)
        elif isinstance(event, events.OutputAudioBuffer):
            if event.type == "output_audio_buffer.started":
                self._heard.clear()
            else:
                self._heard.set()
        elif isinstance(event, (events.SessionCreated, events.SessionUpdated)):
            await self._check_session(event.session)
        elif isinstance(event, events.Error):
            self._on_error(event.error)

    async def _check_session(self, session: dict[str, Any] | None) -> None:
        """Undo a browser's `session.update` of the instructions or tools, once per override: our own
        re-assertion is awaited, never re-asserted again, so the two sides cannot loop."""
        if session is None:
            return
        changed = [
            name
            for name, same in (
                ("instructions", session.get("instructions") == self._instructions),
                ("tools", _same_tools(session.get("tools"), self._tools)),
            )
            if not same and name in session
        ]
        if not changed:
            self._reasserting = False
            return
        if self._reasserting or self._reasserts >= MAX_REASSERTS:
            log.warning("session_override_kept", extra={"fields": changed})
            return
        self._reasserting = True
        self._reasserts += 1
        log.warning("session_override_reverted", extra={"fields": changed})
        await self._record("session_override_reverted", fields=changed)
        patch = {"type": "realtime", "instructions": self._instructions, "tools": self._tools}
        await self.send_upstream(events.session_update(patch))

    def _on_error(self, error: events.ErrorDetail) -> None:
        log.warning("openai_error", extra={"code": error.code, "error_kind": error.type})
        if error.type == "server_error" or error.code in FATAL_ERROR_CODES:
            self.close("upstream_error", "failed")
        if error.code == "conversation_already_has_active_response" and error.event_id:
            self.agent.queue("create_rejected", error.event_id)

    # -- watch: ended elsewhere, superseded, idle, time limit, heartbeat --------------------------------

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        limits = self.state.settings.calls
        live = self.state.live_store
        deadline = loop.time() + self._started_at.timestamp() + limits.max_duration_seconds - time.time()
        heartbeat = min(HEARTBEAT_SECONDS, limits.idle_timeout_seconds / 3)
        next_touch = loop.time() + heartbeat
        while True:
            reraise_swallowed_cancel()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._superseded.wait()
                    raise CallEnded()
            now = loop.time()
            if now >= deadline:
                self.close("max_duration")
            if now - self._last_event >= limits.idle_timeout_seconds:
                self.close("idle_timeout")
            call = await live.get_call(self.call_id, ("openai_call_id",))
            if call is None:
                self.close("call_ended_elsewhere")
            if call.openai_call_id not in (None, self.openai_call_id):
                self.close("superseded")
            if now >= next_touch:
                # Only marks activity, so the sweeper's idle timeout never ends a healthy quiet call.
                await live.touch(self.call_id)
                next_touch = now + heartbeat


class SidebandRuntime:
    """The sidebands running in this process, by call id (a resume supersedes the older one)."""

    def __init__(self) -> None:
        self.calls: dict[str, SidebandCall] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, call: SidebandCall) -> None:
        previous = self.calls.get(call.call_id)
        if previous is not None:
            previous.supersede()
        self.calls[call.call_id] = call
        task = asyncio.create_task(self._run(call), name=f"sideband-{call.call_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, call: SidebandCall) -> None:
        bind_call_context(call.call_id, call.org.org_id)  # issue 12: this task's log lines name the call
        try:
            with tracing.call_span(call.call_id, channel="browser", org_id=call.org.org_id):
                await call.run()
        finally:
            if self.calls.get(call.call_id) is call:
                del self.calls[call.call_id]

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def sidebands(state: AppState) -> SidebandRuntime:
    runtime = state.extras.get(EXTRAS_KEY)
    if runtime is None:
        runtime = state.extras[EXTRAS_KEY] = SidebandRuntime()
    assert isinstance(runtime, SidebandRuntime)
    return runtime
