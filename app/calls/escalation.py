"""Server-side escalation: run detection over caller turns, escalate the live call, record what fired.

Escalation never depends on the model calling a tool: a detected emergency marks the call escalated
here, and the answer tells the channel (browser or phone bridge) what the agent must say and do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.calls.live_call import LiveCall
from app.calls.live_store import LiveStore
from app.calls.schemas import TurnIn
from app.events import live as live_events
from app.orgs.config import OrgConfig
from app.safety import policy
from app.safety.detection import Category, Detection, detector_for

log = logging.getLogger("callintake.calls")


def raised_urgency(current: str | None, new: str) -> str:
    return policy.raised_urgency(current, new)


def _event(type_: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {"type": type_, "at": at.isoformat(), "data": data}


def escalation_instructions(detection: Detection, config: OrgConfig) -> str:
    return policy.client_instructions(detection.category.value, detection.matched, config)


@dataclass(frozen=True, slots=True)
class TurnDetection:
    seq: int | None
    accepted: bool
    detection: Detection


def caller_turns(
    turns: Sequence[TurnIn], accepted: Sequence[int]
) -> Iterator[tuple[int | None, bool, TurnIn]]:
    """(seq, accepted, turn) for each caller turn, pairing it with the seq the store gave it."""
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
        if turn.speaker == "caller":
            yield seq, was_accepted, turn


def detect_turns(config: OrgConfig, turns: Sequence[TurnIn], accepted: Sequence[int]) -> list[TurnDetection]:
    """Run detection over caller turns, pairing each with the seq the store gave it."""
    detector = detector_for(tuple(config.emergency_keywords), tuple(config.high_priority_keywords))
    found: list[TurnDetection] = []
    for seq, was_accepted, turn in caller_turns(turns, accepted):
        detection = detector.detect(turn.text)
        if detection.category is not Category.none:
            found.append(TurnDetection(seq=seq, accepted=was_accepted, detection=detection))
    return found


_RANK = {Category.emergency: 3, Category.human_request: 2, Category.high_priority: 1, Category.none: 0}


def strongest_detection(found: Sequence[TurnDetection]) -> Detection | None:
    """The highest-ranked detection of any category among the turns (the first on a tie)."""
    best: Detection | None = None
    for item in found:
        if best is None or _RANK[item.detection.category] > _RANK[best.category]:
            best = item.detection
    return best


async def record_detections(
    live: LiveStore, *, call_id: str, call: LiveCall, found: Sequence[TurnDetection], now: datetime
) -> Detection | None:
    """Escalate on the server and log each detection as an event; returns the strongest escalating one.
    `call` (its org_id, escalated and urgency) is kept up to date with what this writes."""
    strongest: Detection | None = None
    escalated = call.escalated
    for item in found:
        detection = item.detection
        escalating = detection.category in (Category.emergency, Category.human_request)
        if escalating and (strongest is None or _RANK[detection.category] > _RANK[strongest.category]):
            strongest = detection
        if not item.accepted:
            continue
        action = "flagged_urgent"
        escalated_now: str | None = None
        if detection.category in (Category.emergency, Category.human_request):
            action = "already_escalated" if escalated else "escalated"
            if not escalated:
                # The call's one escalation write, whichever channel carries it: the agent that acts on
                # the detection (transfer or call back) records no second one.
                urgency = policy.urgency_for(detection.category.value)
                call.urgency = raised_urgency(call.urgency, urgency)
                await live.update_call(
                    call_id,
                    escalated=True,
                    escalation_reason=detection.reason,
                    escalation_urgency=urgency,
                    urgency=call.urgency,
                )
                escalated_now = urgency
                escalated = call.escalated = True
        elif raised_urgency(call.urgency, "urgent") != call.urgency:
            call.urgency = "urgent"
            await live.update_call(call_id, urgency="urgent")
        await live.add_event(
            call_id,
            _event(
                "detection",
                now,
                category=detection.category.value,
                reason=detection.reason,
                matched=detection.matched,
                language=detection.language,
                source=detection.source,
                turn_seq=item.seq,
                action=action,
            ),
        )
        org_id = str(call.org_id)
        fired = _event("detection", now, category=detection.category.value, action=action, turn_seq=item.seq)
        await live_events.record(live, org_id=org_id, call_id=call_id, event=fired)
        if escalated_now is not None:
            source = "classifier" if detection.source == "classifier" else "detection"
            await live.add_event(call_id, _event("escalated", now, source=source, urgency=escalated_now))
            escalated_event = _event(
                "escalated", now, source=source, urgency=escalated_now, category=detection.category.value
            )
            await live_events.record(live, org_id=org_id, call_id=call_id, event=escalated_event)
        log.info(
            "detection", extra={"category": detection.category.value, "action": action, "turn_seq": item.seq}
        )
    return strongest
