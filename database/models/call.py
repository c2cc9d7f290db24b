"""calls: one row per finished call, written once by finalize."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, JSONType, UTCDateTime, utcnow


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("channel IN ('browser', 'phone')", name="channel"),
        # Keyset pagination walks (started_at, id) newest first, per org and per filter.
        Index("ix_calls_org_started", "organization_id", "started_at", "id"),
        Index("ix_calls_org_status_started", "organization_id", "status", "started_at", "id"),
        Index("ix_calls_org_escalated_started", "organization_id", "escalated", "started_at", "id"),
        Index("ix_calls_org_urgency_started", "organization_id", "urgency", "started_at", "id"),
        # The retention job walks an org's calls whose transcript is still there, oldest first.
        Index(
            "ix_calls_org_started_unpurged",
            "organization_id",
            "started_at",
            postgresql_where=text("transcript_purged_at IS NULL"),
            sqlite_where=text("transcript_purged_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    escalation_urgency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    urgency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    twilio_call_sid: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    # The OpenAI Realtime call (`rtc_...`) of a browser call over the unified interface.
    openai_call_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    from_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    caller_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    config_version: Mapped[int] = mapped_column(Integer)
    prompt_hash: Mapped[str] = mapped_column(String(80))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    turn_count: Mapped[int] = mapped_column(Integer, default=0)
    persisted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
    # Issue 11: the voicemail an overflowed phone call left; retention and erasure marks (the row is
    # kept as the tombstone, with who erased it: an API key id, never caller data).
    recording_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    transcript_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    intake_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    content_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    content_erased_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
