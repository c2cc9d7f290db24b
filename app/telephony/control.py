"""The slow side of a phone call, one job at a time and in arrival order: transcript lines (with
server-side detection), tool calls, and the transfer or hang-up they lead to.

Tool results go back as `function_call_output`; the `response.create` that follows waits for the
`response.done` of the response that called the tools (asking earlier is refused while it is active).
A transfer or hang-up waits for the tagged response that carries the hand-off line or the goodbye, then
for its last mark to come back (the caller heard it), then calls Twilio's REST API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

from app.calls import errors as call_errors
from app.calls import service
from app.calls.schemas import Escalation, Speaker, TurnIn
from app.realtime import events
from app.safety.errors import InvalidToolArguments, UnknownTool
from app.telephony import actions
from app.telephony.twilio_client import TwilioRestFailed

if TYPE_CHECKING:
    from app.telephony.bridge import PhoneBridge

log = logging.getLogger("callintake.telephony")

ACTION_TIMEOUT = 10.0  # transfer / hang up even if the model's last response never completes
DRAIN_TIMEOUT = 20.0  # the longest the last line may play before the transfer or hang-up
JOB_QUEUE_SIZE = 1024
MAX_TURN_CHARS = 8000


class CallEnded(Exception):
    """Raised inside a call's task group to end the call; the reason is recorded first."""


def reraise_swallowed_cancel() -> None:
    # Python 3.11's asyncio.wait_for (used inside redis-py) returns a result and drops a cancellation
    # that lands as its inner call completes; the task group would then wait on this task forever.
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()


def call_event(type_: str, **data: Any) -> dict[str, Any]:
    return {"type": type_, "at": service.utcnow().isoformat(), "data": data}


