"""REST routes of an org's webhooks: /api/org/webhooks (config:write manages, config:read reads)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.deps import ConfigReader, ConfigWriter, DbSession, SettingsDep
from app.errors import path_uuid
from app.webhooks import errors, service
from app.webhooks.schemas import (
    Delivery,
    DeliveryPage,
    TestSent,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookSecret,
    WebhookUpdate,
)

router = APIRouter(prefix="/api/org/webhooks", tags=["webhooks"])

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=512)]


def _webhook_uuid(value: str) -> uuid.UUID:
    return path_uuid(value, errors.WebhookNotFound)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
async def create_webhook(
    principal: ConfigWriter, session: DbSession, settings: SettingsDep, body: WebhookCreate
) -> WebhookCreated:
    endpoint, secret = await service.create_webhook(
        session, org_id=principal.org_id, data=body, settings=settings.webhooks
    )
    await session.commit()
    return WebhookCreated(**Webhook.model_validate(endpoint).model_dump(), secret=secret)


@router.get("", response_model=WebhookList)
async def list_webhooks(principal: ConfigReader, session: DbSession) -> WebhookList:
    rows = await service.list_webhooks(session, org_id=principal.org_id)
    return WebhookList(items=[Webhook.model_validate(row) for row in rows])


@router.get("/{webhook_id}", response_model=Webhook)
async def get_webhook(principal: ConfigReader, session: DbSession, webhook_id: str) -> Webhook:
    endpoint = await service.get_webhook(
        session, org_id=principal.org_id, endpoint_id=_webhook_uuid(webhook_id)
    )
    return Webhook.model_validate(endpoint)


@router.patch("/{webhook_id}", response_model=Webhook)
async def update_webhook(
    principal: ConfigWriter, session: DbSession, settings: SettingsDep, webhook_id: str, body: WebhookUpdate
) -> Webhook:
    endpoint = await service.update_webhook(
        session,
        org_id=principal.org_id,
        endpoint_id=_webhook_uuid(webhook_id),
        data=body,
        settings=settings.webhooks,
    )
    await session.commit()
    return Webhook.model_validate(endpoint)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(principal: ConfigWriter, session: DbSession, webhook_id: str) -> Response:
    await service.delete_webhook(session, org_id=principal.org_id, endpoint_id=_webhook_uuid(webhook_id))
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookSecret)
async def rotate_webhook_secret(
    principal: ConfigWriter, session: DbSession, settings: SettingsDep, webhook_id: str
) -> WebhookSecret:
    endpoint, secret = await service.rotate_secret(
        session, org_id=principal.org_id, endpoint_id=_webhook_uuid(webhook_id), settings=settings.webhooks
    )
    await session.commit()
    return WebhookSecret(
        id=endpoint.id, secret=secret, previous_secret_expires_at=endpoint.previous_secret_expires_at
    )


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage)
async def list_webhook_deliveries(
    principal: ConfigReader, session: DbSession, webhook_id: str, limit: Limit = 50, cursor: Cursor = None
) -> DeliveryPage:
    items, next_cursor = await service.list_deliveries(
        session, org_id=principal.org_id, endpoint_id=_webhook_uuid(webhook_id), limit=limit, cursor=cursor
    )
    return DeliveryPage(items=items, next_cursor=next_cursor)


@router.post("/deliveries/{delivery_id}/redeliver", response_model=Delivery)
async def redeliver_webhook_delivery(
    principal: ConfigWriter, session: DbSession, delivery_id: str
) -> Delivery:
    delivery = await service.redeliver(
        session, org_id=principal.org_id, delivery_id=path_uuid(delivery_id, errors.DeliveryNotFound)
    )
    await session.commit()
    return delivery


@router.post("/{webhook_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=TestSent)
async def send_webhook_test(principal: ConfigWriter, session: DbSession, webhook_id: str) -> TestSent:
    delivery = await service.send_test(
        session, org_id=principal.org_id, endpoint_id=_webhook_uuid(webhook_id)
    )
    await session.commit()
    return TestSent(delivery_id=delivery.id, message_id=delivery.message_id)
