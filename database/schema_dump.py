"""Dump a PostgreSQL database's schema as normalized DDL: how database/schema.sql is made and checked.

Usage: python -m database.schema_dump --from-migrations > database/schema.sql
       (builds a scratch database on TEST_POSTGRES_ADMIN_DSN's server, migrates it, dumps, drops it)
   or: python -m database.schema_dump postgresql://user@host:port/db
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

_DROP_LINE = re.compile(r"^(--|SET |SELECT pg_catalog\.set_config|\\restrict|\\unrestrict)")


def normalize(ddl: str) -> str:
    lines = [line.rstrip() for line in ddl.splitlines() if not _DROP_LINE.match(line)]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text + "\n"


def libpq_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def dump_schema(url: str) -> str:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise RuntimeError("pg_dump is not on PATH; install the PostgreSQL client")
    result = subprocess.run(  # noqa: S603 (fixed argv; the URL names our own database)
        [
            pg_dump,
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--exclude-table=alembic_version",
            "--dbname",
            libpq_url(url),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    header = "-- callintake schema: generated from the Alembic migrations by database/schema_dump.py.\n\n"
    return header + normalize(result.stdout)


def _from_migrations() -> str:
    import asyncio
    import os
    import secrets

    import asyncpg

    from database.migrate import upgrade

    admin = os.environ.get("TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"callintake_schema_{secrets.token_hex(4)}"
    dsn = admin.rsplit("/", 1)[0] + f"/{name}"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        upgrade(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
        return dump_schema(dsn)
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    if sys.argv[1:] == ["--from-migrations"]:
        sys.stdout.write(_from_migrations())
    else:
        sys.stdout.write(dump_schema(sys.argv[1]))
