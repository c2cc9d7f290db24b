"""What a call over its org's cap leaves in PostgreSQL: an overflow row (counted by usage), and for a
phone voicemail the call itself, status `voicemail`, later given its recording URL. Never commits."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.slots import Admission, ConcurrencyLimitReached, Refusal, acquire_slot
from app.errors import is_database_outage
from database.base import utcnow
from database.models import Call, CallOverflow

if TYPE_CHECKING:
    from app.state import AppState

log = logging.getLogger("callintake.calls")

VOICEMAIL_STATUS = "voicemail"
Outcome = Literal["forward_to_escalation", "voicemail", "busy", "rejected"]


async def record_overflow(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    channel: str,
    outcome: Outcome,
    refused_by: Refusal | None,
    call_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> None:
    session.add(
        CallOverflow(
            organization_id=org_id,
            at=now or utcnow(),
            channel=channel,
            outcome=outcome,
            refused_by=refused_by or "org",
            call_id=call_id,
        )
    )
    await session.flush()
    log.info("call_overflowed", extra={"org": str(org_id), "channel": channel, "outcome": outcome})


async def record_voicemail_call(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    call_sid: str,
    from_number: str | None,
    config_version: int,
    now: datetime | None = None,
) -> bool:
    """The calls row of a voicemail (no agent ran, so nothing went through live state); False if the
    CallSid or the call id is stored already (a retried webhook, even two at once)."""
    now = now or utcnow()
    values = {
        "id": call_id,
        "organization_id": org_id,
        "channel": "phone",
        "status": VOICEMAIL_STATUS,
        "started_at": now,
        "ended_at": None,
        "escalated": False,
        "end_reason": "overflow_voicemail",
        "twilio_call_sid": call_sid,
        "from_number": from_number,
        "config_version": config_version,
        "prompt_hash": "",
        "metadata_": {},
        "turn_count": 0,
        "persisted_at": now,
    }
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Call).values(**values)
    # No conflict target: the id and the CallSid are both unique, and either means "stored already".
    inserted = await session.execute(stmt.on_conflict_do_nothing().returning(Call.id))
    return inserted.first() is not None


async def store_recording(session: AsyncSession, *, call_sid: str, recording_url: str) -> bool:
    """Put a finished recording on its voicemail call; False if no voicemail call has this CallSid.

    CallSids are unique across orgs, and the request is Twilio-signed, so the CallSid is the key here.
    """
    call = await session.scalar(
        select(Call)
        .where(Call.twilio_call_sid == call_sid, Call.status == VOICEMAIL_STATUS)
        .with_for_update()
    )
    if call is None:
        return False
    ended = max(utcnow(), call.started_at)
    call.recording_url = recording_url
    call.ended_at = ended
    call.duration_seconds = round((ended - call.started_at).total_seconds(), 3)
    await session.flush()
    return True


async def require_slot(
    state: AppState,
    *,
    org_id: uuid.UUID,
    call_id: uuid.UUID | str,
    max_concurrent_calls: int | None,
    channel: str = "browser",
) -> Admission:
    """Browser and REST starts: the call's slot, or the overflow recorded and 429
    `concurrency_limit_reached` with Retry-After."""
    admission = await acquire_slot(
        state, org_id=org_id, call_id=call_id, max_concurrent_calls=max_concurrent_calls
    )
    if admission.granted:
        return admission
    try:
        async with state.session_factory() as session, session.begin():
            await record_overflow(
                session, org_id=org_id, channel=channel, outcome="rejected", refused_by=admission.refused_by
            )
    except Exception as exc:  # the caller gets its 429 either way; only the count is lost
        if not is_database_outage(exc):
            raise
        log.warning("overflow_not_recorded", extra={"error_type": type(exc).__name__})
    raise ConcurrencyLimitReached(
        retry_after=state.settings.calls.overflow_retry_after_seconds,
        limit=max_concurrent_calls,
        active=admission.active,
    )
