"""Queries on an org's webhook endpoints, deliveries and attempts; every one filters by organization_id."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from database.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS_PER_ORG = 50


class WebhookRepository:
    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def add(self, endpoint: WebhookEndpoint) -> None:
        endpoint.organization_id = self.org_id
        self.session.add(endpoint)
        await self.session.flush()

    async def count(self) -> int:
        rows = await self.session.scalars(
            select(WebhookEndpoint.id).where(WebhookEndpoint.organization_id == self.org_id)
        )
        return len(rows.all())

    async def get(self, endpoint_id: uuid.UUID, *, for_update: bool = False) -> WebhookEndpoint | None:
        stmt = select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id == self.org_id, WebhookEndpoint.id == endpoint_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        endpoint: WebhookEndpoint | None = await self.session.scalar(stmt)
        return endpoint

    async def all(self) -> Sequence[WebhookEndpoint]:
        rows = await self.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organization_id == self.org_id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
        return rows.all()

    async def delete(self, endpoint_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(WebhookEndpoint).where(
                WebhookEndpoint.organization_id == self.org_id, WebhookEndpoint.id == endpoint_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def deliveries_page(
        self, endpoint_id: uuid.UUID, *, limit: int, before: tuple[datetime, uuid.UUID] | None
    ) -> Sequence[WebhookDelivery]:
        stmt = select(WebhookDelivery).where(
            WebhookDelivery.organization_id == self.org_id, WebhookDelivery.endpoint_id == endpoint_id
        )
        if before is not None:
            moment, row_id = before
            stmt = stmt.where(
                or_(
                    WebhookDelivery.created_at < moment,
                    and_(WebhookDelivery.created_at == moment, WebhookDelivery.id < row_id),
                )
            )
        rows = await self.session.scalars(
            stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit)
        )
        return rows.all()

    async def get_delivery(
        self, delivery_id: uuid.UUID, *, for_update: bool = False
    ) -> WebhookDelivery | None:
        stmt = select(WebhookDelivery).where(
            WebhookDelivery.organization_id == self.org_id, WebhookDelivery.id == delivery_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        delivery: WebhookDelivery | None = await self.session.scalar(stmt)
        return delivery

    async def attempts_for(self, delivery_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[WebhookAttempt]]:
        found: dict[uuid.UUID, list[WebhookAttempt]] = defaultdict(list)
        if not delivery_ids:
            return found
        rows = await self.session.scalars(
            select(WebhookAttempt)
            .where(
                WebhookAttempt.organization_id == self.org_id, WebhookAttempt.delivery_id.in_(delivery_ids)
            )
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
        )
        for attempt in rows:
            found[attempt.delivery_id].append(attempt)
        return found

    # -- erasure and retention ---------------------------------------------------------------------

    async def call_outbox_events(self, call_id: uuid.UUID) -> Sequence[OutboxEvent]:
        rows = await self.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.organization_id == self.org_id, OutboxEvent.call_id == call_id)
            .order_by(OutboxEvent.id)
            .with_for_update()
        )
        return rows.all()

    async def call_deliveries(self, event_ids: Sequence[uuid.UUID]) -> Sequence[WebhookDelivery]:
        # Found through their events; locked in id order, like the dispatcher's recording (no deadlock).
        rows = await self.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.organization_id == self.org_id, WebhookDelivery.event_id.in_(event_ids))
            .order_by(WebhookDelivery.id)
            .with_for_update()
        )
        return rows.all()

    async def delete_deliveries_before(self, cutoff: datetime, *, limit: int) -> int:
        """Deliveries (their attempts cascade) of events older than `cutoff`, unless still pending and
        changed since (a retry under way); pending untouched that long means a disabled endpoint."""
        ids = (
            select(WebhookDelivery.id)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .where(
                OutboxEvent.organization_id == self.org_id,
                OutboxEvent.created_at < cutoff,
                WebhookDelivery.organization_id == self.org_id,
                or_(WebhookDelivery.state != "pending", WebhookDelivery.updated_at < cutoff),
            )
            .limit(limit)
        )
        result = await self.session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.organization_id == self.org_id, WebhookDelivery.id.in_(ids.scalar_subquery())
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_events_before(self, cutoff: datetime, *, limit: int) -> int:
        """Fanned-out outbox events older than `cutoff` with no delivery left (never one still owed)."""
        ids = (
            select(OutboxEvent.id)
            .where(
                OutboxEvent.organization_id == self.org_id,
                OutboxEvent.created_at < cutoff,
                OutboxEvent.fanned_out_at.is_not(None),
                ~exists().where(WebhookDelivery.event_id == OutboxEvent.id),
            )
            .limit(limit)
        )
        result = await self.session.execute(
            delete(OutboxEvent).where(
                OutboxEvent.organization_id == self.org_id, OutboxEvent.id.in_(ids.scalar_subquery())
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
