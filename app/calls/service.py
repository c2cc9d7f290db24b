"""Call lifecycle use cases on live state: start, transcript (with server-side detection), tools, reads.

Shared by the browser REST routes and the phone bridge, so both channels behave the same.
Never commits: live-state writes are immediate, and PostgreSQL is written only by finalize.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app import metrics
from app.calls import errors
from app.calls.escalation import (
    detect_turns,
    escalation_instructions,
    raised_urgency,
    record_detections,
    strongest_detection,
)
from app.calls.live_call import LiveCall
from app.calls.live_store import LiveStore
from app.calls.owner import CallOwners, TransferCommand
from app.calls.repository import CallFilters, CallRepository
from app.calls.schemas import (
    CallDetail,
    CallSummary,
    DetectionOut,
    Escalation,
    TranscriptAppended,
    TransferRequested,
    TurnIn,
)
from app.calls.second_opinion import OnEscalation
from app.calls.second_opinion import review as review_second_opinion
from app.calls.text import clean_text
from app.calls.views import detail_from_snapshot, detail_from_stored, summary_from_row
from app.classifier.second_opinion import SecondOpinion
from app.errors import AppError
from app.events import live as live_events
from app.logging import bind_call_context
from app.orgs.auth import OrgPrincipal
from app.orgs.config import OrgConfig
from app.pagination import decode_time_id_cursor, page_of
from app.privacy.modes import redact_text, redact_turn_rows, stream_turn_text
from app.safety import policy
from app.safety.detection import Category, Detection
from app.safety.examples import EMERGENCY_EXAMPLES
from app.safety.prompt import SessionSpec, build_session
from app.safety.tools import validate_tool_arguments
from app.settings import Settings

log = logging.getLogger("callintake.calls")
R = TypeVar("R")

_CONFIG_CACHE: dict[tuple[uuid.UUID, int], OrgConfig] = {}
# The session of each org's latest minute: a prompt reads the clock to the minute (hours, "open now",
# the next opening), so every call an org starts within one minute gets the same session. Keyed by the
# config object (its id, and the entry holds it, so the id cannot be reused while cached: a browser
# call's config without live transfer is another object, `policy.without_live_transfer`) and by
# what else the session is built from. Cleared past 10,000 entries.
_SPEC_CACHE: dict[tuple[int, uuid.UUID, int, str, str, str], tuple[datetime, OrgConfig, SessionSpec]] = {}


@dataclass(frozen=True, slots=True)
class OrgContext:
    """The org a call belongs to, with its parsed config (cached per org and config version)."""

    org_id: uuid.UUID
    org_name: str
    config: OrgConfig
    config_version: int

    @classmethod
    def build(
        cls, org_id: uuid.UUID, org_name: str, config: dict[str, Any], config_version: int
    ) -> OrgContext:
        key = (org_id, config_version)
        parsed = _CONFIG_CACHE.get(key)
        if parsed is None:
            if len(_CONFIG_CACHE) > 10_000:
                _CONFIG_CACHE.clear()
            parsed = _CONFIG_CACHE[key] = OrgConfig.model_validate(config)
        return cls(org_id=org_id, org_name=org_name, config=parsed, config_version=config_version)

    @classmethod
    def from_principal(cls, principal: OrgPrincipal) -> OrgContext:
        return cls.build(principal.org_id, principal.org_name, principal.config, principal.config_version)


@dataclass(frozen=True, slots=True)
class StartedCall:
    call_id: uuid.UUID
    started_at: datetime
    spec: SessionSpec
    org_id: uuid.UUID
    event: dict[str, Any]  # `call_started`, for announce_call


def utcnow() -> datetime:
    return datetime.now(UTC)


def session_spec(org: OrgContext, settings: Settings, now: datetime) -> SessionSpec:
    """The session for a call starting at `now`: built once per config and minute (the prompt's clock
    has minutes, no seconds), from the minute's start. Shared: never mutate it."""
    minute = now.replace(second=0, microsecond=0)
    model, voice = settings.openai.realtime_model, settings.openai.realtime_voice
    key = (id(org.config), org.org_id, org.config_version, org.org_name, model, voice)
    cached = _SPEC_CACHE.get(key)
    if cached is not None and cached[0] == minute and cached[1] is org.config:
        return cached[2]
    spec = build_session(
        org.config,
        minute,
        org_name=org.org_name,
        default_model=model,
        default_voice=voice,
        emergency_phrases=EMERGENCY_EXAMPLES,
    )
    if len(_SPEC_CACHE) >= 10_000:
        _SPEC_CACHE.clear()
    _SPEC_CACHE[key] = (minute, org.config, spec)
    return spec


