"""Call control the bridge and the webhooks share: dial the escalation phone, apologise when the agent is
down, and what the model is told when the server escalates for it."""

from __future__ import annotations

import logging

from app.calls.schemas import Escalation
from app.calls.service import OrgContext
from app.orgs.config import OrgConfig
from app.safety.prompt import emergency_number
from app.telephony import twiml
from app.telephony.runtime import TelephonyRuntime
from app.telephony.twilio_client import TwilioRestFailed

log = logging.getLogger("callintake.telephony")

DIAL_ACTION_PATH = "/twilio/dial-action"
TRANSFER_FAILED = (
    "The transfer to a person did not go through. Tell the caller, in one short sentence, that a person "
    "will call them back as soon as possible."
)


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


def can_transfer(runtime: TelephonyRuntime, org: OrgContext) -> bool:
    return org.config.escalation_phone is not None and runtime.calls is not None


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


def detected_instructions(escalation: Escalation, config: OrgConfig, *, transfer: bool) -> str:
    """What the model says when server-side detection escalated the call without it."""
    if transfer:
        then = (
            "then that you are connecting them with a person now. The call is transferred as soon as you "
            "finish speaking"
        )
    else:
        then = "then that a person will call them back as soon as possible"
    if escalation.category == "emergency":
        number = config.emergency_number or emergency_number(config.timezone) or "the local emergency number"
        return (
            f"Possible emergency ({escalation.matched}). Stop the intake. In two short sentences, tell the "
            f"caller that if anyone is in danger they should hang up and call {number}, {then}. The call "
            "has already been escalated: do not call escalate_call."
        )
    return (
        f"The caller asked for a person. In one short sentence, acknowledge it, {then}. The call has "
        "already been escalated: do not call escalate_call."
    )
