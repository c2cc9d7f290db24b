"""privacy_audit: each retention run and each erasure: org, what was deleted, how many rows, by whom."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, JSONType, UTCDateTime, utcnow
from database.models._types import BigIntPK


class PrivacyAudit(Base):
    __tablename__ = "privacy_audit"
    __table_args__ = (Index("ix_privacy_audit_org_at", "organization_id", "at", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(16))  # retention | erasure
    # The API key id of an erasure, "retention_job" for the daily job. Never caller data.
    actor: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # {"call_transcripts": n, "call_events": n, "call_intakes": n, "calls_marked": n}
    deleted: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The cut-offs a retention run applied ({"transcripts_before": iso, "intakes_before": iso}).
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
