"""Load database/seed.sql (the demo organization) into any database the migrations built."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

SEED_FILE = Path(__file__).with_name("seed.sql")
DEMO_ORG_SLUG = "demo"


def seed_statements() -> list[str]:
    body = "\n".join(
        line for line in SEED_FILE.read_text().splitlines() if not line.lstrip().startswith("--")
    )
    return [stmt.strip() for stmt in body.split(";\n") if stmt.strip().rstrip(";")]


async def apply_seed(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for statement in seed_statements():
            await conn.exec_driver_sql(statement.rstrip(";"))


async def demo_org_exists(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT 1 FROM organizations WHERE slug = :s"), {"s": DEMO_ORG_SLUG})
        return result.first() is not None
