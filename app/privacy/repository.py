"""Every PostgreSQL query of retention, erasure and usage; each one filters by organization_id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from database.models import (
    Call,
    CallAnalysis,
    CallEvent,
    CallIntake,
    CallOverflow,
    CallTranscript,
    PrivacyAudit,
)

# Tables holding one call's conversation, all deleted by erasure; retention deletes transcripts and
# events (and intakes on their own retention).
CONTENT_TABLES: tuple[Any, ...] = (CallTranscript, CallEvent, CallIntake, CallAnalysis)


class PrivacyRepository:
    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def call_for_update(self, call_id: uuid.UUID) -> Call | None:
        return await self.session.scalar(
            select(Call).where(Call.organization_id == self.org_id, Call.id == call_id).with_for_update()
        )

    async def delete_content(self, call_ids: Sequence[uuid.UUID], tables: Sequence[Any]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for table in tables:
            result = await self.session.execute(
                delete(table).where(table.organization_id == self.org_id, table.call_id.in_(call_ids))
            )
            counts[table.__tablename__] = int(getattr(result, "rowcount", 0) or 0)
        return counts

    async def unpurged_calls_before(self, cutoff: datetime, *, limit: int) -> list[tuple[uuid.UUID, int]]:
        """(id, turn_count) of ended calls started before `cutoff` whose transcript is still stored."""
        rows = await self.session.execute(
            select(Call.id, Call.turn_count)
            .where(
                Call.organization_id == self.org_id,
                Call.started_at < cutoff,
                Call.transcript_purged_at.is_(None),
            )
            .order_by(Call.started_at)
            .limit(limit)
        )
        return [(row[0], int(row[1] or 0)) for row in rows]

    async def intake_calls_before(self, cutoff: datetime, *, limit: int) -> list[uuid.UUID]:
        rows = await self.session.scalars(
            select(CallIntake.call_id)
            .where(CallIntake.organization_id == self.org_id, CallIntake.completed_at < cutoff)
            .order_by(CallIntake.completed_at)
            .limit(limit)
        )
        return list(rows)

    async def mark_calls(self, call_ids: Sequence[uuid.UUID], **values: Any) -> int:
        result = await self.session.execute(
            update(Call).where(Call.organization_id == self.org_id, Call.id.in_(call_ids)).values(**values)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def audit(self, **values: Any) -> None:
        self.session.add(PrivacyAudit(organization_id=self.org_id, **values))

    async def calls_started_since(self, since: datetime) -> int:
        stmt = select(func.count()).where(Call.organization_id == self.org_id, Call.started_at >= since)
        return int(await self.session.scalar(stmt) or 0)

    async def minutes_started_since(self, since: datetime) -> float:
        stmt = select(func.coalesce(func.sum(Call.duration_seconds), 0.0)).where(
            Call.organization_id == self.org_id, Call.started_at >= since
        )
        return float(await self.session.scalar(stmt) or 0.0) / 60.0

    async def overflows_since(self, since: datetime) -> int:
        stmt = select(func.count()).where(
            CallOverflow.organization_id == self.org_id, CallOverflow.at >= since
        )
        return int(await self.session.scalar(stmt) or 0)
