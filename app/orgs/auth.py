"""Authentication: the platform operator's bearer key and scoped org API keys."""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.calls.live_store import LiveStore
from app.errors import path_uuid
from app.orgs import errors
from app.orgs.keys import hash_key, parse_prefix, secret_equals
from app.orgs.repository import KeyAuthRepository, OrgRepository
from database.base import utcnow

log = logging.getLogger("callintake.auth")

# last_used_at is a hint for humans; writing it on every request would make reads into writes.
_TOUCH_EVERY = timedelta(seconds=60)
AUTH_CACHE_SECONDS = 30


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
        wanted = path_uuid(org_id, errors.OrgNotFound)
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


def key_cache_key(key_hash: str) -> str:
    return f"apikey:{key_hash}"


def org_cache_key(org_id: uuid.UUID | str) -> str:
    return f"org:{org_id}"


async def authenticate_org_key(
    session: AsyncSession, live: LiveStore, *, authorization: str | None
) -> OrgPrincipal:
    """Check a key, from the shared cache when warm so live calls keep working while PostgreSQL is down.

    Revoking a key or editing a config invalidates the cached entries, so both take effect at once: the
    generations read here before the database read make a cache write from a read that raced the
    revocation (or config change) fail instead of bringing the old entry back for 30 s.
    """
    prefix, key_hash = _parse_key(authorization)
    cached = await _from_cache(live, key_hash)
    if cached is not None:
        return cached
    return await _from_database(session, live, prefix, key_hash)


async def authenticate_with(
    sessions: async_sessionmaker[AsyncSession], live: LiveStore, *, authorization: str | None
) -> OrgPrincipal:
    """`authenticate_org_key`, with a database session opened only on a cache miss (the hot path, a warm
    cache, then builds no session at all)."""
    prefix, key_hash = _parse_key(authorization)
    cached = await _from_cache(live, key_hash)
    if cached is not None:
        return cached
    async with sessions() as session:
        return await _from_database(session, live, prefix, key_hash)


