"""GET /api/calls with 1,000,000 calls in the table: first page, deep pages through next_cursor and
filtered pages for the biggest org, through the real app (one worker), plus EXPLAIN (ANALYZE, BUFFERS)
of the exact SQL the repository issues. `python -m bench.bench_list_calls [--quick] [--rows N]`."""

from __future__ import annotations

import hashlib
import random
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
from sqlalchemy import event

from app.calls import service
from app.calls.repository import CallFilters
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

TARGET_P99_MS = 20.0
ORGS = 20
BIG_ORG_SHARE = 0.55
PAGE = 50
DEEP_WALK = 20
COLUMNS = (
    "id", "organization_id", "channel", "status", "started_at", "ended_at", "duration_seconds", "escalated",
    "escalation_reason", "escalation_urgency", "urgency", "end_reason", "twilio_call_sid", "from_number",
    "caller_name", "config_version", "prompt_hash", "metadata", "turn_count", "persisted_at",
)  # fmt: skip
_NAMES = ["Dana Reyes", "Sam Ortiz", "Lee Chen", "Priya Nair", "Tom Becker", "Ana Souza", None, None]
_END_REASONS = {
    "completed": ["caller_hung_up", "agent_end_call"],
    "abandoned": ["idle_timeout"],
    "failed": ["error"],
}


def _extra(parser: Any) -> None:
    parser.add_argument("--rows", type=int, default=None, help="calls to load (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=None, help="requests per query kind (default 200)")


@dataclass(frozen=True)
class QueryKind:
    name: str
    params: dict[str, str]
    filters: CallFilters
    pages: int  # pages walked per repetition (1 = first page only)


def _kinds(now: datetime) -> list[QueryKind]:
    after, before = now - timedelta(days=75), now - timedelta(days=45)
    return [
        QueryKind("first page", {}, CallFilters(), 1),
        QueryKind(f"deep pages 2-{DEEP_WALK} (next_cursor)", {}, CallFilters(), DEEP_WALK),
        QueryKind("status=completed", {"status": "completed"}, CallFilters(status="completed"), 5),
        QueryKind("escalated=true", {"escalated": "true"}, CallFilters(escalated=True), 5),
        QueryKind("urgency=emergency", {"urgency": "emergency"}, CallFilters(urgency="emergency"), 5),
        QueryKind("channel=phone", {"channel": "phone"}, CallFilters(channel="phone"), 5),
        QueryKind(
            "started_after/before (30 days)",
            {"started_after": after.isoformat(), "started_before": before.isoformat()},
            CallFilters(started_after=after, started_before=before),
            5,
        ),
    ]


# ---------------------------------------------------------------- loading


def _call_rows(
    rng: random.Random, org_ids: list[uuid.UUID], n: int, now: datetime
) -> Iterator[tuple[Any, ...]]:
    """n finished calls over the past year, oldest first (the order finalize appends them in)."""
    big, others = org_ids[0], org_ids[1:]
    hashes = {
        (org, v): "sha256:" + hashlib.sha256(f"{org}{v}".encode()).hexdigest()
        for org in org_ids
        for v in (1, 2, 3)
    }
    start = now - timedelta(days=365)
    step = 365 * 86400 / n
    rand = rng.random
    for i in range(n):
        org = big if rand() < BIG_ORG_SHARE else others[int(rand() * len(others))]
        started = start + timedelta(seconds=i * step + rand() * step)
        r = rand()
        status = "completed" if r < 0.85 else "abandoned" if r < 0.97 else "failed"
        duration = round(20 + rand() * (880 if status == "completed" else 60), 3)
        ended = started + timedelta(seconds=duration)
        r = rand()
        urgency = "emergency" if r < 0.02 else "urgent" if r < 0.12 else "routine" if r < 0.67 else None
        escalated = urgency == "emergency" or rand() < 0.06
        phone = rand() < 0.6
        version = 1 + int(rand() * 3)
        yield (
            uuid.UUID(int=rng.getrandbits(128)),
            org,
            "phone" if phone else "browser",
            status,
            started,
            ended,
            duration,
            escalated,
            ("possible emergency" if urgency == "emergency" else "caller asked for a person")
            if escalated
            else None,
            ("emergency" if urgency == "emergency" else "urgent") if escalated else None,
            urgency,
            rng.choice(_END_REASONS[status]),
            f"CA{rng.getrandbits(128):032x}" if phone else None,
            f"+1555{int(rand() * 10_000_000):07d}" if phone or rand() < 0.3 else None,
            rng.choice(_NAMES),
            version,
            hashes[(org, version)],
            '{"page": "/contact"}' if not phone else "{}",
            4 + int(rand() * 80),
            ended + timedelta(seconds=1),
        )


async def _load(dsn: str, org_ids: list[uuid.UUID], n: int, now: datetime) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "calls", records=_call_rows(random.Random(42), org_ids, n, now), columns=list(COLUMNS)
        )
        copied = time.perf_counter() - started
        started = time.perf_counter()
        # Steady state of a live table: autovacuum has set the visibility map and statistics.
        await conn.execute("VACUUM (ANALYZE) calls")
        vacuumed = time.perf_counter() - started
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('calls'))")
        per_org = await conn.fetch(
            "SELECT organization_id, count(*) AS n FROM calls GROUP BY 1 ORDER BY 2 DESC LIMIT 2"
        )
    finally:
        await conn.close()
    print(
        f"loaded {n:,} calls with COPY in {copied:.1f} s ({n / copied:,.0f} rows/s), "
        f"VACUUM ANALYZE {vacuumed:.1f} s; "
        f"calls table + indexes {size}; big org {per_org[0]['n']:,} rows, next {per_org[1]['n']:,}"
    )


