"""The live hooks' outbox writer: rows written at once share a transaction, each caller returns only after
its own row committed, and a row that cannot be written fails alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.events.live import OutboxWriter
from database.engine import create_session_factory
from database.models import OutboxEvent
from tests.conftest import RunningApp
from tests.fixtures.factories import create_org

ROWS = 30


@contextmanager
def transactions(engine: AsyncEngine) -> Iterator[list[int]]:
    begun: list[int] = []

    def on_begin(_conn: Any) -> None:
        begun.append(1)

    event.listen(engine.sync_engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(engine.sync_engine, "begin", on_begin)


def _row(org_id: uuid.UUID) -> dict[str, Any]:
    call_id = uuid.uuid4()
    return {"org_id": org_id, "type_": "call.started", "call_id": call_id, "data": {"call_id": str(call_id)}}


async def _stored(engine: AsyncEngine, call_ids: list[uuid.UUID]) -> int:
    async with create_session_factory(engine)() as session:
        count = await session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.call_id.in_(call_ids))
        )
    return int(count or 0)


async def test_concurrent_rows_share_transactions_and_are_committed_on_return(
    app: RunningApp, clean_db: AsyncEngine
) -> None:
    org_id = uuid.UUID((await create_org(app.client))["id"])
    writer = OutboxWriter(create_session_factory(clean_db))
    rows = [_row(org_id) for _ in range(ROWS)]
    with transactions(clean_db) as begun:
        await asyncio.gather(*(writer.write(**row) for row in rows))
    assert await _stored(clean_db, [row["call_id"] for row in rows]) == ROWS
    assert len(begun) <= 3, begun  # the first row alone, then the rest that queued behind it


async def test_a_row_that_cannot_be_written_fails_alone(app: RunningApp, clean_db: AsyncEngine) -> None:
    org_id = uuid.UUID((await create_org(app.client))["id"])
    writer = OutboxWriter(create_session_factory(clean_db))
    good = [_row(org_id) for _ in range(5)]
    bad = _row(uuid.uuid4())  # no such organization: a foreign-key violation, not an outage
    results = await asyncio.gather(
        *(writer.write(**row) for row in [*good[:2], bad, *good[2:]]), return_exceptions=True
    )
    assert [isinstance(result, IntegrityError) for result in results] == [
        False,
        False,
        True,
        False,
        False,
        False,
    ]
    assert await _stored(clean_db, [row["call_id"] for row in good]) == len(good)


async def test_a_cancelled_caller_does_not_stop_the_others(app: RunningApp, clean_db: AsyncEngine) -> None:
    org_id = uuid.UUID((await create_org(app.client))["id"])
    writer = OutboxWriter(create_session_factory(clean_db))
    rows = [_row(org_id) for _ in range(4)]
    tasks = [asyncio.ensure_future(writer.write(**row)) for row in rows]
    await asyncio.sleep(0)
    tasks[1].cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(done[1], asyncio.CancelledError)
    assert await _stored(clean_db, [rows[i]["call_id"] for i in (0, 2, 3)]) == 3
