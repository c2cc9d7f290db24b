"""Phone overflow: the answer to a call over its org's cap, and Twilio's callbacks for it (recording
status, the end of <Record>, the end of an overflow <Dial>). Every callback is signature-checked first.

`answer_overflow` is what the voice webhook returns when `acquire_slot` refuses a call: the overflow is
recorded, a voicemail call is stored with status `voicemail`, and its recording URL is added when
Twilio's `recordingStatusCallback` reports it completed.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.overflows import record_overflow, record_voicemail_call, store_recording
from app.calls.service import OrgContext
from app.calls.slots import Refusal
from app.deps import DbSession, StateDep
from app.orgs.config import E164_RE, OverflowPolicy
from app.state import AppState
from app.telephony import overflow, twiml
from app.telephony.errors import TwilioParamsInvalid
from app.telephony.runtime import TelephonyRuntime, telephony
from app.telephony.signature import SIGNATURE_HEADER

log = logging.getLogger("callintake.telephony")

router = APIRouter(tags=["telephony"], include_in_schema=False)

MAX_WEBHOOK_BYTES = 64 * 1024
MAX_RECORDING_URL = 2048


async def answer_overflow(
    session: AsyncSession,
    *,
    state: AppState,
    org: OrgContext,
    call_id: uuid.UUID | str,
    call_sid: str,
    from_number: str | None,
    refused_by: Refusal | None,
) -> str:
    """Record the overflow (and a voicemail call) and commit; the TwiML of the org's overflow policy."""
    config = org.config
    policy = config.limits.overflow_policy
    if policy is OverflowPolicy.forward_to_escalation and not config.escalation_phone:
        policy = OverflowPolicy.voicemail
    key = uuid.UUID(str(call_id))
    caller = from_number if from_number and E164_RE.match(from_number) else None
    await record_overflow(
        session, org_id=org.org_id, channel="phone", outcome=policy.value, refused_by=refused_by, call_id=key
    )
    if policy is OverflowPolicy.voicemail:
        await record_voicemail_call(
            session,
            org_id=org.org_id,
            call_id=key,
            call_sid=call_sid,
            from_number=caller,
            config_version=org.config_version,
        )
    await session.commit()
    return overflow.overflow_twiml(
        policy,
        escalation_phone=config.escalation_phone,
        greeting=config.greeting,
        language=config.language,
        base_url=state.settings.public_base_url,
        dial_timeout=state.settings.twilio.transfer_timeout_seconds,
    )


async def _signed_params(request: Request, runtime: TelephonyRuntime, path: str) -> dict[str, str]:
    body = await request.body()
    params = dict(parse_qsl(body[:MAX_WEBHOOK_BYTES].decode("utf-8", "replace"), keep_blank_values=True))
    runtime.signatures.require(path, params, request.headers.get(SIGNATURE_HEADER))
    return params


def _recording_url(value: str) -> str | None:
    """Twilio's https URL of the recording; anything else is not stored."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or len(value) > MAX_RECORDING_URL:
        return None
    return value


def _xml(document: str) -> Response:
    return Response(content=document, media_type=twiml.MEDIA_TYPE)


@router.post(overflow.RECORDING_STATUS_PATH, status_code=status.HTTP_204_NO_CONTENT)
async def receive_recording_status(request: Request, state: StateDep, session: DbSession) -> Response:
    params = await _signed_params(request, telephony(state), overflow.RECORDING_STATUS_PATH)
    call_sid = params.get("CallSid", "")
    if not call_sid:
        raise TwilioParamsInvalid(details=[{"field": "CallSid", "message": "is required"}])
    url = _recording_url(params.get("RecordingUrl", ""))
    if params.get("RecordingStatus") != "completed" or url is None:
        log.info("recording_not_stored", extra={"recording_status": params.get("RecordingStatus", "")[:32]})
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    stored = await store_recording(session, call_sid=call_sid, recording_url=url)
    await session.commit()
    log.info("voicemail_recorded" if stored else "recording_for_unknown_call")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(overflow.VOICEMAIL_DONE_PATH)
async def answer_voicemail_done(request: Request, state: StateDep) -> Response:
    params = await _signed_params(request, telephony(state), overflow.VOICEMAIL_DONE_PATH)
    return _xml(overflow.voicemail_done(recorded=bool(params.get("RecordingUrl"))))


@router.post(overflow.OVERFLOW_DIAL_PATH)
async def answer_overflow_dial(request: Request, state: StateDep) -> Response:
    params = await _signed_params(request, telephony(state), overflow.OVERFLOW_DIAL_PATH)
    return _xml(twiml.after_dial(params.get("DialCallStatus")))
