"""Phone call use cases behind Twilio's webhooks: answer an incoming call, and end it on a status callback.

Answering is idempotent per CallSid: the CallSid is bound to a new call id before the call is created,
and a repeated webhook answers for the call that holds the binding.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.calls import errors as call_errors
from app.calls.end import end_call
from app.calls.owner import ask_owner_to_end
from app.calls.service import OrgContext, start_call, utcnow
from app.calls.slots import acquire_slot
from app.orgs.config import E164_RE, AfterHoursPolicy
from app.orgs.repository import org_for_number
from app.safety.hours import open_state
from app.state import AppState
from app.telephony import twiml
from app.telephony.actions import dial_escalation
from app.telephony.recording import answer_overflow
from app.telephony.runtime import TelephonyRuntime

log = logging.getLogger("callintake.telephony")

EXTERNAL_KIND = "twilio"
STREAM_PATH = "/twilio/stream/{call_id}/{token}"
STREAM_STATUS_PATH = "/twilio/stream-status"
# Status callback CallStatus -> (final call status, end reason).
FINAL_CALL_STATUSES = {
    "completed": ("completed", "call_completed"),
    "busy": ("abandoned", "busy"),
    "no-answer": ("abandoned", "no_answer"),
    "canceled": ("abandoned", "canceled"),
    "failed": ("failed", "twilio_failed"),
}
_REPEAT_WAIT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class IncomingCall:
    call_sid: str
    to_number: str
    from_number: str | None


def stream_token_key(call_id: str, token: str) -> str:
    """A stream token is stored under its call: a signed attempt on another call's path takes nothing."""
    return f"stream:{call_id}:{token}"


def _event(type_: str, at: datetime, **data: object) -> dict[str, object]:
    return {"type": type_, "at": at.isoformat(), "data": data}


def _binding_ttl(state: AppState) -> int:
    # Outlives the call: status callbacks and retried webhooks arrive after it ends.
    return state.settings.calls.max_duration_seconds + 3600


async def answer_call(
    session: AsyncSession,
    *,
    state: AppState,
    runtime: TelephonyRuntime,
    call: IncomingCall,
    now: datetime | None = None,
) -> str:
    """The TwiML for an incoming call: not in service, a direct forward after hours, or the agent."""
    now = now or utcnow()
    row = await org_for_number(session, call.to_number)
    if row is None:
        log.info("call_to_unknown_number")
        return twiml.not_in_service()
    org = OrgContext.build(row.id, row.name, row.config, row.config_version)
    await session.rollback()  # the read is done; give the connection back before talking to Redis
    live = state.live_store
    call_id = uuid.uuid4()
    holder = await live.bind_external_id(EXTERNAL_KIND, call.call_sid, str(call_id), _binding_ttl(state))
    # The slot's member is the bound call id, so a retried webhook (same CallSid) takes no second one.
    admission = await acquire_slot(
        state, org_id=org.org_id, call_id=holder, max_concurrent_calls=org.config.limits.max_concurrent_calls
    )
    if not admission.granted:
        return await answer_overflow(
            session,
            state=state,
            org=org,
            call_id=holder,
            call_sid=call.call_sid,
            from_number=call.from_number,
            refused_by=admission.refused_by,
        )
    if holder != str(call_id):
        return await _answer_again(state, runtime, org=org, call_id=holder, now=now)
    started = await start_call(
        live,
        org=org,
        settings=state.settings,
        channel="phone",
        from_number=call.from_number if call.from_number and E164_RE.match(call.from_number) else None,
        twilio_call_sid=call.call_sid,
        call_id=call_id,
        now=now,
    )
    if _forwards(org, is_open=started.spec.open_state.is_open):
        return await _forward_after_hours(state, runtime, org=org, call_id=str(call_id), now=now)
    if org.config.recording_disclosure:
        await live.add_event(str(call_id), _event("recording_disclosure", now, via="twiml"))
    runtime.prewarm(str(call_id), org=org, spec=started.spec)
    return await _stream_twiml(state, runtime, org=org, call_id=str(call_id))


def _forwards(org: OrgContext, *, is_open: bool) -> bool:
    """After hours with the forward_to_escalation policy: the call goes straight to a person."""
    config = org.config
    return (
        not is_open
        and config.after_hours_policy is AfterHoursPolicy.forward_to_escalation
        and config.escalation_phone is not None
    )


