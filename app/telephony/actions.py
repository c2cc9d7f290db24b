"""Twilio call control the bridge and the webhooks share: dial the escalation phone, apologise when the
agent is down. What to decide (transfer or call back, the wording) lives in safety/policy.py."""

from __future__ import annotations

import logging

from app.calls.service import OrgContext
from app.telephony import twiml
from app.telephony.runtime import TelephonyRuntime
from app.telephony.twilio_client import TwilioRestFailed

log = logging.getLogger("callintake.telephony")

DIAL_ACTION_PATH = "/twilio/dial-action"


def dial_escalation(runtime: TelephonyRuntime, org: OrgContext, *, say_first: str | None = None) -> str:
    number = org.config.escalation_phone
    if number is None:
        raise ValueError("the org has no escalation phone")
    return twiml.dial(
        number,
        timeout=runtime.settings.twilio.transfer_timeout_seconds,
        action=runtime.signatures.http_url(DIAL_ACTION_PATH),
        say_first=say_first,
        language=org.config.language,
    )


async def apologize(runtime: TelephonyRuntime, org: OrgContext, call_sid: str) -> bool:
    """The agent is unavailable: a short apology, then the escalation phone or a call-back request."""
    if runtime.calls is None:
        return False
    if org.config.escalation_phone is not None:
        document = dial_escalation(runtime, org, say_first=f"{twiml.AGENT_UNAVAILABLE} {twiml.CONNECTING}")
    else:
        document = twiml.say_and_hang_up(
            f"{twiml.AGENT_UNAVAILABLE} {twiml.CALL_BACK_LATER}", language=org.config.language
        )
    try:
        return await runtime.calls.redirect(call_sid, document)
    except TwilioRestFailed:
        log.warning("apology_failed")
        return False
