"""Webhook use cases: manage endpoints, rotate secrets, list and redeliver deliveries, send a test event.

Never commits; the route owns the transaction.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.events import outbox
from app.pagination import decode_time_id_cursor, page_of
from app.settings import WebhookSettings
from app.webhooks import errors, ssrf
from app.webhooks.crypto import box_for
from app.webhooks.payloads import build_payload, erased_data, erased_payload
from app.webhooks.repository import MAX_ENDPOINTS_PER_ORG, WebhookRepository
from app.webhooks.schemas import Attempt, Delivery, WebhookCreate, WebhookUpdate
from app.webhooks.signing import new_secret
from database.base import utcnow
from database.models import OutboxEvent, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("callintake.webhooks")


class TooManyWebhooks(Conflict):
    code = "webhook_limit_reached"
    message = f"an org may register at most {MAX_ENDPOINTS_PER_ORG} webhook endpoints"


async def create_webhook(
    session: AsyncSession, *, org_id: uuid.UUID, data: WebhookCreate, settings: WebhookSettings
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret (returned this once)."""
    await ssrf.check_url(data.url, allow_private=settings.allow_private_targets)
    repo = WebhookRepository(session, org_id)
    if await repo.count() >= MAX_ENDPOINTS_PER_ORG:
        raise TooManyWebhooks()
    secret = new_secret()
    now = utcnow()
    endpoint_id = uuid.uuid4()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        url=data.url,
        description=data.description,
        events=list(data.events),
        include_transcript=data.include_transcript,
        secret_encrypted=box_for(settings).encrypt(secret, endpoint_id=endpoint_id),
        enabled=True,
        created_at=now,
        updated_at=now,
    )
    await repo.add(endpoint)
    log.info("webhook_created", extra={"org": str(org_id), "webhook": str(endpoint.id)})
    return endpoint, secret