# ---------------------------------------------------------------- the HTTP side


async def _walk(client: httpx.AsyncClient, kind: QueryKind, headers: dict[str, str]) -> list[float]:
    """One walk of kind.pages pages; returns each page's latency in ms."""
    times: list[float] = []
    cursor = None
    for _ in range(kind.pages):
        params = {**kind.params, "limit": str(PAGE)}
        if cursor:
            params["cursor"] = cursor
        started = time.perf_counter()
        response = await client.get("/api/calls", params=params, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET /api/calls {kind.name}: {response.status_code} {response.text[:200]}")
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    return times


async def _http(app_url: str, key: str, kinds: list[QueryKind], requests: int) -> dict[str, list[float]]:
    headers = key_headers(key)
    results: dict[str, list[float]] = {}
    async with httpx.AsyncClient(base_url=app_url, timeout=30) as client:
        for kind in kinds:  # warm-up: pool connections, prepared statements, the key cache
            await _walk(client, kind, headers)
        for kind in kinds:
            samples: list[float] = []
            while len(samples) < requests:
                pages = await _walk(client, kind, headers)
                samples.extend(pages[1:] if kind.pages == DEEP_WALK else pages)
            results[kind.name] = samples
    return results


# ---------------------------------------------------------------- the SQL side


async def _service_side(
    database_url: str, org_id: uuid.UUID, kinds: list[QueryKind], requests: int
) -> tuple[dict[str, tuple[str, Any]], dict[str, list[float]]]:
    """The statement and parameters service.list_calls sends for each kind (a deep page: page 10's), and
    service.list_calls timed in-process: SQL + ORM rows + CallSummary models, without HTTP and auth."""
    engine = create_engine(database_url, pool_size=1)
    seen: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    captured: dict[str, tuple[str, Any]] = {}
    timings: dict[str, list[float]] = {}
    try:
        async with create_session_factory(engine)() as session:
            for kind in kinds:
                cursor = page_cursor = None
                for _ in range(10 if kind.pages == DEEP_WALK else 1):
                    seen.clear()
                    page_cursor = cursor
                    _, cursor = await service.list_calls(
                        session, org_id=org_id, filters=kind.filters, limit=PAGE, cursor=cursor
                    )
                captured[kind.name] = seen[-1]
                samples = []
                for _ in range(requests):
                    started = time.perf_counter()
                    await service.list_calls(
                        session, org_id=org_id, filters=kind.filters, limit=PAGE, cursor=page_cursor
                    )
                    samples.append((time.perf_counter() - started) * 1000)
                    session.expunge_all()  # as a fresh request's session would be
                timings[kind.name] = samples
    finally:
        await engine.dispose()
    return captured, timings


def _elide(condition: str) -> str:
    """A plan condition with its long literals (ids, timestamps) shortened, so a line stays readable."""
    condition = re.sub(r"'[0-9a-f-]{36}'::uuid", "<uuid>", condition)
    return re.sub(r"'\d{4}-\d\d-\d\d [^']*'::timestamp with time zone", "<ts>", condition)


def _plan_line(node: dict[str, Any], depth: int = 0) -> list[str]:
    name = node["Node Type"]
    if node.get("Scan Direction") == "Backward":
        name += " Backward"
    if "Index Name" in node:
        name += f" using {node['Index Name']}"
    detail = f"rows={node.get('Actual Rows')} loops={node.get('Actual Loops')}"
    if "Index Cond" in node:
        detail += f" cond={_elide(node['Index Cond'])}"
    if "Filter" in node:
        detail += f" filter={_elide(node['Filter'])}"
    if node.get("Rows Removed by Filter"):
        detail += f" removed_by_filter={node['Rows Removed by Filter']}"
    if "Heap Fetches" in node:
        detail += f" heap_fetches={node['Heap Fetches']}"
    if node.get("Sort Method"):
        detail += f" sort={node['Sort Method']}"
    lines = [f"{'  ' * depth}{name} ({detail})"]
    for child in node.get("Plans", []):
        lines.extend(_plan_line(child, depth + 1))
    return lines


async def _explain(conn: asyncpg.Connection, sql: str, params: Any) -> tuple[list[str], float, int, int]:
    raw = await conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, *params)
    plan = (orjson.loads(raw) if isinstance(raw, str) else raw)[0]
    top = plan["Plan"]
    return (
        _plan_line(top),
        plan["Execution Time"],
        top.get("Shared Hit Blocks", 0),
        top.get("Shared Read Blocks", 0),
    )


