"""Async engine and session factory for PostgreSQL (asyncpg) or the embedded SQLite file.

Every wait on PostgreSQL is bounded: connecting (`connect_timeout`), each command client-side
(asyncpg's `command_timeout`, which also ends a wait on a blackholed link) and server-side
(`statement_timeout`), and checking a connection out of the pool (`pool_timeout`). The app passes its
settings; with no `command_timeout` (migrations, scripts) a command may run as long as it needs.

A pooled connection is pinged before use only when it sat idle longer than `ping_idle_seconds`
(SQLAlchemy's `pool_pre_ping` pings on every checkout: with asyncpg that is BEGIN, `;`, ROLLBACK,
three round trips in front of every transaction). A connection that died while idle is replaced
before anyone uses it; one that dies while in use fails that statement, and SQLAlchemy's disconnect
handling then replaces every connection of the pool.
"""

from __future__ import annotations

import json
import time
from typing import Any

import orjson
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    connect_timeout: float = 10.0,
    command_timeout: float | None = None,
    pool_timeout: float = 30.0,
    ping_idle_seconds: float = 2.0,
) -> AsyncEngine:
    kwargs: dict[str, Any] = {"hide_parameters": True, "json_serializer": json_text}  # no values in errors
    if url.startswith("postgresql"):
        connect_args: dict[str, Any] = {"timeout": connect_timeout}
        if command_timeout is not None:
            connect_args["command_timeout"] = command_timeout
            connect_args["server_settings"] = {"statement_timeout": str(int(command_timeout * 1000))}
        kwargs.update(
            pool_size=pool_size, max_overflow=pool_size, pool_timeout=pool_timeout, connect_args=connect_args
        )
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        _enable_sqlite_foreign_keys(engine)
    else:
        _ping_when_idle(engine, ping_idle_seconds)
    return engine


def json_text(value: Any) -> str:
    """JSON columns' text: orjson's (a few times faster than the json module, which a mint's outbox row
    and finalize's transcript used to pay), or the json module's for what orjson refuses (an integer
    past 64 bits), so what was stored before is stored still. Read back with the json module: orjson
    would turn such an integer into a float."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


_CHECKED_IN_AT = "callintake_checked_in_at"


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_CHECKED_IN_AT)
        if since is None or time.monotonic() - since <= idle_seconds:
            return  # new, or back in the pool a moment ago
        try:
            dbapi_connection.ping()
        except Exception as error:
            # The pool drops this connection and checks out a fresh one (up to three times).
            raise exc.DisconnectionError() from error


def _enable_sqlite_foreign_keys(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
