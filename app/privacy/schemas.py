"""Response bodies of erasure and usage."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class ContentErased(BaseModel):
    call_id: uuid.UUID
    content_erased_at: datetime
    content_erased_by: str
    deleted: dict[str, int]
    repeated: bool


class OrgUsage(BaseModel):
    live_calls: int
    max_concurrent_calls: int | None
    calls_today: int
    minutes_this_month: float
    overflowed_this_month: int
