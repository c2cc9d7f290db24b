"""Server-side escalation: run detection over caller turns, escalate the live call, record what fired.

Escalation never depends on the model calling a tool: a detected emergency marks the call escalated
here, and the answer tells the channel (browser or phone bridge) what the agent must say and do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.calls.live_store import LiveStore
from app.calls.schemas import TurnIn
from app.orgs.config import OrgConfig
from app.safety.detection import Category, Detection, detector_for
from app.safety.prompt import emergency_number

log = logging.getLogger("callintake.calls")


_URGENCY_RANK = {"": 0, "routine": 1, "urgent": 2, "emergency": 3}


def raised_urgency(current: str | None, new: str) -> str:
    """A call's urgency only goes up: an emergency stays an emergency even if the intake says routine."""
    return new if _URGENCY_RANK.get(new, 0) > _URGENCY_RANK.get(current or "", 0) else (current or new)


def _event(type_: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {"type": type_, "at": at.isoformat(), "data": data}


def escalation_instructions(detection: Detection, config: OrgConfig) -> str:
    if detection.category is Category.emergency:
        number = config.emergency_number or emergency_number(config.timezone) or "the local emergency number"
        return (
            f"Possible emergency ({detection.matched}). Tell the caller now: if anyone is in danger, hang up "
            f'and call {number}. Then call escalate_call with urgency "emergency" without finishing '
            "the intake."
        )
    return (
        "The caller asked for a person. Tell them you are connecting them with someone now and call "
        'escalate_call with urgency "urgent".'
    )


@dataclass(frozen=True, slots=True)
class TurnDetection:
    seq: int | None
    accepted: bool
    detection: Detection


def detect_turns(config: OrgConfig, turns: Sequence[TurnIn], accepted: Sequence[int]) -> list[TurnDetection]:
    """Run detection over caller turns, pairing each with the seq the store gave it."""
    detector = detector_for(tuple(config.emergency_keywords), tuple(config.high_priority_keywords))
    found: list[TurnDetection] = []
    position = 0
    for turn in turns:
        if turn.seq is None:
            seq: int | None = accepted[position] if position < len(accepted) else None
            was_accepted = seq is not None
            position += 1
        else:
            seq = turn.seq
            was_accepted = position < len(accepted) and accepted[position] == turn.seq
            if was_accepted:
                position += 1
        if turn.speaker != "caller":
            continue
        detection = detector.detect(turn.text)
        if detection.category is not Category.none:
            found.append(TurnDetection(seq=seq, accepted=was_accepted, detection=detection))
    return found


_RANK = {Category.emergency: 3, Category.human_request: 2, Category.high_priority: 1, Category.none: 0}


async def record_detections(
    live: LiveStore, *, call_id: str, meta: dict[str, str], found: Sequence[TurnDetection], now: datetime
) -> Detection | None:
    """Escalate on the server and log each detection as an event; returns the strongest escalating one."""
    strongest: Detection | None = None
    escalated = meta.get("escalated") == "1"
    for item in found:
        detection = item.detection
        escalating = detection.category in (Category.emergency, Category.human_request)
        if escalating and (strongest is None or _RANK[detection.category] > _RANK[strongest.category]):
            strongest = detection
        if not item.accepted:
            continue
        action = "flagged_urgent"
        if detection.category in (Category.emergency, Category.human_request):
            action = "already_escalated" if escalated else "escalated"
            if not escalated:
                urgency = "emergency" if detection.category is Category.emergency else "urgent"
                meta["urgency"] = raised_urgency(meta.get("urgency"), urgency)
                fields = {
                    "escalated": "1",
                    "escalation_reason": detection.reason,
                    "escalation_urgency": urgency,
                }
                await live.update_meta(call_id, {**fields, "urgency": meta["urgency"]})
                escalated = True
        elif raised_urgency(meta.get("urgency"), "urgent") != meta.get("urgency"):
            meta["urgency"] = "urgent"
            await live.update_meta(call_id, {"urgency": "urgent"})
        await live.add_event(
            call_id,
            _event(
                "detection",
                now,
                category=detection.category.value,
                matched=detection.matched,
                language=detection.language,
                turn_seq=item.seq,
                action=action,
            ),
        )
        log.info(
            "detection", extra={"category": detection.category.value, "action": action, "turn_seq": item.seq}
        )
    return strongest
