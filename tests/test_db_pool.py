"""The pool pings a connection only when it sat idle: one that PostgreSQL closed while idle is replaced
before use; one that dies while in use fails that statement once, and the pool then starts afresh."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from database.engine import create_engine
from tests.fixtures.postgres import async_url


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(dsn: str, pid: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def test_connection_closed_while_idle_is_replaced_before_use(pg_dsn: str) -> None:
    engine = create_engine(async_url(pg_dsn), pool_size=1, ping_idle_seconds=0.2)
    try:
        first = await backend_pid(engine)
        await terminate(pg_dsn, first)
        await asyncio.sleep(0.4)  # idle past the ping threshold
        second = await backend_pid(engine)  # no error reaches the caller
        assert second != first
    finally:
        await engine.dispose()


async def test_connection_reused_at_once_is_not_pinged_and_a_dead_one_fails_once(pg_dsn: str) -> None:
    # Back in the pool a moment ago: used without a ping (no three round trips in front of every
    # transaction). If PostgreSQL closed it meanwhile, that one statement fails as a disconnect, and
    # the pool replaces its connections, so the next one succeeds.
    engine = create_engine(async_url(pg_dsn), pool_size=1, ping_idle_seconds=60.0)
    try:
        first = await backend_pid(engine)
        await terminate(pg_dsn, first)
        await asyncio.sleep(0.1)
        with pytest.raises(exc.DBAPIError) as failed:
            await backend_pid(engine)
        assert failed.value.connection_invalidated
        assert await backend_pid(engine) != first
    finally:
        await engine.dispose()
