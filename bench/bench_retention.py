"""The retention job deleting 1,000,000 transcript rows (50,000 calls x 20 turns, past the org's
retention) in batches, while GET /api/calls runs against the same org: time per batch, the longest hold
of row locks on `calls` (from the batch's UPDATE to its commit), and GET /api/calls p50/p99 before and
during the run. `python -m bench.bench_retention [--quick] [--batch-size N]`. Prints numbers only.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.orgs.config import PrivacyConfig
from app.privacy.retention import Batch, purge_org
from app.settings import RetentionSettings
from bench._support import (
    Child,
    app_env,
    flush_bench_redis,
    ms,
    p50,
    p99,
    parse_args,
    pinned,
    print_table,
    run,
    scratch_database,
    start_app,
    usable_cpu,
    verdict,
)
from database.engine import create_engine, create_session_factory
from tests.fixtures.factories import create_key, create_org, key_headers
from tests.fixtures.postgres import async_url

TURNS = 20
LOCK_TARGET_MS = 100.0
RECENT_CALLS = 2000  # within the retention: GET /api/calls pages over these, and they must survive


def _extra(parser: Any) -> None:
    parser.add_argument("--batch-size", type=int, default=5000, help="transcript rows per batch")


async def _load(dsn: str, org_id: uuid.UUID, old_calls: int, now: datetime) -> None:
    """Old calls (40-400 days) with TURNS turns and one event each, and RECENT_CALLS recent ones."""
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.execute(
            """
            INSERT INTO calls (id, organization_id, channel, status, started_at, ended_at, duration_seconds,
                               escalated, config_version, prompt_hash, metadata, turn_count, persisted_at)
            SELECT gen_random_uuid(), $1, 'phone', 'completed', t, t + interval '3 minutes', 180, false, 1,
                   'h', '{}'::jsonb, $4, t
            FROM (SELECT $2::timestamptz - (interval '1 minute' * g) AS t FROM generate_series(1, $3) g) s
            """,
            org_id,
            now - timedelta(days=40),
            old_calls,
            TURNS,
        )
        await conn.execute(
            """
            INSERT INTO calls (id, organization_id, channel, status, started_at, ended_at, duration_seconds,
                               escalated, config_version, prompt_hash, metadata, turn_count, persisted_at)
            SELECT gen_random_uuid(), $1, 'browser', 'completed', t, t, 60, false, 1, 'h', '{}'::jsonb, $4, t
            FROM (SELECT $2::timestamptz - (interval '1 minute' * g) AS t FROM generate_series(1, $3) g) s
            """,
            org_id,
            now,
            RECENT_CALLS,
            TURNS,
        )
        await conn.execute(
            """
            INSERT INTO call_transcripts (call_id, seq, organization_id, speaker, text, at)
            SELECT c.id, s, c.organization_id, CASE WHEN s % 2 = 0 THEN 'caller' ELSE 'agent' END,
                   'the water is coming through the ceiling of the upstairs bathroom', c.started_at
            FROM calls c CROSS JOIN generate_series(0, $2 - 1) s WHERE c.organization_id = $1
            """,
            org_id,
            TURNS,
        )
        await conn.execute(
            """
            INSERT INTO call_events (call_id, seq, organization_id, type, at, data)
            SELECT id, 0, organization_id, 'call_started', started_at, '{}'::jsonb FROM calls
            WHERE organization_id = $1
            """,
            org_id,
        )
        await conn.execute("VACUUM ANALYZE calls")
        await conn.execute("VACUUM ANALYZE call_transcripts")
        await conn.execute("VACUUM ANALYZE call_events")
        await _explain_usage(conn, org_id, now)
        total = await conn.fetchval("SELECT count(*) FROM call_transcripts")
        print(
            f"loaded {total:,} transcript rows ({old_calls:,} old calls)"
            f" in {time.perf_counter() - started:.1f} s"
        )
    finally:
        await conn.close()


USAGE_QUERIES = {
    "calls_today": "SELECT count(*) FROM calls WHERE organization_id = $1 AND started_at >= $2",
    "minutes_this_month": (
        "SELECT sum(duration_seconds) FROM calls WHERE organization_id = $1 AND started_at >= $2"
    ),
    "overflowed_this_month": "SELECT count(*) FROM call_overflows WHERE organization_id = $1 AND at >= $2",
}


async def _explain_usage(conn: asyncpg.Connection, org_id: uuid.UUID, now: datetime) -> None:
    """GET /api/org/usage's queries on the loaded tables: each plan's access path and its time."""
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for name, sql in USAGE_QUERIES.items():
        plan = await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, org_id, month)
        top = (plan if isinstance(plan, list) else json.loads(plan))[0]
        node = top["Plan"]
        while node.get("Plans") and node["Node Type"] in ("Aggregate", "Gather", "Finalize Aggregate"):
            node = node["Plans"][0]
        print(f"  usage {name}: {node['Node Type']} on {node.get('Index Name', node.get('Relation Name'))}, "
              f"{top['Execution Time']:.2f} ms")  # fmt: skip


async def _reader(
    client: httpx.AsyncClient, headers: dict[str, str], stop: asyncio.Event, out: list[float]
) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        response = await client.get("/api/calls", params={"limit": 50}, headers=headers)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text


async def _readers(client: httpx.AsyncClient, headers: dict[str, str], seconds: float) -> list[float]:
    stop = asyncio.Event()
    out: list[float] = []
    tasks = [asyncio.create_task(_reader(client, headers, stop, out)) for _ in range(2)]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    return out


async def _bench(args: Any) -> None:
    old_calls = 5_000 if args.quick else 50_000
    now = datetime.now(UTC)
    app_cpu, client_cpu = usable_cpu(0), usable_cpu(1)
    await flush_bench_redis()
    try:
        async with scratch_database() as dsn:
            database_url = async_url(dsn)
            app: Child | None = None
            try:
                app, app_url = start_app(app_env(database_url=database_url), cpu=app_cpu)
                async with httpx.AsyncClient(base_url=app_url, timeout=30) as client:
                    org = await create_org(
                        client, name="Big Landlord", privacy={"transcript_retention_days": 30}
                    )
                    headers = key_headers(await create_key(client, org["id"], ["calls:read"]))
                    await _load(dsn, uuid.UUID(org["id"]), old_calls, now)
                    with pinned({client_cpu}):
                        baseline = await _readers(client, headers, 3.0 if args.quick else 5.0)
                        batches, during, elapsed = await _purge_under_load(
                            database_url, org["id"], args.batch_size, client, headers
                        )
            finally:
                if app is not None:
                    app.stop()
            await _check(dsn, org["id"])
    finally:
        await flush_bench_redis()
    _report(batches, baseline, during, elapsed, args.batch_size)


async def _purge_under_load(
    database_url: str, org_id: str, batch_size: int, client: httpx.AsyncClient, headers: dict[str, str]
) -> tuple[list[Batch], list[float], float]:
    engine = create_engine(database_url, pool_size=2)
    stop = asyncio.Event()
    during: list[float] = []
    readers = [asyncio.create_task(_reader(client, headers, stop, during)) for _ in range(2)]
    started = time.perf_counter()
    try:
        run_ = await purge_org(
            create_session_factory(engine),
            org_id=uuid.UUID(org_id),
            privacy=PrivacyConfig(transcript_retention_days=30),
            settings=RetentionSettings(batch_size=batch_size, batch_pause_seconds=0.01),
        )
    finally:
        elapsed = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*readers)
        await engine.dispose()
    return run_.batches, during, elapsed


async def _check(dsn: str, org_id: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        left = await conn.fetchval(
            "SELECT count(*) FROM call_transcripts WHERE organization_id = $1", uuid.UUID(org_id)
        )
        marked = await conn.fetchval("SELECT count(*) FROM calls WHERE transcript_purged_at IS NOT NULL")
        calls = await conn.fetchval("SELECT count(*) FROM calls")
        print(f"after the run: {left:,} transcript rows left (recent calls), {marked:,} of {calls:,} marked")
    finally:
        await conn.close()


def _report(
    batches: list[Batch], baseline: list[float], during: list[float], elapsed: float, size: int
) -> None:
    rows = sum(b.rows for b in batches)
    seconds = [b.seconds * 1000 for b in batches]
    locks = [b.lock_seconds * 1000 for b in batches]
    print(
        f"retention: {rows:,} transcript rows in {len(batches)} batches of <= {size:,} rows, {elapsed:.1f} s"
    )
    print(f"  ({rows / max(elapsed, 1e-9):,.0f} rows/s, 10 ms pause between batches)")
    print_table(
        ["per batch", "p50 ms", "p99 ms", "max ms"],
        [
            ["batch (select + delete + mark + commit)", ms(p50(seconds)), ms(p99(seconds)), ms(max(seconds))],
            ["row locks on calls (UPDATE to commit)", ms(p50(locks)), ms(p99(locks)), ms(max(locks))],
        ],
    )
    print(f"  longest lock on calls: {ms(max(locks))} ms; target ~{LOCK_TARGET_MS:g} ms: "
          f"{verdict(max(locks) <= LOCK_TARGET_MS)}")  # fmt: skip
    print_table(
        ["GET /api/calls?limit=50", "requests", "p50 ms", "p99 ms", "max ms"],
        [
            ["before the run", len(baseline), ms(p50(baseline)), ms(p99(baseline)), ms(max(baseline))],
            ["during the run", len(during), ms(p50(during)), ms(p99(during)), ms(max(during))],
        ],
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__.splitlines()[0], argv, _extra)
    run(_bench(args))


if __name__ == "__main__":
    main()
