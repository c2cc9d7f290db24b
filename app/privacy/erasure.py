"""Erasure of one ended call's content at an org's request: transcript, intake, analysis and events go in
one transaction; the calls row stays as the tombstone (when, and which API key), caller fields cleared.
Its stored webhook bodies (outbox events, deliveries) keep only the tombstone's facts, so a delivery
still pending is sent redacted (app/webhooks/service.py, erase_call_payloads).

Never commits. A live call is refused (409): its content is still being written and would come back
when it is finalized.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.errors import CallNotFound
from app.calls.live_store import LiveStore
from app.privacy.errors import CallStillLive
from app.privacy.repository import CONTENT_TABLES, PrivacyRepository
from app.webhooks.service import erase_call_payloads
from database.base import utcnow

log = logging.getLogger("callintake.privacy")


@dataclass(frozen=True, slots=True)
class Erased:
    call_id: uuid.UUID
    content_erased_at: datetime
    content_erased_by: str
    deleted: dict[str, int]
    repeated: bool


async def erase_call_content(
    session: AsyncSession,
    live: LiveStore,
    *,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    actor: str,
    now: datetime | None = None,
) -> Erased:
    try:
        live_call = await live.get_call(str(call_id), ("org_id",))
    except ValueError:
        live_call = None  # an unreadable owner is not this org's live call
    if live_call is not None and live_call.org_id == org_id:
        raise CallStillLive()
    repo = PrivacyRepository(session, org_id)
    call = await repo.call_for_update(call_id)
    if call is None:
        raise CallNotFound()
    if call.content_erased_at is not None:
        return Erased(call.id, call.content_erased_at, call.content_erased_by or "", {}, repeated=True)
    now = now or utcnow()
    deleted = await repo.delete_content([call_id], CONTENT_TABLES)
    # The tombstone keeps what the org needs for its records (times, status, urgency) and none of the
    # caller's words or identity.
    call.content_erased_at = now
    call.content_erased_by = actor
    call.caller_name = None
    call.from_number = None
    call.escalation_reason = None
    call.recording_url = None
    redacted = await erase_call_payloads(session, org_id=org_id, call_id=call_id)
    repo.audit(
        at=now,
        action="erasure",
        actor=actor,
        call_id=call_id,
        deleted=deleted,
        details={"redacted": redacted},
    )
    await session.flush()
    log.info("call_content_erased", extra={"call": str(call_id), "org": str(org_id)})
    return Erased(call.id, now, actor, deleted, repeated=False)