async def _sql_side(dsn: str, captured: dict[str, tuple[str, Any]], requests: int) -> dict[str, list[float]]:
    """EXPLAIN each statement (custom and generic plan), then time it alone on one asyncpg connection."""
    timings: dict[str, list[float]] = {}
    conn = await asyncpg.connect(dsn)
    try:
        for name, (sql, params) in captured.items():
            lines, exec_ms, hit, read = await _explain(conn, sql, params)
            print(f"  [{name}] execution {exec_ms:.2f} ms, shared buffers hit {hit} read {read}")
            for line in lines:
                print(f"      {line}")
            # asyncpg reuses prepared statements; after 5 runs PostgreSQL may switch to a generic plan that
            # was costed for an average org, not this one.
            await conn.execute("SET plan_cache_mode = force_generic_plan")
            try:
                generic, generic_ms, _, _ = await _explain(conn, sql, params)
            finally:
                await conn.execute("RESET plan_cache_mode")
            if generic != lines:
                print(f"    generic plan differs ({generic_ms:.2f} ms):")
                for line in generic:
                    print(f"      {line}")
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                await conn.fetch(sql, *params)
                samples.append((time.perf_counter() - started) * 1000)
            timings[name] = samples
    finally:
        await conn.close()
    return timings


# The one filter no index covers: rare values are found by walking ix_calls_org_started and dropping rows.
async def _bench(args: Any) -> None:
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    requests = args.requests or (50 if args.quick else 200)
    now = datetime.now(UTC).replace(microsecond=0)
    kinds = _kinds(now)
    app_cpu, client_cpu = usable_cpu(0), usable_cpu(1)
    await flush_bench_redis()
    try:
        async with scratch_database() as dsn:
            database_url = async_url(dsn)
            app: Child | None = None
            try:
                app, app_url = start_app(app_env(database_url=database_url), cpu=app_cpu)
                async with httpx.AsyncClient(base_url=app_url, timeout=30) as setup:
                    orgs = [await create_org(setup, name=f"Clinic {i:02d}") for i in range(ORGS)]
                    key = await create_key(setup, orgs[0]["id"], ["calls:read"])
                org_ids = [uuid.UUID(org["id"]) for org in orgs]
                await _load(dsn, org_ids, rows, now)
                with pinned({client_cpu}):
                    print(
                        f"GET /api/calls for the big org (limit {PAGE}), {requests}+ requests per kind, "
                        f"sequential; app pid {app.pid} on CPU {app_cpu}, client on CPU {client_cpu}"
                    )
                    http = await _http(app_url, key, kinds, requests)
                    print("EXPLAIN (ANALYZE, BUFFERS) of the SQL the repository sends (deep page: page 10):")
                    captured, in_service = await _service_side(database_url, org_ids[0], kinds, requests)
                    sql = await _sql_side(dsn, captured, requests)
            finally:
                if app is not None:
                    app.stop()
    finally:
        await flush_bench_redis()
    table = []
    for kind in kinds:
        worst = p99(http[kind.name])
        table.append(
            [
                kind.name,
                len(http[kind.name]),
                ms(p50(http[kind.name])),
                ms(worst),
                ms(p50(in_service[kind.name])),
                ms(p50(sql[kind.name])),
                ms(p99(sql[kind.name])),
                f"p99 <= {TARGET_P99_MS:g}: {verdict(worst <= TARGET_P99_MS)}",
            ]
        )
    print(
        f"GET /api/calls latency (ms) with {rows:,} calls; "
        "service = service.list_calls in-process (SQL + ORM + models, no HTTP/auth); "
        "SQL = the statement alone on one asyncpg connection"
    )
    print_table(
        ["query kind", "requests", "HTTP p50", "HTTP p99", "service p50", "SQL p50", "SQL p99", "target"],
        table,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv, _extra)
    run(_bench(args))


if __name__ == "__main__":
    main()
