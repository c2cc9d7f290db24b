"""Every PostgreSQL query on finished calls; each one filters by organization_id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from database.models import Call, CallEvent, CallIntake, CallQuarantine, CallTranscript, Organization


@dataclass(frozen=True, slots=True)
class CallFilters:
    status: str | None = None
    channel: str | None = None
    escalated: bool | None = None
    urgency: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None


@dataclass(slots=True)
class FinalizedRows:
    """Everything one finished call writes, built from its live snapshot."""

    call: dict[str, Any]
    transcripts: list[dict[str, Any]]
    intake: dict[str, Any] | None
    events: list[dict[str, Any]]

    def drop_call_sid(self) -> None:
        """Store the call without its CallSid (another stored call holds it) and say so in the timeline."""
        self.call["twilio_call_sid"] = None
        ended = self.events[-1]  # call_ended stays last
        conflict = {**ended, "type": "call_sid_conflict", "data": {"kept_by": "an earlier call"}}
        self.events[-1:] = [conflict, {**ended, "seq": ended["seq"] + 1}]


@dataclass(slots=True)
class StoredCall:
    call: Call
    transcripts: list[CallTranscript]
    intake: CallIntake | None
    events: list[CallEvent]


class CallRepository:
    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def exists(self, call_id: uuid.UUID) -> bool:
        stmt = select(Call.id).where(Call.organization_id == self.org_id, Call.id == call_id)
        return await self.session.scalar(stmt) is not None

    async def get(self, call_id: uuid.UUID) -> StoredCall | None:
        call = await self.session.scalar(
            select(Call).where(Call.organization_id == self.org_id, Call.id == call_id)
        )
        if call is None:
            return None
        turns = await self.session.scalars(
            select(CallTranscript)
            .where(CallTranscript.organization_id == self.org_id, CallTranscript.call_id == call_id)
            .order_by(CallTranscript.seq)
        )
        intake = await self.session.scalar(
            select(CallIntake).where(CallIntake.organization_id == self.org_id, CallIntake.call_id == call_id)
        )
        events = await self.session.scalars(
            select(CallEvent)
            .where(CallEvent.organization_id == self.org_id, CallEvent.call_id == call_id)
            .order_by(CallEvent.seq)
        )
        return StoredCall(call=call, transcripts=list(turns), intake=intake, events=list(events))

    def _filtered(self, filters: CallFilters) -> Select[Call]:
        stmt = select(Call).where(Call.organization_id == self.org_id)
        if filters.status is not None:
            stmt = stmt.where(Call.status == filters.status)
        if filters.channel is not None:
            stmt = stmt.where(Call.channel == filters.channel)
        if filters.escalated is not None:
            stmt = stmt.where(Call.escalated.is_(filters.escalated))
        if filters.urgency is not None:
            stmt = stmt.where(Call.urgency == filters.urgency)
        if filters.started_after is not None:
            stmt = stmt.where(Call.started_at >= filters.started_after)
        if filters.started_before is not None:
            stmt = stmt.where(Call.started_at < filters.started_before)
        return stmt

    async def list_page(
        self, filters: CallFilters, *, limit: int, before: tuple[datetime, uuid.UUID] | None
    ) -> list[Call]:
        stmt = self._filtered(filters)
        if before is not None:
            stmt = stmt.where(tuple_(Call.started_at, Call.id) < tuple_(before[0], before[1]))
        stmt = stmt.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    def _insert_call(self, values: dict[str, Any]) -> Any:
        dialect = self.session.get_bind().dialect.name
        insert_call = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Call)
        # No conflict target: the id and the CallSid are the two unique keys, and either one is a
        # conflict to resolve here, not an error to repeat on every finalize.
        return insert_call.values(**values).on_conflict_do_nothing().returning(Call.id)

    async def insert_finalized(self, rows: FinalizedRows) -> bool:
        """Write a finished call in the caller's transaction; False if it was already stored.

        A CallSid already stored on another call (a replayed webhook after its binding expired) is
        dropped from this call, which is stored all the same.
        """
        if (await self.session.execute(self._insert_call(rows.call))).first() is None:
            if await self.exists(rows.call["id"]) or rows.call.get("twilio_call_sid") is None:
                return False
            rows.drop_call_sid()
            await self.session.execute(insert(Call).values(**rows.call))
        if rows.transcripts:
            await self.session.execute(insert(CallTranscript), rows.transcripts)
        if rows.intake is not None:
            await self.session.execute(insert(CallIntake), [rows.intake])
        if rows.events:
            await self.session.execute(insert(CallEvent), rows.events)
        return True

    async def insert_dead_letter(self, call: dict[str, Any]) -> bool:
        """The minimal row of a call that could not be finalized; False if the call was stored meanwhile."""
        return (await self.session.execute(self._insert_call(call))).first() is not None


async def org_exists(session: AsyncSession, org_id: uuid.UUID) -> bool:
    return await session.scalar(select(Organization.id).where(Organization.id == org_id)) is not None


async def quarantine(
    session: AsyncSession,
    *,
    call_id: uuid.UUID,
    org_id: uuid.UUID | None,
    error_type: str,
    attempts: int,
    snapshot: bytes,
) -> None:
    """Keep a dead-lettered call's raw live snapshot (platform-level: the org may be unknown)."""
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CallQuarantine).values(
        call_id=call_id, organization_id=org_id, error_type=error_type, attempts=attempts, snapshot=snapshot
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["call_id"]))


async def count_quarantined(session: AsyncSession) -> int:
    """Platform-wide, for /readyz: how many calls wait for a person to look at their snapshot."""
    return int(await session.scalar(select(func.count()).select_from(CallQuarantine)) or 0)
