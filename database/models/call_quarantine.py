"""call_quarantine: the raw live snapshot of a call that could not be finalized (dead letter, issue 7).

Kept as bytes (the store's own JSON) so nothing in it can be refused again: NUL, any length, any
shape. `organization_id` is null when the snapshot names no existing org. Holds caller data.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, UTCDateTime, utcnow


class CallQuarantine(Base):
    __tablename__ = "call_quarantine"

    call_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    error_type: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)
    quarantined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
