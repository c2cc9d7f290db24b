"""Request and response bodies of the webhook routes."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.events.outbox import EVENT_TYPES

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _no_controls(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _one_line(value: str) -> str:
    if "\n" in value or "\t" in value or _CONTROL.search(value):
        raise ValueError("must be one line without control characters")
    return value


WebhookUrl = Annotated[str, Field(min_length=8, max_length=2048), AfterValidator(_one_line)]
Description = Annotated[str, Field(max_length=500), AfterValidator(_no_controls)]
EventType = Literal[
    "call.started",
    "call.escalated",
    "call.transfer_finished",
    "intake.completed",
    "call.ended",
    "call.analyzed",
    "webhook_endpoint.disabled",
]
assert set(EventType.__args__) == set(EVENT_TYPES)  # type: ignore[attr-defined]


def _unique(values: list[EventType]) -> list[EventType]:
    return list(dict.fromkeys(values))


EventList = Annotated[
    list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES)), AfterValidator(_unique)
]
DeliveryState = Literal["pending", "delivered", "failed", "dead"]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    events: EventList
    description: Description | None = None
    include_transcript: bool = False


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    events: EventList | None = None
    description: Description | None = None
    include_transcript: bool | None = None
    enabled: bool | None = None


class Webhook(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    events: list[str]
    description: str | None
    include_transcript: bool
    enabled: bool
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    secret: str = Field(description="The whsec_ signing secret; shown this once.")


class WebhookSecret(BaseModel):
    id: uuid.UUID
    secret: str = Field(description="The new whsec_ secret; shown this once.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then both the old and the new secret sign every delivery."
    )


class WebhookList(BaseModel):
    items: list[Webhook]


class Attempt(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    at: datetime
    status_code: int | None
    latency_ms: float | None
    error_kind: str | None = Field(
        description="timeout | connect | target_forbidden | redirect | http_4xx | http_5xx | null on success"
    )


class Delivery(BaseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    message_id: str
    event_type: str
    call_id: uuid.UUID | None
    state: DeliveryState
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[Attempt]


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None


class TestSent(BaseModel):
    delivery_id: uuid.UUID
    message_id: str
