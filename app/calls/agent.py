"""The call agent: runs one live call over a Channel, whatever carries its audio. One job at a time, in
arrival order: transcript lines (with server-side detection), tool calls, and the transfer or hang-up they
lead to. Decisions come from safety/policy.py, so both channels tell the same story.

Tool results go back as `function_call_output`; the `response.create` that follows waits for the
`response.done` of the response that called the tools (asking earlier is refused while it is active).
A transfer or hang-up waits for the tagged response that carries the hand-off line or the goodbye, then
until the caller has heard it (the channel knows how), then asks the channel to act.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from app import tracing
from app.calls import errors as call_errors
from app.calls import service
from app.calls.channel import (
    CallContext,
    CallEnded,
    Channel,
    TransferFailed,
    call_event,
    reraise_swallowed_cancel,
)
from app.calls.schemas import Escalation, Speaker, TurnIn
from app.realtime import events
from app.safety import policy
from app.safety.detection import Detection
from app.safety.errors import InvalidToolArguments, UnknownTool

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("callintake.agent")

ACTION_TIMEOUT = 10.0  # transfer / hang up even if the model's last response never completes
DRAIN_TIMEOUT = 20.0  # the longest the last line may play before the transfer or hang-up
JOB_QUEUE_SIZE = 1024
MAX_TURN_CHARS = 8000
AGENT_END_REASON = "agent_end_call"


class CallAgent:
    def __init__(self, channel: Channel, context: CallContext, *, source: str = "tool") -> None:
        self._channel = channel
        self._ctx = context
        self._call_uuid = uuid.UUID(context.call_id)
        self._source = source
        self._jobs: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue(JOB_QUEUE_SIZE)
        self._writing: asyncio.Future[None] | None = None
        self._db: AsyncSession | None = None
        self._seen_tools: set[str] = set()
        self._escalated = False
        self._outputs_pending = False
        self._creates = 0
        self._action: str | None = None
        self._action_tag: str | None = None
        self._action_deadline = 0.0

    def queue(self, *job: Any) -> None:
        """From the channel, never blocking: ("turn", speaker, text), ("tool", FunctionCallArgumentsDone),
        ("response_done", ResponseDone), ("create_rejected", event_id), ("transfer",) (a TransferCommand)."""
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
        if self._db is not None:
            await self._db.close()
            self._db = None

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        """The session the calls.service writes take. A line or a tool reads the live store, and only a
        call missing from it (ended elsewhere) is looked up in the database, so one session object is
        reused for the call (making one per line cost ~0.1 ms, a tenth of the line) and closed as soon as
        a write did use it: no connection or transaction is ever held between two jobs."""
        session = self._db
        if session is None:
            session = self._db = self._ctx.session_factory()
        try:
            yield session
        finally:
            if session.in_transaction():
                await session.close()

    async def _handle(self, job: tuple[Any, ...]) -> None:
        kind = job[0]
        if kind in ("turn", "tool"):
            # Short writes that must not be cut in half when the call ends: they run in their own task,
            # and `finish` waits for it before the call is finalized.
            work = self._append(job[1], job[2]) if kind == "turn" else self._tool(job[1])
            self._writing = asyncio.ensure_future(work)
            await asyncio.shield(self._writing)
        elif kind == "escalation" and not self._channel.closing:
            await self._escalate_detected(job[1])
        elif kind == "response_done":
            await self._response_done(job[1])
        elif kind == "transfer" and not self._channel.closing:
            await self._transfer_requested()
        elif kind == "create_rejected" and not self._channel.closing:
            if self._action_tag == job[1]:
                self._action_tag = None
            self._outputs_pending = True  # ask again once the active response is done

    # -- transcript and server-side detection -------------------------------------------------------

    async def _append(self, speaker: Speaker, text: str) -> None:
        text = text.strip()[:MAX_TURN_CHARS]
        if not text:
            return
        ctx = self._ctx
        try:
            async with self._session() as session:
                result = await service.append_transcript(
                    session,
                    ctx.live_store,
                    org=ctx.org,
                    call_id=self._call_uuid,
                    turns=[TurnIn(speaker=speaker, text=text)],
                    second_opinion=ctx.second_opinion if speaker == "caller" else None,
                    on_escalation=self._late_escalation,
                )
        except (call_errors.CallAlreadyEnded, call_errors.CallNotFound):  # CallEnding too
            self._channel.close("call_ended_elsewhere")
        if result.escalation is not None and speaker == "caller" and not self._channel.closing:
            await self._escalate_detected(result.escalation)

    async def _late_escalation(self, detection: Detection) -> None:
        """The second opinion escalated after the line was answered: act on it like a detection."""
        self.queue("escalation", service.detection_escalation(detection, self._ctx.org.config))

    async def _escalate_detected(self, escalation: Escalation) -> None:
        """Detection found an emergency or a request for a person and already escalated the call (its one
        escalation write, in calls/escalation.py): say so, then transfer or leave it for a call back."""
        if self._escalated:
            return
        self._escalated = True
        channel = self._channel
        transfer = channel.can_transfer
        if transfer:
            self._plan("transfer")
        log.info("server_escalation", extra={"category": escalation.category, "transfer": transfer})
        if channel.responding:
            await channel.send_upstream(events.response_cancel())
        await channel.cut_playback()
        instructions = policy.detected_instructions(
            escalation.category, escalation.matched, self._ctx.org.config, transfer=transfer
        )
        await channel.send_upstream(events.system_message(instructions))
        await self._create_response()

    # -- tools --------------------------------------------------------------------------------------

    async def _tool(self, call: events.FunctionCallArgumentsDone) -> None:
        if call.call_id in self._seen_tools:
            return
        self._seen_tools.add(call.call_id)
        ctx, channel = self._ctx, self._channel
        try:
            async with self._session() as session:
                _, output, repeated = await service.apply_tool_call(
                    session,
                    ctx.live_store,
                    org=ctx.org,
                    call_id=self._call_uuid,
                    name=call.name,
                    arguments=call.arguments,
                    tool_call_id=call.call_id,
                    source=self._source,
                    transfer=channel.can_transfer,
                )
        except (InvalidToolArguments, UnknownTool) as exc:
            log.info("tool_rejected", extra={"code": exc.code})
            output = {"status": "error", "error": exc.code, "message": exc.message, "details": exc.details}
        except (call_errors.CallAlreadyEnded, call_errors.CallNotFound):  # CallEnding too
            channel.close("call_ended_elsewhere")
        else:
            if not repeated and call.name == "escalate_call":
                self._escalated = True
                if channel.can_transfer:
                    self._plan("transfer")
            elif not repeated and call.name == "end_call":
                self._plan("hang_up")
        if channel.closing:
            return
        await channel.send_upstream(events.function_call_output(call.call_id, output))
        self._outputs_pending = True

    async def _response_done(self, done: events.ResponseDone) -> None:
        if self._channel.closing:
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
        await self._channel.send_upstream(events.response_create(event_id=tag, metadata={"callintake": tag}))

    # -- transfer and hang-up -----------------------------------------------------------------------

    def _plan(self, action: str) -> None:
        if self._action == "transfer":
            return  # a transfer outranks a hang-up
        self._action, self._action_tag = action, None
        self._action_deadline = asyncio.get_running_loop().time() + ACTION_TIMEOUT

    async def _perform_action(self) -> None:
        action, self._action, self._action_tag = self._action, None, None
        channel = self._channel
        if not await channel.wait_heard(DRAIN_TIMEOUT):
            log.warning("drain_timeout", extra={"action": action})
        if action == "transfer":
            await self._transfer()
            return
        # The agent's reason goes with the hang-up: the end the hang-up itself causes (Twilio's stop, the
        # sideband closing, a status callback on another worker) arrives after it and never replaces it.
        await channel.hang_up(AGENT_END_REASON)
        channel.close(AGENT_END_REASON)

    async def _transfer_requested(self) -> None:
        """A person asked for the call from outside it (a transfer command, from any worker): a call the
        channel can hand over says the hand-off line and transfers; any other is promised a call back."""
        channel = self._channel
        transfer = channel.can_transfer
        outcome = "live" if transfer else "callback"
        ctx = self._ctx
        await ctx.live_store.add_event(ctx.call_id, call_event("transfer_requested", transfer=outcome))
        log.info("transfer_requested", extra={"transfer": outcome})
        if self._action == "transfer":
            return  # already on its way: the hand-off line has been asked for
        if transfer:
            self._plan("transfer")
        if channel.responding:
            await channel.send_upstream(events.response_cancel())
        await channel.cut_playback()
        instructions = policy.requested_transfer_instructions(transfer=transfer)
        await channel.send_upstream(events.system_message(instructions))
        await self._create_response()

    async def _transfer(self) -> None:
        live, call_id = self._ctx.live_store, self._ctx.call_id
        try:
            accepted = await self._channel.transfer()
        except TransferFailed:
            await live.add_event(call_id, call_event("transfer_failed"))
            tracing.call_event("transfer", outcome="failed")  # issue 12
            await self._channel.send_upstream(events.system_message(policy.TRANSFER_FAILED))
            await self._create_response()
            return
        await live.add_event(call_id, call_event("transferred", call_active=accepted))
        log.info("call_transferred", extra={"call_active": accepted})
        tracing.call_event("transfer", outcome="transferred", call_active=accepted)  # issue 12
        self._channel.close("escalated_transfer")
