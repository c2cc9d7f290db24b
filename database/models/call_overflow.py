"""call_overflows: one row per call refused by a concurrency cap and what it got instead (issue 11)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, UTCDateTime, utcnow
from database.models._types import BigIntPK


class CallOverflow(Base):
    __tablename__ = "call_overflows"
    # GET /api/org/usage counts an org's overflows since the month began.
    __table_args__ = (Index("ix_call_overflows_org_at", "organization_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))
    # forward_to_escalation | voicemail | busy (phone), rejected (browser and REST: a 429).
    outcome: Mapped[str] = mapped_column(String(32))
    refused_by: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
