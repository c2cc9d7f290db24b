"""Session minting through the real app: what POST /api/realtime/session adds on top of OpenAI's own
latency, and sessions/s on one uvicorn worker; then the same figures for the SDP exchange, POST
/api/realtime/calls (each exchange also starts the call's sideband). The app runs pinned to CPU 0; the
fake OpenAI (with a fixed --delay-ms, for the mint and the SDP exchange alike) and this client share
CPU 1. `--delay-ms 0` shows what would be hidden behind OpenAI's own latency: the work the app does
beside the upstream round trip (the call's start, its stream entry) then counts as added too.

The timed requests go through bench/_rawhttp.py (pre-encoded requests, one keep-alive connection per
worker), not httpx: httpx cost this process ~4.5 ms of CPU per request, so at 180/s it held CPU 1 at
97% and set the pace itself. `--httpx` runs (b) with the old httpx client, to compare.
`python -m bench.bench_mint [--quick] [--delay-ms 20] [--httpx]`."""

from __future__ import annotations

import asyncio
import os
import pstats
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import orjson
from starlette.concurrency import run_in_threadpool

from app.calls.live_store import RedisLiveStore
from app.calls.service import OrgContext, session_spec, start_call, utcnow
from app.orgs.auth import authenticate_org_key
from app.realtime.client import RealtimeClient, multipart_form
from app.realtime.session import client_secret_body
from app.settings import OpenAISettings, Settings
from bench._rawhttp import Client, Connection, ConnectionLost, Request, Response
from bench._support import (
    FAKE_OPENAI_KEY,
    REDIS_URL,
    Child,
    app_env,
    cpu_busy_jiffies,
    cpu_busy_percent,
    flush_bench_redis,
    ms,
    p50,
    p99,
    parse_args,
    pinned,
    print_table,
    redis_cpu_seconds,
    run,
    scratch_database,
    start_app,
    start_fake_openai,
    usable_cpu,
    verdict,
)
from database.engine import create_engine, create_session_factory
from tests.fixtures.factories import create_key, create_org, example_config, key_headers
from tests.fixtures.postgres import async_url

TARGET_ADDED_P50_MS = 3.0
TARGET_SESSIONS_PER_S = 300.0
CONCURRENCY = 50
OFFER = b"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
SESSION_BODY = {
    "caller": {"name": "Dana Reyes", "phone": "+15555550123"},
    "metadata": {"page": "/contact", "campaign": "spring-checkup"},
}


def _extra(parser: Any) -> None:
    parser.add_argument("--delay-ms", type=float, default=20.0, help="the fake OpenAI's own latency")
    parser.add_argument("--requests", type=int, default=None, help="sequential requests (default 500)")
    parser.add_argument(
        "--load-seconds", type=float, default=None, help="throughput phase length (default 10)"
    )
    parser.add_argument("--no-sdp", action="store_true", help="skip (d), the SDP exchange")
    parser.add_argument("--httpx", action="store_true", help="(b) with the old httpx load generator")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="cProfile the app and print its top functions (and keep the stats at PATH if given)",
    )


async def _timed(client: Client | Connection, request: Request) -> tuple[float, Response]:
    started = time.perf_counter()
    response = await client.send(request)
    return (time.perf_counter() - started) * 1000, response


def _json_post(url: str, body: Any, headers: dict[str, str]) -> Request:
    return Request.build(
        "POST", url, body=orjson.dumps(body), headers={**headers, "Content-Type": "application/json"}
    )


class Target:
    """One org with a key on the running app, and the requests the bench sends (encoded once)."""

    def __init__(self, app_url: str, fake_url: str, org: dict[str, Any], key: str) -> None:
        settings = Settings()
        self.org, self.key = org, key
        self.app_url, self.fake_url = app_url, fake_url
        self.context = OrgContext.build(uuid.UUID(org["id"]), org["name"], example_config(), 1)
        # The body the app sends upstream, so the direct baseline moves the same bytes.
        self.upstream_body = client_secret_body(
            session_spec(self.context, settings, utcnow()),
            ttl_seconds=settings.openai.client_secret_ttl_seconds,
            transcription_model=settings.openai.transcription_model,
        )
        self.fake_auth = {"Authorization": f"Bearer {FAKE_OPENAI_KEY}"}
        self.key_headers = key_headers(key)
        self.direct = _json_post(fake_url + "/realtime/client_secrets", self.upstream_body, self.fake_auth)
        self.ours_url = app_url + "/api/realtime/session"
        self.ours_kwargs: dict[str, Any] = {"json": SESSION_BODY, "headers": self.key_headers}
        self.ours = _json_post(self.ours_url, SESSION_BODY, self.key_headers)
        self.health = Request.build("GET", app_url + "/healthz")
        # The SDP exchange: the same offer and session, to the fake directly and through the app.
        body, content_type = multipart_form(
            [
                ("sdp", "application/sdp", OFFER),
                ("session", "application/json", orjson.dumps(self.upstream_body["session"])),
            ]
        )
        self.direct_calls = Request.build(
            "POST",
            fake_url + "/realtime/calls",
            body=body,
            headers={**self.fake_auth, "Content-Type": content_type},
        )
        self.calls = Request.build(
            "POST",
            app_url + "/api/realtime/calls",
            body=OFFER,
            headers={**self.key_headers, "Content-Type": "application/sdp"},
        )

    def hangup(self, openai_call_id: str) -> Request:
        return Request.build(
            "POST", f"{self.fake_url}/realtime/calls/{openai_call_id}/hangup", headers=self.fake_auth
        )

    def end(self, call_id: str) -> Request:
        return _json_post(self.app_url + "/api/call/end", {"call_id": call_id}, self.key_headers)


