"""Authentication: the platform operator's bearer key and scoped org API keys."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.orgs import errors
from app.orgs.keys import key_matches, parse_prefix, secret_equals
from app.orgs.repository import KeyAuthRepository
from database.base import utcnow

log = logging.getLogger("callintake.auth")

# last_used_at is a hint for humans; writing it on every request would make reads into writes.
_TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class OrgPrincipal:
    """An authenticated org API key and the org it belongs to, as read at authentication."""

    org_id: uuid.UUID
    org_slug: str
    org_name: str
    config: dict[str, Any]
    config_version: int
    key_id: uuid.UUID
    key_name: str
    scopes: frozenset[str]

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise errors.InsufficientScope(details={"required": scope})

    def require_org(self, org_id: str | uuid.UUID) -> uuid.UUID:
        """The path's org must be the key's org; anything else is 'not found', never 'forbidden'."""
        try:
            wanted = org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(org_id)
        except ValueError as exc:
            raise errors.OrgNotFound() from exc
        if wanted != self.org_id:
            raise errors.OrgNotFound()
        return wanted


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise errors.MissingCredentials()
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.MissingCredentials()
    return token.strip()


def check_platform_admin(authorization: str | None, admin_key: str | None) -> None:
    if not admin_key:
        raise errors.AdminNotConfigured()
    if not secret_equals(bearer_token(authorization), admin_key):
        raise errors.InvalidCredentials()


async def authenticate_org_key(session: AsyncSession, *, authorization: str | None) -> OrgPrincipal:
    key = bearer_token(authorization)
    prefix = parse_prefix(key)
    found = await KeyAuthRepository(session).find_by_prefix(prefix) if prefix else None
    stored_hash = found[0].key_hash if found else None
    if not key_matches(key, stored_hash) or found is None:
        log.info("auth_failed", extra={"reason": "unknown_key" if prefix else "malformed_key"})
        raise errors.InvalidCredentials()
    api_key, org = found
    if api_key.revoked_at is not None:
        log.info("auth_failed", extra={"reason": "revoked_key", "key_id": str(api_key.id)})
        raise errors.InvalidCredentials()
    now = utcnow()
    if api_key.last_used_at is None or now - api_key.last_used_at > _TOUCH_EVERY:
        await KeyAuthRepository(session).touch(api_key.id, now)
        await session.commit()
    return OrgPrincipal(
        org_id=org.id,
        org_slug=org.slug,
        org_name=org.name,
        config=org.config,
        config_version=org.config_version,
        key_id=api_key.id,
        key_name=api_key.name,
        scopes=frozenset(api_key.scopes),
    )