async def _stream_twiml(state: AppState, runtime: TelephonyRuntime, *, org: OrgContext, call_id: str) -> str:
    token = secrets.token_urlsafe(32)
    ttl = state.settings.twilio.stream_token_ttl_seconds
    await state.live_store.put_token(stream_token_key(call_id, token), call_id, ttl)
    signatures = runtime.signatures
    return twiml.connect_stream(
        url=signatures.ws_url(STREAM_PATH.format(call_id=call_id, token=token)),
        status_callback=signatures.http_url(STREAM_STATUS_PATH),
        parameters={"call_id": call_id},
        disclosure=org.config.recording_disclosure,
        language=org.config.language,
    )


async def _forward_after_hours(
    state: AppState, runtime: TelephonyRuntime, *, org: OrgContext, call_id: str, now: datetime
) -> str:
    """Dial the on-call person directly; the call record is written now (nothing else happens in it)."""
    live = state.live_store
    await live.update_call(
        call_id,
        escalated=True,
        escalation_reason="after hours: forwarded to the escalation phone",
        status="ending",
        end_reason="after_hours_forwarded",
    )
    await live.add_event(call_id, _event("forwarded", now, policy="forward_to_escalation"))
    try:
        await end_call(
            state,
            call_id=call_id,
            org_id=org.org_id,
            source="forward",
            reason="after_hours_forwarded",
            status="completed",
        )
    except (call_errors.EndDeferred, call_errors.FinalizeFailed):
        log.warning("forward_finalize_deferred", extra={"call": call_id})  # the sweeper persists it
    log.info("call_forwarded_after_hours", extra={"call": call_id})
    return dial_escalation(runtime, org)


async def _answer_again(
    state: AppState, runtime: TelephonyRuntime, *, org: OrgContext, call_id: str, now: datetime
) -> str:
    """A retried webhook: the same answer for the call that already holds this CallSid."""
    live = state.live_store
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _REPEAT_WAIT_SECONDS
    forwards = _forwards(org, is_open=open_state(org.config, now).is_open)
    fields = ("status", "end_reason")
    live_call = await live.get_call(call_id, fields)
    while live_call is None and not forwards and loop.time() < deadline:
        # The first webhook may still be creating the call.
        await asyncio.sleep(0.05)
        live_call = await live.get_call(call_id, fields)
    log.info("voice_webhook_repeated", extra={"call": call_id})
    if live_call is not None and live_call.status == "active":
        return await _stream_twiml(state, runtime, org=org, call_id=call_id)
    if forwards or (live_call is not None and live_call.end_reason == "after_hours_forwarded"):
        return dial_escalation(runtime, org)
    return twiml.say_and_hang_up("Goodbye.")


async def end_call_from_status(
    state: AppState, runtime: TelephonyRuntime, *, call_sid: str, call_status: str
) -> None:
    """A final CallStatus ends the call: the local bridge first (it owns the transcript), then finalize."""
    final = FINAL_CALL_STATUSES.get(call_status)
    if final is None:
        return
    call_id = await state.live_store.lookup_external_id(EXTERNAL_KIND, call_sid)
    if call_id is None:
        log.info("status_for_unknown_call", extra={"call_status": call_status})
        return
    status, reason = final
    await runtime.drop(call_id)
    # The bridge may run on another worker: its owner ends it, and this returns after its finalize.
    await ask_owner_to_end(state, call_id=call_id, org_id=None, reason=reason, status=status)
    try:
        # org_id None: finalize by the live state's own org, and do nothing if it is already stored.
        await end_call(
            state, call_id=call_id, org_id=None, source="twilio_status", reason=reason, status=status
        )
    except call_errors.FinalizeInProgress:
        log.info("status_finalize_in_progress", extra={"call": call_id})


async def record_stream_status(
    state: AppState, *, call_sid: str, stream_event: str, stream_error: str | None
) -> None:
    call_id = await state.live_store.lookup_external_id(EXTERNAL_KIND, call_sid)
    log.info("stream_status", extra={"call": call_id, "stream_event": stream_event})
    # Only while the call is live: an event for a stored call would leave an orphan live key behind.
    if call_id is not None and await state.live_store.get_call(call_id, ("org_id",)) is not None:
        data: dict[str, object] = {"event": stream_event}
        if stream_error:
            data["error"] = stream_error[:200]
        await state.live_store.add_event(call_id, _event("stream_status", utcnow(), **data))
