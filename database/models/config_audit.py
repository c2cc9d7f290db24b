"""config_audit: who changed which org's config, when, and what changed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, JSONType, UTCDateTime, utcnow
from database.models._types import BigIntPK


class ConfigAudit(Base):
    __tablename__ = "config_audit"
    __table_args__ = (Index("ix_config_audit_org_changed", "organization_id", "changed_at", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    actor_type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
    old_version: Mapped[int] = mapped_column(Integer)
    new_version: Mapped[int] = mapped_column(Integer)
    changed_fields: Mapped[list[str]] = mapped_column(JSONType)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType)