class CallControl:
    def __init__(self, bridge: PhoneBridge) -> None:
        self._bridge = bridge
        self._call_uuid = uuid.UUID(bridge.call_id)
        self._jobs: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue(JOB_QUEUE_SIZE)
        self._writing: asyncio.Future[None] | None = None
        self._seen_tools: set[str] = set()
        self._escalated = False
        self._outputs_pending = False
        self._creates = 0
        self._action: str | None = None
        self._action_tag: str | None = None
        self._action_deadline = 0.0

    def queue(self, *job: Any) -> None:
        """From the pumps, never blocking: ("turn", speaker, text), ("tool", event), ("response_done", event),
        ("create_rejected", event_id)."""
        try:
            self._jobs.put_nowait(job)
        except asyncio.QueueFull:
            log.error("call_job_dropped", extra={"job": job[0]})

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            reraise_swallowed_cancel()
            if self._action is None:
                job = await self._jobs.get()
            else:
                remaining = self._action_deadline - loop.time()
                if remaining <= 0:
                    await self._perform_action()
                    continue
                try:
                    async with asyncio.timeout(remaining):
                        job = await self._jobs.get()
                except TimeoutError:
                    continue
            await self._handle(job)

    async def finish(self) -> None:
        """After the call ended: complete the write in flight, then the lines and tools still queued."""
        if self._writing is not None:
            await asyncio.gather(self._writing, return_exceptions=True)
        while not self._jobs.empty():
            with contextlib.suppress(CallEnded):
                await self._handle(self._jobs.get_nowait())

    async def _handle(self, job: tuple[Any, ...]) -> None:
        kind = job[0]
        if kind in ("turn", "tool"):
            # Short writes that must not be cut in half when the call ends: they run in their own task,
            # and `finish` waits for it before the call is finalized.
            work = self._append(job[1], job[2]) if kind == "turn" else self._tool(job[1])
            self._writing = asyncio.ensure_future(work)
            await asyncio.shield(self._writing)
        elif kind == "response_done":
            await self._response_done(job[1])
        elif kind == "create_rejected" and not self._bridge.closing:
            if self._action_tag == job[1]:
                self._action_tag = None
            self._outputs_pending = True  # ask again once the active response is done

    # -- transcript and server-side detection -------------------------------------------------------

    async def _append(self, speaker: Speaker, text: str) -> None:
        text = text.strip()[:MAX_TURN_CHARS]
        if not text:
            return
        bridge = self._bridge
        try:
            async with bridge.state.session_factory() as session:
                result = await service.append_transcript(
                    session,
                    bridge.state.live_store,
                    org=bridge.org,
                    call_id=self._call_uuid,
                    turns=[TurnIn(speaker=speaker, text=text)],
                )
        except (call_errors.CallAlreadyEnded, call_errors.CallNotFound):
            bridge.end("call_ended_elsewhere")
        if result.escalation is not None and speaker == "caller" and not bridge.closing:
            await self._escalate_detected(result.escalation, result.accepted)

    async def _escalate_detected(self, escalation: Escalation, accepted: list[int]) -> None:
        """Detection found an emergency or a request for a person: escalate whether or not the model does."""
        if self._escalated:
            return
        self._escalated = True
        bridge = self._bridge
        urgency = "emergency" if escalation.category == "emergency" else "urgent"
        seq = accepted[0] if accepted else len(self._seen_tools)
        async with bridge.state.session_factory() as session:
            await service.apply_tool_call(
                session,
                bridge.state.live_store,
                org=bridge.org,
                call_id=self._call_uuid,
                name="escalate_call",
                arguments={"reason": escalation.reason, "urgency": urgency},
                tool_call_id=f"detect-{seq}",
                source="detection",
            )
        transfer = actions.can_transfer(bridge.runtime, bridge.org)
        if transfer:
            self._plan("transfer")
        log.info("server_escalation", extra={"category": escalation.category, "transfer": transfer})
        if bridge.active_response is not None:
            await bridge.send_upstream(events.response_cancel())
        await bridge.cut_playback()
        instructions = actions.detected_instructions(escalation, bridge.org.config, transfer=transfer)
        await bridge.send_upstream(events.system_message(instructions))
        await self._create_response()

    # -- tools --------------------------------------------------------------------------------------

    async def _tool(self, call: events.FunctionCallArgumentsDone) -> None:
        if call.call_id in self._seen_tools:
            return
        self._seen_tools.add(call.call_id)
        bridge = self._bridge
        try:
            async with bridge.state.session_factory() as session:
                _, output, repeated = await service.apply_tool_call(
                    session,
                    bridge.state.live_store,
                    org=bridge.org,
                    call_id=self._call_uuid,
                    name=call.name,
                    arguments=call.arguments,
                    tool_call_id=call.call_id,
                )
        except (InvalidToolArguments, UnknownTool) as exc:
            log.info("tool_rejected", extra={"code": exc.code})
            output = {"status": "error", "error": exc.code, "message": exc.message, "details": exc.details}
        except (call_errors.CallAlreadyEnded, call_errors.CallNotFound):
            bridge.end("call_ended_elsewhere")
        else:
            if not repeated and call.name == "escalate_call":
                self._escalated = True
                if actions.can_transfer(bridge.runtime, bridge.org):
                    self._plan("transfer")
            elif not repeated and call.name == "end_call":
                self._plan("hang_up")
        if bridge.closing:
            return
        await bridge.send_upstream(events.function_call_output(call.call_id, output))
        self._outputs_pending = True

    async def _response_done(self, done: events.ResponseDone) -> None:
        if self._bridge.closing:
            return
        tag = (done.response.metadata or {}).get("callintake")
        if self._action is not None and tag is not None and tag == self._action_tag:
            await self._perform_action()
        elif self._outputs_pending:
            self._outputs_pending = False
            await self._create_response()

    async def _create_response(self) -> None:
        self._creates += 1
        tag = f"ci-{self._creates}"
        if self._action is not None and self._action_tag is None:
            # The action waits for this response: the hand-off line or the goodbye.
            self._action_tag = tag
            self._action_deadline = asyncio.get_running_loop().time() + ACTION_TIMEOUT
        await self._bridge.send_upstream(events.response_create(event_id=tag, metadata={"callintake": tag}))

    # -- transfer and hang-up -----------------------------------------------------------------------

    def _plan(self, action: str) -> None:
        if self._action == "transfer":
            return  # a transfer outranks a hang-up
        self._action, self._action_tag = action, None
        self._action_deadline = asyncio.get_running_loop().time() + ACTION_TIMEOUT

    async def _perform_action(self) -> None:
        action, self._action, self._action_tag = self._action, None, None
        bridge = self._bridge
        try:
            async with asyncio.timeout(DRAIN_TIMEOUT):
                await bridge.playback.drained.wait()  # the last mark is back: the line has been heard
        except TimeoutError:
            log.warning("drain_timeout", extra={"action": action})
        if action == "transfer":
            if await self._transfer():
                bridge.end("escalated_transfer")
            return
        calls = bridge.runtime.calls
        if calls is not None:
            # If this fails, closing the stream ends the call too: no verb follows </Connect>.
            with contextlib.suppress(TwilioRestFailed):
                await calls.hang_up(bridge.call_sid)
        bridge.end("agent_end_call")

    async def _transfer(self) -> bool:
        bridge = self._bridge
        calls = bridge.runtime.calls
        live = bridge.state.live_store
        assert calls is not None
        try:
            accepted = await calls.redirect(
                bridge.call_sid, actions.dial_escalation(bridge.runtime, bridge.org)
            )
        except TwilioRestFailed:
            await live.add_event(bridge.call_id, call_event("transfer_failed"))
            await bridge.send_upstream(events.system_message(actions.TRANSFER_FAILED))
            await self._create_response()
            return False
        await live.add_event(bridge.call_id, call_event("transferred", call_active=accepted))
        log.info("call_transferred", extra={"call_active": accepted})
        return True
