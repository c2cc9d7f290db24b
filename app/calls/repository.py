"""Every PostgreSQL query on finished calls; each one filters by organization_id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from database.models import Call, CallEvent, CallIntake, CallTranscript


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

    async def insert_finalized(self, rows: FinalizedRows) -> bool:
        """Write a finished call in the caller's transaction; False if it was already stored."""
        dialect = self.session.get_bind().dialect.name
        insert_call = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Call)
        stmt = (
            insert_call.values(**rows.call).on_conflict_do_nothing(index_elements=["id"]).returning(Call.id)
        )
        if (await self.session.execute(stmt)).first() is None:
            return False
        if rows.transcripts:
            await self.session.execute(insert(CallTranscript), rows.transcripts)
        if rows.intake is not None:
            await self.session.execute(insert(CallIntake), [rows.intake])
        if rows.events:
            await self.session.execute(insert(CallEvent), rows.events)
        return True
