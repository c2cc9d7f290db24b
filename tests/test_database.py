"""Migrations are the only source of tables: schema.sql matches them, they reverse, and the seed loads."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.orgs.config import OrgConfig
from database.engine import create_engine
from database.migrate import downgrade, upgrade
from database.schema_dump import dump_schema
from database.seed import apply_seed, seed_statements
from tests.fixtures.postgres import async_url, create_database, drop_database

SCHEMA_SQL = Path(__file__).resolve().parent.parent / "database" / "schema.sql"


async def test_schema_sql_matches_migrations(pg_dsn: str) -> None:
    dumped = await asyncio.to_thread(dump_schema, pg_dsn)
    assert dumped == SCHEMA_SQL.read_text(), (
        "database/schema.sql drifted from the migrations; regenerate it with `make schema`"
    )


async def _catalog(dsn: str) -> dict[str, list[tuple[object, ...]]]:
    conn = await asyncpg.connect(dsn)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> 'alembic_version' "
            "ORDER BY 1, 2"
        )
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY 1"
        )
        constraints = await conn.fetch(
            "SELECT conname, contype FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = 'public' AND conname <> 'alembic_version_pkc' ORDER BY 1"
        )
    finally:
        await conn.close()
    return {
        "columns": [tuple(r) for r in columns],
        "indexes": [tuple(r) for r in indexes],
        "constraints": [tuple(r) for r in constraints],
    }


async def test_schema_sql_builds_the_same_tables_as_migrations(pg_dsn: str) -> None:
    dsn = await create_database("callintake_schema")
    try:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(SCHEMA_SQL.read_text())
        finally:
            await conn.close()
        assert await _catalog(dsn) == await _catalog(pg_dsn)
    finally:
        await drop_database(dsn)


async def test_migrations_downgrade_to_base_and_back() -> None:
    dsn = await create_database("callintake_mig")
    try:
        url = async_url(dsn)
        await asyncio.to_thread(upgrade, url)
        await asyncio.to_thread(downgrade, url, "base")
        engine = create_engine(url, pool_size=1)
        async with engine.connect() as conn:
            tables = (
                (await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
                .scalars()
                .all()
            )
        await engine.dispose()
        assert set(tables) <= {"alembic_version"}
        await asyncio.to_thread(upgrade, url)
        assert await asyncio.to_thread(dump_schema, dsn) == SCHEMA_SQL.read_text()
    finally:
        await drop_database(dsn)


async def test_seed_loads_demo_org_idempotently_on_postgres() -> None:
    dsn = await create_database("callintake_seed")
    try:
        url = async_url(dsn)
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url, pool_size=1)
        await apply_seed(engine)
        await apply_seed(engine)
        async with engine.connect() as conn:
            slugs = (await conn.execute(text("SELECT slug FROM organizations"))).scalars().all()
            numbers = (await conn.execute(text("SELECT number FROM phone_numbers"))).scalars().all()
        await engine.dispose()
        assert slugs == ["demo"]
        assert numbers == ["+15555550123"]
    finally:
        await drop_database(dsn)


def test_seed_config_is_a_valid_org_config() -> None:
    statement = seed_statements()[0]
    start = statement.index("'{") + 1
    end = statement.index("}'", start) + 1
    config = OrgConfig.model_validate(json.loads(statement[start:end].replace("''", "'")))
    assert config.timezone == "America/Chicago"


async def test_json_columns_keep_what_orjson_would_not(clean_db: AsyncEngine) -> None:
    """JSON columns are written with orjson, and with the json module for what orjson refuses: an integer
    past 64 bits comes back exact, and text past ASCII comes back as sent."""
    from database.base import utcnow
    from database.engine import create_session_factory
    from database.models import Organization, OutboxEvent

    data = {"big": 10**30, "negative": -(2**63) - 1, "text": "é \u2028 😀", "nested": [{"n": 1.5}, None]}
    sessions = create_session_factory(clean_db)
    async with sessions() as session, session.begin():
        org = Organization(slug="json-columns", name="JSON", timezone="UTC", config={"huge": 2**70})
        session.add(org)
        await session.flush()
        event = OutboxEvent(organization_id=org.id, type="call.started", data=data, created_at=utcnow())
        session.add(event)
    async with sessions() as session:
        stored = await session.get(OutboxEvent, event.id)
        stored_org = await session.get(Organization, org.id)
    assert stored is not None and stored.data == data
    assert stored_org is not None and stored_org.config == {"huge": 2**70}