def _server_side(app: Child, since: int, route: str = "/api/realtime/session") -> list[float]:
    """Per-request durations the app itself logged (http_request), free of client-side queueing."""
    return [
        float(r["duration_ms"])
        for r in app.log_events(since, "http_request")
        if r.get("route") == route and r.get("status") == 201
    ]


async def _sequential(client: Client, target: Target, app: Child, n: int, delay: float) -> None:
    for _ in range(30):  # warm both connections, the auth cache, the config cache, prepared plans
        await client.send(target.direct)
        await client.send(target.ours)
    direct: list[float] = []
    ours: list[float] = []
    statuses: Counter[int] = Counter()
    app_cpu, log_at, client_cpu = app.cpu_seconds(), app.log_offset(), time.process_time()
    for _ in range(n):  # interleaved, so drift on a shared machine hits both series alike
        elapsed, _response = await _timed(client, target.direct)
        direct.append(elapsed)
        elapsed, response = await _timed(client, target.ours)
        ours.append(elapsed)
        statuses[response.status] += 1
    cpu_per_session = (app.cpu_seconds() - app_cpu) / n * 1000
    client_per_request = (time.process_time() - client_cpu) / (2 * n) * 1000
    server = _server_side(app, log_at)
    app_cpu = app.cpu_seconds()
    for _ in range(n):
        await client.send(target.health)
    cpu_per_health = (app.cpu_seconds() - app_cpu) / n * 1000
    paired = [o - d for o, d in zip(ours, direct, strict=True)]
    added = p50(ours) - p50(direct)

    print(f"(a) sequential: {n} sessions, fake OpenAI delay D = {delay:g} ms, statuses {dict(statuses)}")
    print_table(
        ["latency (ms)", "p50", "p99", "target"],
        [
            ["direct to fake (baseline)", ms(p50(direct)), ms(p99(direct)), ""],
            [
                "  baseline minus D (fake + client + loopback)",
                ms(p50(direct) - delay),
                ms(p99(direct) - delay),
                "",
            ],
            ["POST /api/realtime/session (total)", ms(p50(ours)), ms(p99(ours)), ""],
            ["ours minus D", ms(p50(ours) - delay), ms(p99(ours) - delay), ""],
            [
                "ours minus direct-to-fake (added)",
                ms(added),
                ms(p99(ours) - p99(direct)),
                f"p50 <= {TARGET_ADDED_P50_MS:g} ms: {verdict(added <= TARGET_ADDED_P50_MS)}",
            ],
            ["  paired (ours_i - direct_i)", ms(p50(paired)), ms(p99(paired)), ""],
            [f"  server-side, app's own log (n={len(server)})", ms(p50(server)), ms(p99(server)), ""],
            [
                "  server-side minus direct-to-fake",
                ms(p50(server) - p50(direct)),
                ms(p99(server) - p99(direct)),
                "",
            ],
        ],
    )
    print(
        f"  app CPU (from /proc): {cpu_per_session:.2f} ms per session; "
        f"{cpu_per_health:.2f} ms per GET /healthz (server + framework floor); "
        f"client CPU {client_per_request:.2f} ms per request"
    )


def _app_problems(app: Child, since: int) -> dict[str, int]:
    """Warning and error lines the app logged after `since`, by event name (what a client error was)."""
    with open(app.log_path, "rb") as f:
        f.seek(since)
        lines = f.read().splitlines()
    found: Counter[str] = Counter()
    for line in lines:
        if line.startswith(b"{") and (b'"level":"warning"' in line or b'"level":"error"' in line):
            record = orjson.loads(line)
            found[f"{record.get('event')} ({record.get('error_type') or record.get('reason') or ''})"] += 1
    return dict(found)


