"""Request and response bodies of the orgs domain."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from app.orgs.config import E164, OrgConfig
from app.validation import RequestModel

_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class Scope(StrEnum):
    config_read = "config:read"
    config_write = "config:write"
    calls_read = "calls:read"
    calls_write = "calls:write"
    sessions_create = "sessions:create"


class OrgCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = None
    config: OrgConfig

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not _SLUG_RE.match(value):
            raise ValueError(
                "must be 1-63 lower-case letters, digits or hyphens, not starting or ending with -"
            )
        return value


class Org(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    timezone: str
    config_version: int
    created_at: datetime
    updated_at: datetime


class OrgPage(BaseModel):
    items: list[Org]
    next_cursor: str | None


class ApiKeyCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1)

    @field_validator("scopes")
    @classmethod
    def _unique(cls, scopes: list[Scope]) -> list[Scope]:
        if len(set(scopes)) != len(scopes):
            raise ValueError("scopes must be unique")
        return scopes


class ApiKey(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The secret; shown only in this response.")


class PhoneNumberCreate(RequestModel):
    number: E164


class PhoneNumber(BaseModel):
    number: str
    organization_id: uuid.UUID
    created_at: datetime


class OrgConfigOut(BaseModel):
    org_id: uuid.UUID
    config: OrgConfig
    config_version: int
    etag: str
    updated_at: datetime


class ConfigAuditEntry(BaseModel):
    id: int
    actor_type: str
    actor_id: str | None
    actor_name: str | None
    changed_at: datetime
    old_version: int
    new_version: int
    changed_fields: list[str]
    changes: dict[str, Any]


class ConfigAuditPage(BaseModel):
    items: list[ConfigAuditEntry]
    next_cursor: str | None


class PromptPreview(BaseModel):
    at: datetime
    is_open: bool
    open_reason: str
    local_time: datetime
    next_open: datetime | None
    holiday_name: str | None
    instructions: str
    tools: list[dict[str, Any]]
    prompt_hash: str
    model: str
    voice: str