async def get_webhook(session: AsyncSession, *, org_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = await WebhookRepository(session, org_id).get(endpoint_id)
    if endpoint is None:
        raise errors.WebhookNotFound()
    return endpoint


async def list_webhooks(session: AsyncSession, *, org_id: uuid.UUID) -> list[WebhookEndpoint]:
    return list(await WebhookRepository(session, org_id).all())


async def update_webhook(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    data: WebhookUpdate,
    settings: WebhookSettings,
) -> WebhookEndpoint:
    endpoint = await WebhookRepository(session, org_id).get(endpoint_id, for_update=True)
    if endpoint is None:
        raise errors.WebhookNotFound()
    changes = data.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        await ssrf.check_url(changes["url"], allow_private=settings.allow_private_targets)
        endpoint.url = changes["url"]
    if changes.get("events") is not None:
        endpoint.events = list(changes["events"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("include_transcript") is not None:
        endpoint.include_transcript = changes["include_transcript"]
    if changes.get("enabled") is not None and changes["enabled"] != endpoint.enabled:
        endpoint.enabled = changes["enabled"]
        endpoint.disabled_reason = None if endpoint.enabled else "manual"
        endpoint.disabled_at = None if endpoint.enabled else utcnow()
        endpoint.failing_since = None
    endpoint.updated_at = utcnow()
    await session.flush()
    return endpoint


async def delete_webhook(session: AsyncSession, *, org_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    if not await WebhookRepository(session, org_id).delete(endpoint_id):
        raise errors.WebhookNotFound()


async def rotate_secret(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    settings: WebhookSettings,
    now: datetime | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new current secret (returned this once); the old one keeps signing beside it for the overlap."""
    endpoint = await WebhookRepository(session, org_id).get(endpoint_id, for_update=True)
    if endpoint is None:
        raise errors.WebhookNotFound()
    now = now or utcnow()
    box = box_for(settings)
    secret = new_secret()
    # Both under the current key: a rotation also moves the old secret off a retired key.
    old = box.decrypt(endpoint.secret_encrypted, endpoint_id=endpoint.id)
    endpoint.previous_secret_encrypted = box.encrypt(old, endpoint_id=endpoint.id)
    endpoint.previous_secret_expires_at = now + timedelta(seconds=settings.secret_overlap_seconds)
    endpoint.secret_encrypted = box.encrypt(secret, endpoint_id=endpoint.id)
    endpoint.updated_at = now
    await session.flush()
    log.info("webhook_secret_rotated", extra={"org": str(org_id), "webhook": str(endpoint_id)})
    return endpoint, secret


def delivery_view(delivery: WebhookDelivery, attempts: list[Attempt]) -> Delivery:
    return Delivery(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        message_id=delivery.message_id,
        event_type=delivery.event_type,
        call_id=delivery.call_id,
        state=delivery.state,
        attempt_count=delivery.attempt_count,
        next_attempt_at=delivery.next_attempt_at if delivery.state == "pending" else None,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        attempts=attempts,
    )


async def list_deliveries(
    session: AsyncSession, *, org_id: uuid.UUID, endpoint_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[Delivery], str | None]:
    repo = WebhookRepository(session, org_id)
    if await repo.get(endpoint_id) is None:
        raise errors.WebhookNotFound()
    before = decode_time_id_cursor(cursor)
    rows = list(await repo.deliveries_page(endpoint_id, limit=limit + 1, before=before))
    rows, next_cursor = page_of(rows, limit, lambda d: (d.created_at, d.id))
    attempts = await repo.attempts_for([d.id for d in rows])
    items = [delivery_view(d, [Attempt.model_validate(a) for a in attempts.get(d.id, [])]) for d in rows]
    return items, next_cursor


async def redeliver(session: AsyncSession, *, org_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery:
    """Send the same message (same webhook-id) again now, with a fresh retry schedule."""
    repo = WebhookRepository(session, org_id)
    delivery = await repo.get_delivery(delivery_id, for_update=True)
    if delivery is None:
        raise errors.DeliveryNotFound()
    endpoint = await repo.get(delivery.endpoint_id)
    if endpoint is None:
        raise errors.DeliveryNotFound()
    if not endpoint.enabled:
        raise errors.WebhookDisabled()
    now = utcnow()
    delivery.state = "pending"
    delivery.schedule_step = 0
    delivery.client_errors = 0
    delivery.next_attempt_at = now
    delivery.updated_at = now
    await session.flush()
    await outbox.deliveries_changed(session)
    attempts = await repo.attempts_for([delivery.id])
    return delivery_view(delivery, [Attempt.model_validate(a) for a in attempts.get(delivery.id, [])])


async def send_test(session: AsyncSession, *, org_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookDelivery:
    """A `webhook.test` event for this endpoint only, delivered like any other."""
    endpoint = await WebhookRepository(session, org_id).get(endpoint_id)
    if endpoint is None:
        raise errors.WebhookNotFound()
    if not endpoint.enabled:
        raise errors.WebhookDisabled()
    now = utcnow()
    event = OutboxEvent(
        id=uuid.uuid4(),
        organization_id=org_id,
        type=outbox.TEST_EVENT,
        data={"webhook_id": str(endpoint.id), "message": "a test event from callintake"},
        created_at=now,
        fanned_out_at=now,
    )
    session.add(event)
    await session.flush()
    delivery_id = uuid.uuid4()
    await session.execute(
        insert(WebhookDelivery).values(
            id=delivery_id,
            organization_id=org_id,
            endpoint_id=endpoint.id,
            event_id=event.id,
            message_id=outbox.message_id(event.id),
            event_type=event.type,
            call_id=None,
            payload=build_payload(event, endpoint),
            state="pending",
            attempt_count=0,
            schedule_step=0,
            client_errors=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    await outbox.deliveries_changed(session)
    delivery = await WebhookRepository(session, org_id).get_delivery(delivery_id)
    assert delivery is not None
    return delivery


async def erase_call_payloads(
    session: AsyncSession, *, org_id: uuid.UUID, call_id: uuid.UUID
) -> dict[str, int]:
    """Erasure reaches webhooks: the call's outbox events and every stored delivery body keep only the
    tombstone's facts. A pending delivery is still sent (same message id, so a receiver can tell it
    apart), but with the redacted body: the receiver never gets erased data after this commits."""
    repo = WebhookRepository(session, org_id)
    events = await repo.call_outbox_events(call_id)
    for event in events:
        event.data = erased_data(dict(event.data))
    deliveries = await repo.call_deliveries([event.id for event in events])
    for delivery in deliveries:
        delivery.payload = erased_payload(dict(delivery.payload))
    await session.flush()
    return {"outbox_events": len(events), "webhook_deliveries": len(deliveries)}