def _lost(exc: ConnectionLost) -> str:
    """Where a connection broke: before any response byte on a reused connection is the keep-alive race
    (the server closed an idle connection as the request went out); anything else is the server's."""
    if exc.got_bytes:
        return "reset mid-response"
    where = f"reused, idle {exc.idle:.1f} s" if exc.reused else "new connection"
    return f"closed before a response ({where})"


async def _throughput(
    target: Target, app: Child, fake: Child, seconds: float, budget: int, *, use_httpx: bool = False
) -> None:
    """CONCURRENCY workers, each on its own keep-alive connection, until the time or the request budget
    runs out (`use_httpx`: the old generator, one shared httpx client)."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    left = [budget]
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    shared = httpx.AsyncClient(timeout=30, limits=limits) if use_httpx else None
    replaced = [0]

    async def worker() -> None:
        connection = Connection(target.ours.host, target.ours.port)
        try:
            while left[0] > 0 and time.perf_counter() < deadline:
                left[0] -= 1
                started = time.perf_counter()
                try:
                    if shared is not None:
                        status = (await shared.post(target.ours_url, **target.ours_kwargs)).status_code
                    else:
                        status = (await connection.send(target.ours)).status
                except ConnectionLost as exc:
                    errors[_lost(exc)] += 1
                    continue
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                if status == 201:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors[str(status)] += 1
        finally:
            replaced[0] += connection.replaced_idle
            connection.close()

    before = (app.cpu_seconds(), fake.cpu_seconds(), time.process_time(), await redis_cpu_seconds())
    cores_before, log_at = cpu_busy_jiffies(), app.log_offset()
    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    finally:
        if shared is not None:
            await shared.aclose()
    wall = time.perf_counter() - started
    cores = cpu_busy_percent(cores_before, cpu_busy_jiffies())
    after = (app.cpu_seconds(), fake.cpu_seconds(), time.process_time(), await redis_cpu_seconds())
    app_pct, fake_pct, client_pct, redis_pct = (
        (a - b) / wall * 100 for a, b in zip(after, before, strict=True)
    )
    rate = len(latencies) / wall
    cpu_ms = app_pct * 10 / max(rate, 1e-9)
    server = _server_side(app, log_at)
    problems = _app_problems(app, log_at)
    print(
        f"(b) throughput: {CONCURRENCY} concurrent, {len(latencies)} sessions in {wall:.2f} s "
        f"(limit {seconds:g} s / {budget} requests), errors {dict(errors) or 0}; client: "
        f"{'httpx (--httpx)' if use_httpx else f'_rawhttp, {CONCURRENCY} keep-alive connections'}"
        f"{f', {replaced[0]} idle ones replaced before reuse' if replaced[0] else ''}"
    )
    print_table(
        ["under load", "value", "target"],
        [
            [
                "sessions/s (one worker)",
                f"{rate:.0f}",
                f">= {TARGET_SESSIONS_PER_S:g}: {verdict(rate >= TARGET_SESSIONS_PER_S)}",
            ],
            ["latency p50 (ms)", ms(p50(latencies)), ""],
            ["latency p99 (ms)", ms(p99(latencies)), ""],
            ["  server-side p50 / p99 (ms, app's own log)", f"{ms(p50(server))} / {ms(p99(server))}", ""],
            ["app CPU ms per session", ms(cpu_ms), ""],
            ["  ceiling on a whole core = 1000 / that (sessions/s)", f"{1000 / max(cpu_ms, 1e-9):.0f}", ""],
            [f"CPU {app.cpu_core} busy % (app's share)", f"{cores[app.cpu_core]:.0f} ({app_pct:.0f})", ""],
            [
                f"CPU {fake.cpu_core} busy % (fake + client shares)",
                f"{cores[fake.cpu_core]:.0f} ({fake_pct:.0f} + {client_pct:.0f})",
                "",
            ],
            ["redis-server CPU % (unpinned, shared)", f"{redis_pct:.0f}", ""],
            ["client CPU ms per request", ms(client_pct * 10 / max(rate, 1e-9)), ""],
        ],
    )
    if problems:
        print(f"  the app's warnings and errors meanwhile: {problems}")


async def _sdp_exchange(
    client: Client, target: Target, app: Child, n: int, seconds: float, budget: int
) -> None:
    """(d) POST /api/realtime/calls: sequential and interleaved with the same multipart POSTed to the
    fake, then CONCURRENCY at once. Every call the app starts runs a sideband; all are ended afterwards."""
    started: list[str] = []
    statuses: Counter[int | str] = Counter()

    async def ours(connection: Client | Connection = client) -> float | None:
        try:
            elapsed, response = await _timed(connection, target.calls)
        except ConnectionLost as exc:
            statuses[_lost(exc)] += 1
            return None
        statuses[response.status] += 1
        if response.status != 201:
            return None
        started.append(response.headers["x-call-id"])
        return elapsed

    async def direct() -> float:
        elapsed, response = await _timed(client, target.direct_calls)
        await client.send(target.hangup(response.headers["location"].rpartition("/")[2]))
        return elapsed

    async def end(call_id: str, connection: Client | Connection = client) -> int:
        return (await connection.send(target.end(call_id))).status

    ended: Counter[int] = Counter()
    for _ in range(10):
        await direct()
        await ours()
    direct_ms: list[float] = []
    ours_ms: list[float] = []
    cpu_seq, log_at = 0.0, app.log_offset()
    for _ in range(n):
        direct_ms.append(await direct())
        app_cpu = app.cpu_seconds()
        elapsed = await ours()
        cpu_seq += app.cpu_seconds() - app_cpu
        if elapsed is not None:
            ours_ms.append(elapsed)
        # Each call is ended (untimed) before the next: live sidebands piling up would be measured too.
        while started:
            ended[await end(started.pop())] += 1
    cpu_seq = cpu_seq / n * 1000
    server = _server_side(app, log_at, "/api/realtime/calls")
    added = p50(ours_ms) - p50(direct_ms)

    latencies: list[float] = []
    left = [budget]
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        connection = Connection(target.calls.host, target.calls.port)
        try:
            while left[0] > 0 and time.perf_counter() < deadline:
                left[0] -= 1
                if (elapsed := await ours(connection)) is not None:
                    latencies.append(elapsed)
        finally:
            connection.close()

    app_cpu, log_at = app.cpu_seconds(), app.log_offset()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    wall = time.perf_counter() - t0
    cpu_ms = (app.cpu_seconds() - app_cpu) * 1000 / max(len(latencies), 1)
    server_load = _server_side(app, log_at, "/api/realtime/calls")
    pending = list(started)

    async def ender() -> list[int]:
        connection, codes = Connection(target.calls.host, target.calls.port), []
        try:
            while pending:
                codes.append(await end(pending.pop(), connection))
        finally:
            connection.close()
        return codes

    for codes in await asyncio.gather(*(ender() for _ in range(10))):
        ended.update(codes)
    print(
        f"(d) SDP exchange, POST /api/realtime/calls: {n} sequential (interleaved with the fake), then "
        f"{CONCURRENCY} concurrent for {seconds:g} s; statuses {dict(statuses)}; ended {dict(ended)}"
    )
    print_table(
        ["SDP exchange", "p50", "p99", "target"],
        [
            ["direct to fake (multipart, baseline)", ms(p50(direct_ms)), ms(p99(direct_ms)), ""],
            ["POST /api/realtime/calls (total)", ms(p50(ours_ms)), ms(p99(ours_ms)), ""],
            [
                "ours minus direct-to-fake (added)",
                ms(added),
                ms(p99(ours_ms) - p99(direct_ms)),
                f"p50 <= {TARGET_ADDED_P50_MS:g} ms: {verdict(added <= TARGET_ADDED_P50_MS)}",
            ],
            [f"  server-side, app's own log (n={len(server)})", ms(p50(server)), ms(p99(server)), ""],
            [
                f"under load: {len(latencies) / wall:.0f} calls/s, latency",
                ms(p50(latencies)),
                ms(p99(latencies)),
                "",
            ],
            ["  server-side under load", ms(p50(server_load)), ms(p99(server_load)), ""],
        ],
    )
    print(
        f"  app CPU per exchange: {cpu_seq:.2f} ms sequential (the request, with one call live), "
        f"{cpu_ms:.2f} ms under load (incl. the sidebands it leaves running)"
    )


async def _measure_component(n: int, fn: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """(wall p50 ms, CPU ms per call of this whole process) over n sequential calls."""
    for _ in range(min(20, n)):
        await fn()
    walls = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        await fn()
        walls.append((time.perf_counter() - started) * 1000)
    return p50(walls), (time.process_time() - cpu) / n * 1000


async def _components(target: Target, dsn: str, fake_url: str, n: int) -> None:
    """The pieces of one mint, run here (CPU 1) with the app's own code, to show where the time goes."""
    settings = Settings()
    live = RedisLiveStore.from_url(REDIS_URL, ttl_seconds=settings.calls.live_ttl_seconds)
    engine = create_engine(async_url(dsn), pool_size=2)
    upstream = RealtimeClient(OpenAISettings(api_key=FAKE_OPENAI_KEY, base_url=fake_url))
    authorization = target.ours_kwargs["headers"]["Authorization"]
    event = {"type": "session_minted", "at": utcnow().isoformat(), "data": {"model": "gpt-realtime"}}
    try:
        async with create_session_factory(engine)() as session:

            async def auth() -> None:
                await authenticate_org_key(session, live, authorization=authorization)

            async def start() -> None:
                await start_call(live, org=target.context, settings=settings, channel="browser", metadata={})

            async def spec() -> None:
                session_spec(target.context, settings, utcnow())

            async def upstream_call() -> None:
                await upstream.create_client_secret(target.upstream_body)

            rows: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                ("redis PING (one round trip)", live.ping),
                ("auth from the shared cache (2 GETs)", auth),
                ("start_call (prompt + 1 round trip)", start),
                ("  session_spec alone (prompt build)", spec),
                ("live.add_event (1 round trip)", lambda: live.add_event(str(uuid.uuid4()), event)),
                ("RealtimeClient.create_client_secret (incl. D)", upstream_call),
                (
                    "run_in_threadpool(no-op): what a sync dependency would add",
                    lambda: run_in_threadpool(lambda: None),
                ),
            ]
            measured = [(name, *(await _measure_component(n, fn))) for name, fn in rows]
    finally:
        await upstream.aclose()
        await live.close()
        await engine.dispose()
    print(
        f"(c) the pieces of one mint, in-process on CPU {os.sched_getaffinity(0)}, {n} sequential calls each"
    )
    print_table(
        ["component", "wall p50 (ms)", "CPU per call (ms)"],
        [[name, ms(wall, 3), ms(cpu, 3)] for name, wall, cpu in measured],
    )
    print(
        "  one mint = auth (2 GETs) + the slot (1 script) + start_call (1 round trip) + the upstream call,"
        " with the call.started stream entries and outbox row (2 round trips, 1 PostgreSQL transaction)"
        " beside it + add_event (1 round trip); all dependencies are async (no thread hops)"
    )


