"""Every query of the orgs domain.

Tenant-owned rows are reached only through a repository bound to one org.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from database.models import ApiKey, ConfigAudit, Organization, PhoneNumber


class OrgRepository:
    """Organizations themselves (the platform operator's view, and lookups by id)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, org_id: uuid.UUID, *, for_update: bool = False) -> Organization | None:
        stmt = select(Organization).where(Organization.id == org_id)
        if for_update:
            stmt = stmt.with_for_update()
        result: Organization | None = await self.session.scalar(stmt)
        return result

    async def config_version(self, org_id: uuid.UUID) -> int | None:
        """The committed version now (a column read, so the session's identity map cannot answer it)."""
        version: int | None = await self.session.scalar(
            select(Organization.config_version).where(Organization.id == org_id)
        )
        return version

    async def slug_exists(self, slug: str) -> bool:
        return await self.session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None

    async def add(self, org: Organization) -> Organization:
        self.session.add(org)
        await self.session.flush()
        return org

    async def list_page(self, *, limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[Organization]:
        stmt = select(Organization).order_by(Organization.created_at, Organization.id).limit(limit)
        if after is not None:
            created_at, org_id = after
            stmt = stmt.where(
                or_(
                    Organization.created_at > created_at,
                    and_(Organization.created_at == created_at, Organization.id > org_id),
                )
            )
        return list((await self.session.scalars(stmt)).all())

    async def update_config(
        self, org: Organization, *, config: dict[str, Any], timezone: str, now: datetime
    ) -> None:
        org.config = config
        org.timezone = timezone
        org.config_version = org.config_version + 1
        org.updated_at = now
        await self.session.flush()


class ApiKeyRepository:
    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def add(self, key: ApiKey) -> ApiKey:
        key.organization_id = self.org_id
        self.session.add(key)
        await self.session.flush()
        return key

    async def list(self) -> list[ApiKey]:
        stmt = (
            select(ApiKey).where(ApiKey.organization_id == self.org_id).order_by(ApiKey.created_at, ApiKey.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        stmt = select(ApiKey).where(ApiKey.organization_id == self.org_id, ApiKey.id == key_id)
        result: ApiKey | None = await self.session.scalar(stmt)
        return result


class KeyAuthRepository:
    """The one lookup that starts from a key rather than an org: authentication itself."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find_by_prefix(self, prefix: str) -> tuple[ApiKey, Organization] | None:
        stmt = (
            select(ApiKey, Organization)
            .join(Organization, Organization.id == ApiKey.organization_id)
            .where(ApiKey.prefix == prefix)
        )
        row = (await self.session.execute(stmt)).first()
        return (row[0], row[1]) if row else None

    async def touch(self, key_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


class PhoneNumberRepository:
    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def add(self, number: str) -> PhoneNumber:
        row = PhoneNumber(number=number, organization_id=self.org_id)
        self.session.add(row)
        await self.session.flush()
        return row

    async def list(self) -> list[PhoneNumber]:
        stmt = (
            select(PhoneNumber).where(PhoneNumber.organization_id == self.org_id).order_by(PhoneNumber.number)
        )
        return list((await self.session.scalars(stmt)).all())

    async def delete(self, number: str) -> bool:
        result = await self.session.execute(
            delete(PhoneNumber).where(
                PhoneNumber.organization_id == self.org_id, PhoneNumber.number == number
            )
        )
        return bool(getattr(result, "rowcount", 0))


async def org_for_number(session: AsyncSession, number: str) -> Organization | None:
    """Which organization answers a dialled number (telephony routing; not tenant-scoped by nature)."""
    stmt = (
        select(Organization)
        .join(PhoneNumber, PhoneNumber.organization_id == Organization.id)
        .where(PhoneNumber.number == number)
    )
    result: Organization | None = await session.scalar(stmt)
    return result


class ConfigAuditRepository:
    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def add(self, entry: ConfigAudit) -> None:
        entry.organization_id = self.org_id
        self.session.add(entry)
        await self.session.flush()

    async def list_page(self, *, limit: int, before_id: int | None) -> list[ConfigAudit]:
        stmt = (
            select(ConfigAudit)
            .where(ConfigAudit.organization_id == self.org_id)
            .order_by(ConfigAudit.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            stmt = stmt.where(ConfigAudit.id < before_id)
        return list((await self.session.scalars(stmt)).all())
