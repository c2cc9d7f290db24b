"""call_intakes: the structured intake a call produced (at most one per call)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, JSONType, UTCDateTime


class CallIntake(Base):
    __tablename__ = "call_intakes"
    # The retention job deletes an org's intakes completed before its cut-off (issue 11).
    __table_args__ = (Index("ix_call_intakes_org_completed", "organization_id", "completed_at"),)

    call_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    urgency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
