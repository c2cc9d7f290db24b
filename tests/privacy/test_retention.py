"""The retention job: rows past each org's retention go in batches, rows within it stay, runs are audited;
usage is computed from indexes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.privacy.retention import run_retention
from app.settings import RetentionSettings
from database.engine import create_session_factory
from tests.privacy.conftest import new_org, rows

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def insert_call(
    engine: AsyncEngine, org_id: str, *, age_days: float, turns: int = 3, intake: bool = True
) -> str:
    call_id = str(uuid.uuid4())
    started = NOW - timedelta(days=age_days)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO calls (id, organization_id, channel, status, started_at, ended_at,"
                " duration_seconds, escalated, config_version, prompt_hash, metadata, turn_count,"
                " persisted_at)"
                " VALUES (:id, :org, 'browser', 'completed', :s, :s, 90, false, 1, 'h', '{}', :n, :s)"
            ),
            {"id": call_id, "org": org_id, "s": started, "n": turns},
        )
        for seq in range(turns):
            await conn.execute(
                text(
                    "INSERT INTO call_transcripts (call_id, seq, organization_id, speaker, text, at)"
                    " VALUES (:id, :seq, :org, 'caller', 'hello', :s)"
                ),
                {"id": call_id, "seq": seq, "org": org_id, "s": started},
            )
        await conn.execute(
            text(
                "INSERT INTO call_events (call_id, seq, organization_id, type, at, data)"
                " VALUES (:id, 0, :org, 'call_started', :s, '{}')"
            ),
            {"id": call_id, "org": org_id, "s": started},
        )
        if intake:
            await conn.execute(
                text(
                    "INSERT INTO call_intakes"
                    " (call_id, organization_id, data, urgency, summary, completed_at)"
                    " VALUES (:id, :org, '{}', 'routine', 's', :s)"
                ),
                {"id": call_id, "org": org_id, "s": started},
            )
    return call_id


async def _count(engine: AsyncEngine, table: str, call_id: str) -> int:
    [(n,)] = await rows(engine, f"SELECT count(*) FROM {table} WHERE call_id = :c", c=call_id)
    return int(n)


async def test_retention_deletes_old_content_in_batches_and_keeps_recent(
    pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient, privacy={"transcript_retention_days": 30, "intake_retention_days": 90})
    old = [await insert_call(clean_db, org.id, age_days=40 + n) for n in range(5)]
    middle = await insert_call(clean_db, org.id, age_days=60)
    very_old = await insert_call(clean_db, org.id, age_days=100)
    recent = await insert_call(clean_db, org.id, age_days=10)
    runs = await run_retention(
        create_session_factory(clean_db),
        settings=RetentionSettings(batch_size=4, batch_pause_seconds=0),
        now=NOW,
    )
    [run] = runs
    assert len(run.batches) > 2  # 7 calls x 3 turns in batches of at most 4 rows (one call minimum)
    for call_id in [*old, middle, very_old]:
        assert await _count(clean_db, "call_transcripts", call_id) == 0
        assert await _count(clean_db, "call_events", call_id) == 0
    assert await _count(clean_db, "call_intakes", middle) == 1  # 60 days: inside the 90-day intake retention
    assert await _count(clean_db, "call_intakes", very_old) == 0
    assert await _count(clean_db, "call_transcripts", recent) == 3
    assert await _count(clean_db, "call_intakes", recent) == 1
    marks = dict(
        await rows(
            clean_db, "SELECT id::text, transcript_purged_at FROM calls WHERE organization_id = :o", o=org.id
        )
    )
    assert marks[recent] is None and all(marks[c] is not None for c in [*old, middle, very_old])
    [(deleted,)] = await rows(
        clean_db,
        "SELECT deleted FROM privacy_audit WHERE organization_id = :o AND action = 'retention'",
        o=org.id,
    )
    assert deleted == {"call_transcripts": 21, "call_events": 7, "call_intakes": 1, "calls_marked": 7}


async def test_org_without_retention_keeps_everything(
    pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient)
    call_id = await insert_call(clean_db, org.id, age_days=4000)
    assert await run_retention(create_session_factory(clean_db), settings=RetentionSettings(), now=NOW) == []
    assert await _count(clean_db, "call_transcripts", call_id) == 3


async def test_a_second_run_within_the_interval_skips_the_org(
    pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient, privacy={"transcript_retention_days": 30})
    await insert_call(clean_db, org.id, age_days=40)
    factory = create_session_factory(clean_db)
    assert len(await run_retention(factory, settings=RetentionSettings(), now=NOW)) == 1
    assert await run_retention(factory, settings=RetentionSettings(), now=NOW + timedelta(hours=1)) == []


async def test_usage_counts_today_and_this_month(pclient: httpx.AsyncClient, clean_db: AsyncEngine) -> None:
    org = await new_org(pclient, timezone="UTC")
    a_minute_ago = (NOW - datetime.now(UTC)).total_seconds() / 86400 + 60 / 86400
    await insert_call(clean_db, org.id, age_days=a_minute_ago)
    await insert_call(clean_db, org.id, age_days=400)
    usage = (await pclient.get("/api/org/usage", headers=org.headers)).json()
    assert usage == {
        "live_calls": 0,
        "max_concurrent_calls": None,
        "calls_today": 1,
        "minutes_this_month": 1.5,
        "overflowed_this_month": 0,
    }


async def test_usage_queries_can_use_indexes_not_a_table_scan(clean_db: AsyncEngine) -> None:
    org = str(uuid.uuid4())
    since = NOW - timedelta(days=30)
    queries = [
        "SELECT count(*) FROM calls WHERE organization_id = :o AND started_at >= :s",
        "SELECT sum(duration_seconds) FROM calls WHERE organization_id = :o AND started_at >= :s",
        "SELECT count(*) FROM call_overflows WHERE organization_id = :o AND at >= :s",
        "SELECT id FROM calls WHERE organization_id = :o AND started_at < :s AND transcript_purged_at IS NULL"
        " ORDER BY started_at LIMIT 100",
        "SELECT call_id FROM call_intakes WHERE organization_id = :o AND completed_at < :s"
        " ORDER BY completed_at LIMIT 100",
    ]
    async with clean_db.connect() as conn:
        # The tables are tiny here, so the planner would rightly pick a scan; forbid it to see the index.
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        for query in queries:
            plan = "\n".join(
                r[0] for r in await conn.execute(text("EXPLAIN " + query), {"o": org, "s": since})
            )
            assert "Seq Scan" not in plan, plan
            assert "Index" in plan, plan