def _event(type_: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {"type": type_, "at": at.isoformat(), "data": data}


async def start_call(
    live: LiveStore,
    *,
    org: OrgContext,
    settings: Settings,
    channel: str,
    from_number: str | None = None,
    caller_name: str | None = None,
    metadata: dict[str, Any] | None = None,
    twilio_call_sid: str | None = None,
    call_id: uuid.UUID | None = None,
    now: datetime | None = None,
    announce: bool = True,
    spec: SessionSpec | None = None,
) -> StartedCall:
    """Create the call in the live store, pinning the config version and prompt hash it runs with.

    With `announce=False` the caller must await `announce_call` itself: a route overlaps it (a stream
    entry and the `call.started` outbox row) with its own upstream round trip. `spec`: the session the
    caller built already (from `session_spec(org, settings, now)`) to start that round trip first."""
    now = now or utcnow()
    call_id = call_id or uuid.uuid4()
    spec = spec or session_spec(org, settings, now)
    call = LiveCall(
        org_id=org.org_id,
        channel=channel,
        started_at=now,
        config_version=org.config_version,
        prompt_hash=spec.prompt_hash,
        from_number=from_number,
        caller_name=caller_name,
        twilio_call_sid=twilio_call_sid,
        metadata=metadata or {},
    )
    started_event = _event(
        "call_started",
        now,
        channel=channel,
        config_version=org.config_version,
        prompt_hash=spec.prompt_hash,
        open=spec.open_state.is_open,
    )
    if not await live.start(str(call_id), call, events=[started_event]):
        raise errors.CallAlreadyExists()
    bind_call_context(call_id, org.org_id)  # issue 12: the rest of this request logs the call's ids
    log.info("call_started", extra={"call": str(call_id), "channel": channel, "org": str(org.org_id)})
    metrics.call_started(channel, org.org_id)
    started = StartedCall(call_id=call_id, started_at=now, spec=spec, org_id=org.org_id, event=started_event)
    if announce:
        await announce_call(live, started)
    return started


async def announce_call(live: LiveStore, started: StartedCall, *, await_outbox: bool = True) -> None:
    """The started call on the live stream and in the outbox (issue 10); never raises into the call."""
    await live_events.record(
        live, org_id=started.org_id, call_id=started.call_id, event=started.event, await_outbox=await_outbox
    )


async def announced_during(live: LiveStore, started: StartedCall | None, upstream: Awaitable[R]) -> R:
    """`upstream` (an OpenAI round trip) with `announce_call` run beside it. On return the started call
    is on the live stream, and its outbox row is queued but not waited for: the caller's answer does
    not wait on PostgreSQL, and finalize writes the row (same id) if it never commits."""
    if started is None:
        return await upstream
    announcing = asyncio.ensure_future(announce_call(live, started, await_outbox=False))
    try:
        return await upstream
    finally:
        await announcing


# Events written after the answer they belong to has gone (the mint's `session_minted`), held until done.
_AFTER_ANSWER: set[asyncio.Future[None]] = set()


def add_event_after_answer(live: LiveStore, call_id: str, event: dict[str, Any]) -> None:
    """Append `event` without holding up the response: the write is scheduled, not awaited, so it runs
    beside the answer going out rather than in front of it. It is the last thing the request does, so
    nothing in it waits on the event; a failure is logged (as on every background path)."""
    writing = asyncio.ensure_future(_add_event_quietly(live, call_id, event))
    _AFTER_ANSWER.add(writing)
    writing.add_done_callback(_AFTER_ANSWER.discard)


async def _add_event_quietly(live: LiveStore, call_id: str, event: dict[str, Any]) -> None:
    try:
        await live.add_event(call_id, event)
    except Exception as exc:  # a Redis outage (or a bug): logged, never raised into nobody's task
        log.warning("event_unrecorded", extra={"call": call_id, "error_type": type(exc).__name__})


async def live_call(
    session: AsyncSession,
    live: LiveStore,
    *,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    fields: Sequence[str] | None = None,
) -> LiveCall:
    """The live call of this org (only `fields` read when given), or 409 if it already ended, or 404
    (unknown or another org's)."""
    try:
        call = await live.get_call(str(call_id), fields)
    except ValueError:
        raise errors.CallNotFound() from None  # the org that owns it cannot be told: nobody's call
    if call is not None:
        if call.org_id != org_id:
            raise errors.CallNotFound()
        return call
    raise await _not_live(session, org_id=org_id, call_id=call_id)


async def _not_live(session: AsyncSession, *, org_id: uuid.UUID, call_id: uuid.UUID) -> AppError:
    """For a call the live store does not hold for this org: 409 if it ended, else 404."""
    if await CallRepository(session, org_id).exists(call_id):
        return errors.CallAlreadyEnded()
    return errors.CallNotFound()


async def append_transcript(
    session: AsyncSession,
    live: LiveStore,
    *,
    org: OrgContext,
    call_id: uuid.UUID,
    turns: Sequence[TurnIn],
    now: datetime | None = None,
    second_opinion: SecondOpinion | None = None,
    on_escalation: OnEscalation | None = None,
) -> TranscriptAppended:
    """Store the turns, run detection on the caller's, and escalate on the server. With a second
    opinion, the REST path (no `on_escalation`) waits its budget; a channel gets late escalations
    through `on_escalation`."""
    now = now or utcnow()
    rows = [
        {
            "speaker": t.speaker,
            "text": clean_text(t.text),  # vendor speech is cleaned, not refused (the API refuses)
            "at": (t.at or now).astimezone(UTC).isoformat(),
            "seq": t.seq,
            **({"language": t.language} if t.language else {}),
        }
        for t in turns
    ]
    rows = redact_turn_rows(org.config, rows)  # issue 11: before the live store and the live stream
    # One live-store step checks the org, reads what detection needs and appends (issue 8: the phone
    # relay writes about two lines a call-second); the database is asked only about a call not live.
    try:
        appended = await live.append_turns_checked(
            str(call_id), rows, org_id=org.org_id, fields=("escalated", "urgency")
        )
    except ValueError:
        raise errors.CallNotFound() from None  # unreadable: nobody's call, as in `live_call`
    if appended is None:
        raise await _not_live(session, org_id=org.org_id, call_id=call_id)
    call, accepted = appended.call, appended.accepted
    streamed = None
    if stream_turn_text(org.config):
        # Queued on the live stream now and written beside detection, not in front of it.
        streamed = live_events.turns(live, org_id=org.org_id, call_id=call_id, rows=rows, accepted=accepted)
    try:
        detect_started = time.perf_counter()
        found = detect_turns(org.config, turns, accepted)
        metrics.detection_seconds(time.perf_counter() - detect_started)  # issue 12
        strongest = await record_detections(live, call_id=str(call_id), call=call, found=found, now=now)
        raised = None
        if second_opinion is not None and second_opinion.enabled:
            raised = await review_second_opinion(
                second_opinion,
                live,
                call_id=call_id,
                turns=turns,
                accepted=accepted,
                found=found,
                on_escalation=on_escalation,
            )
            strongest = strongest or raised
        escalation = detection_escalation(strongest, org.config) if strongest is not None else None
        fired = strongest_detection(found)
        if raised is not None and (fired is None or fired.category is Category.none):
            fired = raised
        detection = None
        if fired is not None and fired.category is not Category.none:
            detection = DetectionOut(
                category=fired.category.value,
                reason=fired.reason,
                matched=fired.matched,
                language=fired.language,
            )
        return TranscriptAppended(accepted=accepted, escalation=escalation, detection=detection)
    finally:
        if streamed is not None:
            await streamed


def detection_escalation(detection: Detection, config: OrgConfig) -> Escalation:
    """What the channel is told to do about an escalating detection (emergency or a person)."""
    return Escalation(
        category="emergency" if detection.category is Category.emergency else "human_request",
        reason=detection.reason,
        matched=detection.matched,
        instructions=escalation_instructions(detection, config),
    )


def tool_output(
    name: str, args: dict[str, Any], config: OrgConfig, *, transfer: bool | None = None
) -> dict[str, Any]:
    """The function_call_output (safety/policy.py); `transfer` None is the client path: live if the org
    has an escalation phone."""
    live_transfer = config.escalation_phone is not None if transfer is None else transfer
    return policy.tool_output(name, config, transfer=live_transfer)


def _written(done: bool) -> None:
    """A write the store dropped because the call is gone: refuse, never answer as if it was applied."""
    if not done:
        raise errors.CallAlreadyEnded()


async def apply_tool_call(
    session: AsyncSession,
    live: LiveStore,
    *,
    org: OrgContext,
    call_id: uuid.UUID,
    name: str,
    arguments: dict[str, Any] | str,
    tool_call_id: str | None,
    source: str = "tool",
    transfer: bool | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Validate and apply one tool call once. Returns (validated args, output, repeated).

    `source` names who asked: "tool" (the model) or "detection" (the server escalating on its own).
    """
    now = now or utcnow()
    call = await live_call(session, live, org_id=org.org_id, call_id=call_id, fields=("urgency",))
    args = validate_tool_arguments(name, arguments, org.config)
    output = tool_output(name, args, org.config, transfer=transfer)
    key = str(call_id)
    if tool_call_id is not None:
        previous = await live.claim_tool_call(key, tool_call_id, output)
        if previous is not None:
            return args, previous, True
    if name == "escalate_call":
        _written(
            await live.update_call(
                key,
                escalated=True,
                escalation_reason=redact_text(org.config, args["reason"]),
                escalation_urgency=args["urgency"],
                urgency=raised_urgency(call.urgency, args["urgency"]),
            )
        )
        _written(await live.add_event(key, _event("escalated", now, source=source, urgency=args["urgency"])))
        await live_events.record(
            live,
            org_id=org.org_id,
            call_id=key,
            event=_event("escalated", now, source=source, urgency=args["urgency"]),
        )
    elif name == "complete_intake":
        data = {k: v for k, v in args.items() if k not in ("urgency_level", "summary")}
        intake = {
            "data": data,
            "urgency": args["urgency_level"],
            "summary": redact_text(org.config, args["summary"]),
            "completed_at": now.isoformat(),
        }
        _written(await live.set_intake(key, intake))
        urgency = raised_urgency(call.urgency, args["urgency_level"])
        _written(await live.update_call(key, urgency=urgency))
        fields = sorted(data)
        _written(
            await live.add_event(
                key, _event("intake_completed", now, urgency=args["urgency_level"], fields=fields)
            )
        )
        await live_events.record(
            live,
            org_id=org.org_id,
            call_id=key,
            event=_event("intake_completed", now, urgency=args["urgency_level"], fields=fields),
            intake=intake,
        )
    elif name == "end_call":
        _written(await live.update_call(key, status="ending", end_reason="agent_end_call"))
        _written(await live.add_event(key, _event("end_requested", now, reason=args["reason"])))
    await live_events.tool_called(
        live, org_id=org.org_id, call_id=key, name=name, tool_call_id=tool_call_id, at=now
    )
    log.info("tool_applied", extra={"tool": name, "call": key})
    return args, output, False


async def request_transfer(
    session: AsyncSession,
    live: LiveStore,
    owners: CallOwners,
    *,
    org: OrgContext,
    call_id: uuid.UUID,
    now: datetime | None = None,
) -> TransferRequested:
    """Ask the call's owner, on whichever worker, to hand the call to a person; its agent decides how
    (the hand-off line, then the transfer) and records it. A call nobody runs (the client-secret path)
    cannot be handed over: the request is recorded for a call back."""
    call = await live_call(session, live, org_id=org.org_id, call_id=call_id, fields=("channel",))
    key = str(call_id)
    if await owners.send(key, TransferCommand()):
        transfer = policy.can_transfer(call.channel, org.config)
        return TransferRequested(call_id=call_id, transfer="live" if transfer else "callback")
    event = _event("transfer_requested", now or utcnow(), transfer="callback")
    _written(await live.add_event(key, event))
    log.info("transfer_requested", extra={"call": key, "transfer": "callback", "owner": False})
    return TransferRequested(call_id=call_id, transfer="callback")


async def get_call(
    session: AsyncSession, live: LiveStore, *, org_id: uuid.UUID, call_id: uuid.UUID
) -> CallDetail:
    snapshot = await live.snapshot(str(call_id))
    if snapshot is not None:
        if snapshot.org_id != org_id:
            raise errors.CallNotFound()
        return detail_from_snapshot(snapshot)
    stored = await CallRepository(session, org_id).get(call_id)
    if stored is None:
        raise errors.CallNotFound()
    return detail_from_stored(stored)


async def list_calls(
    session: AsyncSession, *, org_id: uuid.UUID, filters: CallFilters, limit: int, cursor: str | None
) -> tuple[list[CallSummary], str | None]:
    before = decode_time_id_cursor(cursor)
    rows = await CallRepository(session, org_id).list_page(filters, limit=limit + 1, before=before)
    rows, next_cursor = page_of(rows, limit, lambda call: (call.started_at, call.id))
    return [summary_from_row(row) for row in rows], next_cursor
