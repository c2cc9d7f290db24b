"""The classifier's second opinion on a call's caller lines, applied through the same escalation path.

A verdict that raises the local one is recorded as a `detection` event with `source: "classifier"` and,
for an emergency or a request for a person, escalates the live call (one escalation write, as always).
The REST path waits the budget; a channel never waits: a late escalation reaches its agent by callback.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from app.calls.escalation import TurnDetection, caller_turns, record_detections
from app.calls.live_store import LiveStore
from app.calls.schemas import TurnIn
from app.classifier.client import Verdict
from app.classifier.second_opinion import Line, SecondOpinion
from app.safety.detection import Category, Detection, strongest

EXTRAS_KEY = "second_opinion"

OnEscalation = Callable[[Detection], Awaitable[None]]


def verdict_detection(verdict: Verdict) -> Detection:
    category = Category.none if verdict.category == "routine" else Category(verdict.category)
    return Detection(
        category=category,
        matched=verdict.evidence or None,
        reason=f"second opinion ({verdict.confidence:.2f})",
        language=None,
        source="classifier",
    )


async def review(
    opinion: SecondOpinion,
    live: LiveStore,
    *,
    call_id: uuid.UUID,
    turns: Sequence[TurnIn],
    accepted: Sequence[int],
    found: Sequence[TurnDetection],
    on_escalation: OnEscalation | None = None,
) -> Detection | None:
    """Ask about every accepted caller line. With no `on_escalation` (REST), wait the budget and return
    the strongest escalation applied by then; with one (a channel), return at once and call it for
    each escalation as it is applied."""
    local = {item.seq: item.detection.category.value for item in found if item.accepted}
    lines = [
        Line(seq, turn.text, local.get(seq, "none"))
        for seq, was_accepted, turn in caller_turns(turns, accepted)
        if was_accepted
    ]
    if not lines:
        return None
    applied: list[Detection] = []
    key = str(call_id)

    async def apply(seq: int | None, verdict: Verdict) -> None:
        call = await live.get_call(key, ("escalated", "urgency"))
        if call is None:
            return  # the call ended meanwhile; a verdict only ever adds, so dropping it is safe
        item = TurnDetection(seq=seq, accepted=True, detection=verdict_detection(verdict))
        now = datetime.now(UTC)
        escalated = await record_detections(live, call_id=key, call=call, found=[item], now=now)
        if escalated is not None:
            applied.append(escalated)
            if on_escalation is not None:
                await on_escalation(escalated)

    await opinion.review(lines, apply, wait=on_escalation is None)
    return strongest(*applied) if applied else None
