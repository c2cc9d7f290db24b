"""An org's usage: live calls from the slot leases, the rest from indexed PostgreSQL counts.

`calls_today` and `minutes_this_month` use ix_calls_org_started (a range over one org's recent calls),
`overflowed_this_month` ix_call_overflows_org_at; nothing scans the table. Day and month are the org's
own, in its time zone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.slots import Slots
from app.orgs.config import OrgConfig
from app.privacy.repository import PrivacyRepository
from app.privacy.schemas import OrgUsage


def period_starts(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The start of today and of this month in the org's zone, as UTC instants."""
    local = now.astimezone(ZoneInfo(timezone))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day.astimezone(UTC), day.replace(day=1).astimezone(UTC)


async def org_usage(
    session: AsyncSession,
    slots: Slots,
    *,
    org_id: uuid.UUID,
    config: OrgConfig,
    now: datetime | None = None,
) -> OrgUsage:
    today, month = period_starts(now or datetime.now(UTC), config.timezone)
    repo = PrivacyRepository(session, org_id)
    return OrgUsage(
        live_calls=await slots.count(str(org_id)),
        max_concurrent_calls=config.limits.max_concurrent_calls,
        calls_today=await repo.calls_started_since(today),
        minutes_this_month=round(await repo.minutes_started_since(month), 2),
        overflowed_this_month=await repo.overflows_since(month),
    )
