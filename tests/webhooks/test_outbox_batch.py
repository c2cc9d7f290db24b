"""The live hooks' outbox writer under a batch: one INSERT for the rows queued together, each row as
`enqueue` would write it alone (an id given twice stored once; a type no endpoint takes stored already
fanned out, beside one an endpoint takes)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.events.live import OutboxWriter
from database.engine import create_session_factory
from database.models import OutboxEvent
from tests.calls.conftest import Org
from tests.webhooks.conftest import register

URL = "http://127.0.0.1:9/hooks"


@contextmanager
def outbox_inserts(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_EVENTS"):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


def _row(org_id: uuid.UUID, type_: str = "call.started") -> dict[str, Any]:
    call_id = uuid.uuid4()
    return {
        "org_id": org_id,
        "type_": type_,
        "call_id": call_id,
        "data": {"call_id": str(call_id)},
        "event_id": uuid.uuid4(),
    }


async def test_a_batch_is_one_insert_with_each_row_as_enqueue_writes_it(
    clean_db: AsyncEngine, api: httpx.AsyncClient, org: Org
) -> None:
    await register(api, org, URL, ["call.escalated"])
    org_id = uuid.UUID(org.id)
    writer = OutboxWriter(create_session_factory(clean_db))
    first, escalated = _row(org_id), _row(org_id, "call.escalated")
    rows = [first, escalated, dict(first), *(_row(org_id) for _ in range(5))]
    with outbox_inserts(clean_db) as inserts:
        await asyncio.gather(*(writer.write(**row) for row in rows))
    assert len(inserts) == 1, inserts  # queued before the first commit began: one transaction
    async with create_session_factory(clean_db)() as session:
        stored = {
            row.id: row.fanned_out_at
            for row in await session.scalars(
                select(OutboxEvent).where(OutboxEvent.call_id.in_([row["call_id"] for row in rows]))
            )
        }
    assert len(stored) == 7  # `first` once
    assert stored[escalated["event_id"]] is None  # an endpoint takes it: left for the dispatcher
    assert all(stored[row["event_id"]] is not None for row in rows if row is not escalated)