def remembered_principal(authorization: str | None) -> OrgPrincipal | None:
    """The principal `authenticate_with` last returned for this key in this process, read with no I/O;
    None when there is none (or the header is not a key). It is not a check: a route that starts work
    on it has `authenticate_with` confirm it before any of that work is seen (`deps.EarlyPrincipal`)."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or parse_prefix(token) is None:
        return None
    remembered = _REMEMBERED.get(hash_key(token))
    return remembered.principal if remembered is not None else None


def _parse_key(authorization: str | None) -> tuple[str, str]:
    key = bearer_token(authorization)
    prefix = parse_prefix(key)
    if prefix is None:
        log.info("auth_failed", extra={"reason": "malformed_key"})
        raise errors.InvalidCredentials()
    return prefix, hash_key(key)


async def _from_database(session: AsyncSession, live: LiveStore, prefix: str, key_hash: str) -> OrgPrincipal:
    generations = await live.cache_generations(key_cache_key(key_hash))
    found = await KeyAuthRepository(session).find_by_prefix(prefix)
    if found is None or not secret_equals(key_hash, found[0].key_hash):
        log.info("auth_failed", extra={"reason": "unknown_key"})
        raise errors.InvalidCredentials()
    api_key, org = found
    if api_key.revoked_at is not None:
        log.info("auth_failed", extra={"reason": "revoked_key", "key_id": str(api_key.id)})
        raise errors.InvalidCredentials()
    now = utcnow()
    if (api_key.last_used_at is None or now - api_key.last_used_at > _TOUCH_EVERY) and await _touch_due(
        live, api_key.id
    ):
        await KeyAuthRepository(session).touch(api_key.id, now)
        await session.commit()
    principal = OrgPrincipal(
        org_id=org.id,
        org_slug=org.slug,
        org_name=org.name,
        config=org.config,
        config_version=org.config_version,
        key_id=api_key.id,
        key_name=api_key.name,
        scopes=frozenset(api_key.scopes),
    )
    await _to_cache(session, live, key_hash, principal, key_generation=generations[0])
    # Ends the read transaction: the connection goes back to the pool now, not after the route's upstream
    # round trip (a burst of misses after a cache expiry would otherwise hold one each for its length).
    await session.commit()
    return principal


async def _touch_due(live: LiveStore, key_id: uuid.UUID) -> bool:
    """At most one last_used_at write per key per _TOUCH_EVERY across every worker: the misses of a burst
    after a cache expiry all see the old timestamp, and each would otherwise update the same row."""
    return await live.acquire_lock(f"apikey-touch:{key_id}", "1", _TOUCH_EVERY.total_seconds())


@dataclass(frozen=True, slots=True)
class _Remembered:
    raw_key: str
    raw_org: str
    principal: OrgPrincipal


# The principal this process last built from each key's two cache entries. It is only ever returned
# when both entries read back byte for byte the same, so it is exactly as fresh as the cache itself
# (a revocation or config change deletes an entry, and the next request sees it gone); it saves the
# second round trip (the org id is known up front) and parsing the org's config on every request.
_REMEMBERED: OrderedDict[str, _Remembered] = OrderedDict()
# The least recently used go first, and an org entry over 16 KB (a config is a few KB in practice) is
# not remembered at all: the memo then stays under about 100 MB even when every entry is at the bound.
_REMEMBER_AT_MOST = 1024
_REMEMBER_ORG_CHARS = 16 * 1024


async def _from_cache(live: LiveStore, key_hash: str) -> OrgPrincipal | None:
    remembered = _REMEMBERED.get(key_hash)
    raw_org: str | None = None
    if remembered is None:
        raw_key = await live.cache_get(key_cache_key(key_hash))
    else:
        org_key = org_cache_key(remembered.principal.org_id)
        raw_key, raw_org = await live.cache_get_many(key_cache_key(key_hash), org_key)
        if raw_key == remembered.raw_key and raw_org == remembered.raw_org:
            _REMEMBERED.move_to_end(key_hash)
            return remembered.principal
    if raw_key is None:
        _REMEMBERED.pop(key_hash, None)
        return None
    entry = orjson.loads(raw_key)
    if remembered is None or raw_key != remembered.raw_key:  # another org's id, or none read yet
        raw_org = await live.cache_get(org_cache_key(entry["org_id"]))
    if raw_org is None:
        _REMEMBERED.pop(key_hash, None)
        return None
    org = orjson.loads(raw_org)
    principal = OrgPrincipal(
        org_id=uuid.UUID(entry["org_id"]),
        org_slug=org["slug"],
        org_name=org["name"],
        config=org["config"],
        config_version=org["config_version"],
        key_id=uuid.UUID(entry["key_id"]),
        key_name=entry["key_name"],
        scopes=frozenset(entry["scopes"]),
    )
    if len(raw_org) > _REMEMBER_ORG_CHARS:
        _REMEMBERED.pop(key_hash, None)
        return principal
    _REMEMBERED[key_hash] = _Remembered(raw_key, raw_org, principal)
    _REMEMBERED.move_to_end(key_hash)
    while len(_REMEMBERED) > _REMEMBER_AT_MOST:
        _REMEMBERED.popitem(last=False)
    return principal


async def _to_cache(
    session: AsyncSession, live: LiveStore, key_hash: str, principal: OrgPrincipal, *, key_generation: str
) -> None:
    entry = {
        "org_id": str(principal.org_id),
        "key_id": str(principal.key_id),
        "key_name": principal.key_name,
        "scopes": sorted(principal.scopes),
    }
    org = {
        "slug": principal.org_slug,
        "name": principal.org_name,
        "config": principal.config,
        "config_version": principal.config_version,
    }
    await live.cache_set_if_generation(
        key_cache_key(key_hash), orjson.dumps(entry).decode(), AUTH_CACHE_SECONDS, generation=key_generation
    )
    # The org id was unknown before the key's row was read, so its generation is read now and the
    # version read again after it: a config change that committed in between shows as a newer version,
    # one that commits later bumps the generation and the write below fails.
    (org_generation,) = await live.cache_generations(org_cache_key(principal.org_id))
    await session.commit()  # a new snapshot: SQLite keeps the first one for the whole transaction
    if await OrgRepository(session).config_version(principal.org_id) != principal.config_version:
        return
    await live.cache_set_if_generation(
        org_cache_key(principal.org_id),
        orjson.dumps(org).decode(),
        AUTH_CACHE_SECONDS,
        generation=org_generation,
    )


async def forget_key(live: LiveStore, key_hash: str) -> None:
    """Call after the revocation commits: the key stops working on every process at once."""
    await live.cache_invalidate(key_cache_key(key_hash))


async def forget_org(live: LiveStore, org_id: uuid.UUID) -> None:
    """Call after a config change commits, so the next request sees the new config."""
    await live.cache_invalidate(org_cache_key(org_id))
