"""Call decisions with one home, shared by both channels and the REST path: the emergency number, transfer
versus call back, category -> urgency, and the wording the model is given. Pure functions, no I/O."""

from __future__ import annotations

from typing import Any, Literal

from app.orgs.config import AfterHoursPolicy, OrgConfig
from app.safety.prompt import emergency_number as regional_emergency_number

Urgency = Literal["emergency", "urgent", "routine"]
_URGENCY_RANK = {"": 0, "routine": 1, "urgent": 2, "emergency": 3}

TRANSFER_FAILED = (
    "The transfer to a person did not go through. Tell the caller, in one short sentence, that a person "
    "will call them back as soon as possible."
)


def emergency_number(config: OrgConfig) -> str:
    """The org's emergency number, else its region's, else a phrase the caller can act on."""
    return (
        config.emergency_number or regional_emergency_number(config.timezone) or "the local emergency number"
    )


def danger_line(config: OrgConfig) -> str:
    """The one spoken safety instruction, the same on every channel."""
    return f"if anyone is in danger, hang up and call {emergency_number(config)} now"


def urgency_for(category: str) -> Urgency:
    """The urgency an escalating detection gives the call."""
    return "emergency" if category == "emergency" else "urgent"


def raised_urgency(current: str | None, new: str) -> str:
    """A call's urgency only goes up: an emergency stays an emergency even if the intake says routine."""
    return new if _URGENCY_RANK.get(new, 0) > _URGENCY_RANK.get(current or "", 0) else (current or new)


def can_transfer(channel: str, config: OrgConfig, *, rest_available: bool = True) -> bool:
    """Only a phone call can be handed to a person live; a browser call (or an org without an escalation
    phone) is escalated for a person to call back."""
    return channel == "phone" and config.escalation_phone is not None and rest_available


# Each config's copy without live transfer, made once: the same object for every browser call of one
# config version, so what is cached per config (the session of the minute) is found again. The entry
# holds the config, so its id is not reused while the entry exists. Cleared past 10,000.
_NO_TRANSFER: dict[int, tuple[OrgConfig, OrgConfig]] = {}


def without_live_transfer(config: OrgConfig) -> OrgConfig:
    """The config a call that cannot be transferred runs with (a browser call): its prompt and tools
    then promise a call back, never a live hand-off, and after hours a forward becomes a message.
    Shared (made once per config object): never mutate it."""
    if config.escalation_phone is None:
        return config
    made = _NO_TRANSFER.get(id(config))
    if made is not None and made[0] is config:
        return made[1]
    update: dict[str, Any] = {"escalation_phone": None}
    if config.after_hours_policy is AfterHoursPolicy.forward_to_escalation:
        update["after_hours_policy"] = AfterHoursPolicy.take_message
    copy = config.model_copy(update=update)
    if len(_NO_TRANSFER) >= 10_000:
        _NO_TRANSFER.clear()
    _NO_TRANSFER[id(config)] = (config, copy)
    return copy


def _then(transfer: bool) -> str:
    if transfer:
        return (
            "then that you are connecting them with a person now. The call is transferred as soon as you "
            "finish speaking"
        )
    return (
        "then that a person will call them back as soon as possible, and confirm the best number to call "
        "them back on"
    )


def detected_instructions(category: str, matched: str | None, config: OrgConfig, *, transfer: bool) -> str:
    """What the model is told when server-side detection escalated the call without it (agent channels)."""
    then = _then(transfer)
    if category == "emergency":
        return (
            f"Possible emergency ({matched}). Stop the intake. In two short sentences, tell the caller that "
            f"{danger_line(config)}, {then}. The call has already been escalated: do not call escalate_call."
        )
    return (
        f"The caller asked for a person. In one short sentence, acknowledge it, {then}. The call has "
        "already been escalated: do not call escalate_call."
    )


def requested_transfer_instructions(*, transfer: bool) -> str:
    """What the model is told when a person asked for the call from outside it (a transfer request)."""
    if transfer:
        return (
            "A person from the team is taking this call. In one short sentence, tell the caller you are "
            "connecting them with a person now. The call is transferred as soon as you finish speaking."
        )
    return (
        "A person from the team will call the caller back. In one short sentence, tell the caller that a "
        "person will call them back as soon as possible, and confirm the best number to call them back on."
    )


def client_instructions(category: str, matched: str | None, config: OrgConfig) -> str:
    """What a browser that runs the session itself (the client-secret path) is told to have the model do."""
    if category == "emergency":
        return (
            f"Possible emergency ({matched}). Tell the caller now: {danger_line(config)}. Then call "
            'escalate_call with urgency "emergency" without finishing the intake.'
        )
    if config.escalation_phone is not None:
        handoff = "Tell them you are connecting them with someone now"
    else:
        handoff = "Tell them a person will call them back as soon as possible"
    return f'The caller asked for a person. {handoff} and call escalate_call with urgency "urgent".'


def tool_output(name: str, config: OrgConfig, *, transfer: bool) -> dict[str, Any]:
    """What the model gets back as function_call_output: plain next steps, no internal state."""
    if name == "escalate_call":
        if transfer:
            return {
                "status": "escalated",
                "transfer": "live",
                "say": "Tell the caller you are connecting them with a person now, and stay brief.",
            }
        return {
            "status": "escalated",
            "transfer": "callback",
            "say": "Tell the caller a person will call them back as soon as possible.",
        }
    if name == "complete_intake":
        return {
            "status": "saved",
            "next": "Briefly confirm, ask if they need anything else, then say goodbye.",
        }
    return {"status": "ending", "next": "Say a short goodbye; the call ends when you finish speaking."}
