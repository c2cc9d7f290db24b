"""`call.transfer_finished`: the outcome of a transfer to a person (Twilio's `<Dial action>`).

With the time from the escalation to a person answering, it makes an escalation ledger per org.
Called from /twilio/dial-action after the signature check; it never raises into the webhook.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.events import live
from app.state import AppState
from database.models import Call, CallEvent

log = logging.getLogger("callintake.events")

OUTCOMES = {
    "completed": "answered",
    "answered": "answered",
    "no-answer": "no_answer",
    "busy": "busy",
    "failed": "failed",
    "canceled": "failed",
}


# When the call was handed towards a person: an escalation, or an after-hours forward.
ESCALATION_EVENTS = ("escalated", "forwarded")


def _seconds(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 9 else None


async def _call_org_and_escalation(state: AppState, call_id: str) -> tuple[str, str | None] | None:
    snapshot = await state.live_store.snapshot(call_id)
    if snapshot is not None:
        escalated = next((e["at"] for e in snapshot.events if e.get("type") in ESCALATION_EVENTS), None)
        return snapshot.meta["org_id"], escalated
    async with state.session_factory() as session:
        # A system path (Twilio, signature checked): the call's own id names its org.
        org_id = await session.scalar(select(Call.organization_id).where(Call.id == uuid.UUID(call_id)))
        if org_id is None:
            return None
        at = await session.scalar(
            select(CallEvent.at)
            .where(CallEvent.organization_id == org_id, CallEvent.call_id == uuid.UUID(call_id))
            .where(CallEvent.type.in_(ESCALATION_EVENTS))
            .order_by(CallEvent.seq)
            .limit(1)
        )
    return str(org_id), at.isoformat() if at is not None else None


def transfer_data(
    call_id: str,
    *,
    dial_status: str | None,
    talk_seconds: int | None,
    escalated_at: str | None,
    now: datetime,
) -> dict[str, Any]:
    outcome = OUTCOMES.get(dial_status or "", "failed")
    to_answer = None
    if outcome == "answered" and escalated_at is not None:
        answered_at = now - timedelta(seconds=talk_seconds or 0)
        to_answer = round(max(0.0, (answered_at - datetime.fromisoformat(escalated_at)).total_seconds()), 3)
    return {
        "call_id": call_id,
        "outcome": outcome,
        "dial_status": (dial_status or "")[:32] or None,
        "talk_seconds": talk_seconds,
        "escalated_at": escalated_at,
        "seconds_to_answer": to_answer,
    }


async def transfer_finished(
    state: AppState,
    *,
    call_sid: str | None,
    external_kind: str,
    dial_status: str | None,
    dial_duration: str | None,
    now: datetime | None = None,
) -> None:
    if not call_sid:
        return
    now = now or datetime.now(UTC)
    try:
        call_id = await state.live_store.lookup_external_id(external_kind, call_sid[:64])
        found = await _call_org_and_escalation(state, call_id) if call_id else None
        if call_id is None or found is None:
            log.info("transfer_finished_unknown_call")
            return
        org_id, escalated_at = found
        data = transfer_data(
            call_id,
            dial_status=dial_status,
            talk_seconds=_seconds(dial_duration),
            escalated_at=escalated_at,
            now=now,
        )
        event = {
            "type": "transfer_finished",
            "at": now.isoformat(),
            "data": {k: v for k, v in data.items() if k != "call_id"},
        }
        await live.record(state.live_store, org_id=org_id, call_id=call_id, event=event)
    except Exception as exc:
        log.warning("transfer_finished_failed", extra={"error_type": type(exc).__name__})
