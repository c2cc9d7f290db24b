"""Org use cases: tenants, API keys, phone numbers and versioned config edits. Never commits."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import validation_details
from app.orgs import errors
from app.orgs.config import OrgConfig
from app.orgs.keys import generate_key
from app.orgs.repository import (
    ApiKeyRepository,
    ConfigAuditRepository,
    OrgRepository,
    PhoneNumberRepository,
    org_for_number,
)
from app.orgs.schemas import ApiKeyCreate, OrgCreate
from app.pagination import InvalidCursor, decode_cursor, decode_time_id_cursor, encode_cursor, page_of
from app.privacy.audit import audit_changes
from database.base import utcnow
from database.models import ApiKey, ConfigAudit, Organization, PhoneNumber


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes a config: the platform operator or an org API key."""

    type: str
    id: str | None
    name: str | None


PLATFORM_ADMIN = Actor(type="platform_admin", id=None, name="platform admin")


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:55].strip("-")
    return slug or "org"


async def create_org(session: AsyncSession, *, data: OrgCreate) -> Organization:
    repo = OrgRepository(session)
    if data.slug is not None:
        slug = data.slug
        if await repo.slug_exists(slug):
            raise errors.SlugTaken(details={"slug": slug})
    else:
        slug = _slugify(data.name)
        while await repo.slug_exists(slug):
            slug = f"{_slugify(data.name)}-{secrets.token_hex(3)}"
    org = Organization(
        id=uuid.uuid4(),
        slug=slug,
        name=data.name,
        timezone=data.config.timezone,
        config=data.config.dump(),
        config_version=1,
    )
    try:
        return await repo.add(org)
    except IntegrityError as exc:
        raise errors.SlugTaken(details={"slug": slug}) from exc


async def list_orgs(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[Organization], str | None]:
    after = decode_time_id_cursor(cursor)
    rows = await OrgRepository(session).list_page(limit=limit + 1, after=after)
    return page_of(rows, limit, lambda org: (org.created_at, org.id))


async def get_org(session: AsyncSession, *, org_id: uuid.UUID, for_update: bool = False) -> Organization:
    org = await OrgRepository(session).get(org_id, for_update=for_update)
    if org is None:
        raise errors.OrgNotFound()
    return org


async def create_api_key(
    session: AsyncSession, *, org_id: uuid.UUID, data: ApiKeyCreate
) -> tuple[ApiKey, str]:
    await get_org(session, org_id=org_id)
    plain, prefix, key_hash = generate_key()
    row = ApiKey(
        id=uuid.uuid4(),
        name=data.name,
        prefix=prefix,
        key_hash=key_hash,
        scopes=[scope.value for scope in data.scopes],
    )
    await ApiKeyRepository(session, org_id).add(row)
    return row, plain


async def list_api_keys(session: AsyncSession, *, org_id: uuid.UUID) -> list[ApiKey]:
    await get_org(session, org_id=org_id)
    return await ApiKeyRepository(session, org_id).list()


async def revoke_api_key(session: AsyncSession, *, org_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    await get_org(session, org_id=org_id)
    key = await ApiKeyRepository(session, org_id).get(key_id)
    if key is None:
        raise errors.ApiKeyNotFound()
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


async def add_phone_number(session: AsyncSession, *, org_id: uuid.UUID, number: str) -> PhoneNumber:
    await get_org(session, org_id=org_id)
    if await org_for_number(session, number) is not None:
        raise errors.PhoneNumberTaken()
    try:
        return await PhoneNumberRepository(session, org_id).add(number)
    except IntegrityError as exc:
        raise errors.PhoneNumberTaken() from exc


async def list_phone_numbers(session: AsyncSession, *, org_id: uuid.UUID) -> list[PhoneNumber]:
    await get_org(session, org_id=org_id)
    return await PhoneNumberRepository(session, org_id).list()


async def remove_phone_number(session: AsyncSession, *, org_id: uuid.UUID, number: str) -> None:
    await get_org(session, org_id=org_id)
    if not await PhoneNumberRepository(session, org_id).delete(number):
        raise errors.PhoneNumberNotFound()


_VERSION_RE = re.compile(r"[0-9]{1,18}")


def etag_for(version: int) -> str:
    return f'"{version}"'


def _check_if_match(if_match: str | None, version: int) -> None:
    if if_match is None:
        return
    wanted = [tag.strip() for tag in if_match.split(",") if tag.strip()]
    if "*" in wanted:
        return
    versions = set()
    for tag in wanted:
        tag = tag.removeprefix("W/").strip('"')
        # ASCII digits only, and few: str.isdigit() takes "²" and int() refuses 5000 digits.
        if not _VERSION_RE.fullmatch(tag):
            raise errors.InvalidIfMatch()
        versions.add(int(tag))
    if version not in versions:
        raise errors.ConfigVersionConflict(details={"current_version": version})


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def parse_config(raw: dict[str, Any]) -> OrgConfig:
    try:
        return OrgConfig.model_validate(raw)
    except ValidationError as exc:
        details = [
            {**d, "field": f"config.{d['field']}" if d["field"] else "config"}
            for d in validation_details(exc.errors())
        ]
        raise errors.InvalidConfig(details=details) from exc


async def _write_config(
    session: AsyncSession, *, org: Organization, new: OrgConfig, actor: Actor
) -> Organization:
    old = org.config
    new_json = new.dump()
    changed = sorted(key for key in set(old) | set(new_json) if old.get(key) != new_json.get(key))
    if not changed:
        return org
    old_version = org.config_version
    await OrgRepository(session).update_config(org, config=new_json, timezone=new.timezone, now=utcnow())
    await ConfigAuditRepository(session, org.id).add(
        ConfigAudit(
            actor_type=actor.type,
            actor_id=actor.id,
            actor_name=actor.name,
            old_version=old_version,
            new_version=org.config_version,
            changed_fields=changed,
            changes=audit_changes(old, new_json, changed),  # no secrets or personal data (issue 11)
        )
    )
    return org


async def replace_config(
    session: AsyncSession, *, org_id: uuid.UUID, config: dict[str, Any], if_match: str | None, actor: Actor
) -> Organization:
    org = await get_org(session, org_id=org_id, for_update=True)
    _check_if_match(if_match, org.config_version)
    return await _write_config(session, org=org, new=parse_config(config), actor=actor)


async def patch_config(
    session: AsyncSession, *, org_id: uuid.UUID, patch: dict[str, Any], if_match: str | None, actor: Actor
) -> Organization:
    org = await get_org(session, org_id=org_id, for_update=True)
    _check_if_match(if_match, org.config_version)
    merged = merge_patch(org.config, patch)
    return await _write_config(session, org=org, new=parse_config(merged), actor=actor)


async def list_config_audit(
    session: AsyncSession, *, org_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[ConfigAudit], str | None]:
    before = None
    if cursor:
        (before,) = decode_cursor(cursor, length=1)
        # bool is an int to Python; ids are positive BIGINTs.
        if isinstance(before, bool) or not isinstance(before, int) or not 0 < before < 2**63:
            raise InvalidCursor()
    rows = await ConfigAuditRepository(session, org_id).list_page(limit=limit + 1, before_id=before)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].id])
    return rows, next_cursor
