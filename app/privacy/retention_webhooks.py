"""Retention of webhook rows: deliveries (with their attempts) and outbox events past RETENTION_WEBHOOK_DAYS.

Every org, not only those with a privacy policy: without it the outbox and delivery tables grow
forever. An org whose transcript or intake retention is shorter gets that instead, since payloads
carry both. Deliveries go first, then the events left with none, each in small batches of their own
short transaction; an event still owed to an endpoint is never deleted (its deliveries keep it).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.orgs.config import PrivacyConfig
from app.settings import RetentionSettings
from app.webhooks.repository import WebhookRepository
from database.base import utcnow
from database.models import Organization

log = logging.getLogger("callintake.retention")


def webhook_retention_days(settings: RetentionSettings, privacy: PrivacyConfig) -> int:
    days = [settings.webhook_days, privacy.transcript_retention_days, privacy.intake_retention_days]
    return min(day for day in days if day is not None)


async def _purge(
    session_factory: async_sessionmaker[AsyncSession],
    org_id: uuid.UUID,
    step: Any,
    cutoff: datetime,
    settings: RetentionSettings,
) -> int:
    total = 0
    while True:
        async with session_factory() as session, session.begin():
            deleted: int = await step(WebhookRepository(session, org_id), cutoff, limit=settings.batch_size)
        total += deleted
        if deleted < settings.batch_size:
            return total
        if settings.batch_pause_seconds:
            await asyncio.sleep(settings.batch_pause_seconds)  # let other writers in between batches


async def purge_org_webhooks(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    org_id: uuid.UUID,
    privacy: PrivacyConfig,
    settings: RetentionSettings,
    now: datetime | None = None,
) -> dict[str, int]:
    cutoff = (now or utcnow()) - timedelta(days=webhook_retention_days(settings, privacy))
    deliveries = await _purge(
        session_factory, org_id, WebhookRepository.delete_deliveries_before, cutoff, settings
    )
    events = await _purge(session_factory, org_id, WebhookRepository.delete_events_before, cutoff, settings)
    return {"webhook_deliveries": deliveries, "outbox_events": events}


async def run_webhook_retention(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    settings: RetentionSettings,
    now: datetime | None = None,
) -> dict[uuid.UUID, dict[str, int]]:
    """One pass over every org; returns what went, per org that lost anything."""
    now = now or utcnow()
    async with session_factory() as session:
        orgs = (await session.execute(select(Organization.id, Organization.config))).all()
    purged = {}
    for org_id, config in orgs:
        privacy = PrivacyConfig.model_validate((config or {}).get("privacy") or {})
        counts = await purge_org_webhooks(
            session_factory, org_id=org_id, privacy=privacy, settings=settings, now=now
        )
        if any(counts.values()):
            purged[org_id] = counts
            log.info("webhook_retention_org_done", extra={"org": str(org_id), **counts})
    return purged