async def _measure(args: Any, app: Child, app_url: str, fake: Child, fake_url: str, dsn: str) -> None:
    n = args.requests or (100 if args.quick else 500)
    load_seconds, budget = (3.0, 600) if args.quick else (10.0, 3000)
    if args.load_seconds is not None:
        load_seconds, budget = args.load_seconds, 1_000_000
    async with httpx.AsyncClient(base_url=app_url, timeout=30) as setup:
        org = await create_org(setup, name="Bright Smiles Dental")
        key = await create_key(setup, org["id"])
    target = Target(app_url, fake_url, org, key)
    client = Client()
    try:
        await _sequential(client, target, app, n, args.delay_ms)
        await _throughput(target, app, fake, load_seconds, budget, use_httpx=args.httpx)
        if not args.no_sdp:
            await _sdp_exchange(client, target, app, min(n, 200), load_seconds / 2, budget // 4)
    finally:
        client.close()
    await _components(target, dsn, fake_url, 100 if args.quick else 300)


async def _bench(args: Any) -> None:
    app_cpu, other_cpu = usable_cpu(0), usable_cpu(1)
    profile = None
    if args.profile is not None:
        profile = args.profile or tempfile.mktemp(prefix="bench-mint-", suffix=".prof")
    await flush_bench_redis()
    try:
        async with scratch_database() as dsn:
            children: list[Child] = []
            try:
                fake, fake_url = start_fake_openai(delay_ms=args.delay_ms, cpu=other_cpu)
                children.append(fake)
                env = app_env(database_url=async_url(dsn), openai_base_url=fake_url)
                app, app_url = start_app(env, cpu=app_cpu, profile=profile)
                children.append(app)
                print(
                    f"app pid {app.pid} on CPU {app_cpu}; "
                    f"fake OpenAI pid {fake.pid} and client on CPU {other_cpu}"
                )
                with pinned({other_cpu}):
                    await _measure(args, app, app_url, fake, fake_url, dsn)
            finally:
                for child in reversed(children):
                    child.stop()
    finally:
        await flush_bench_redis()
    if profile and os.path.exists(profile):
        print("app profile (cProfile, whole run incl. startup), top 30 by internal time:")
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        if not args.profile:
            os.unlink(profile)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv, _extra)
    run(_bench(args))


if __name__ == "__main__":
    main()
