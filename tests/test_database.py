"""Migrations are the only source of tables: schema.sql matches them, they reverse, and the seed loads."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
from sqlalchemy import text

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
