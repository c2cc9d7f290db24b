"""Live event stream (SSE) fan-out: subscribers on one org while live calls add transcript turns.

N subscribers hold GET /api/org/events on one org while M live calls each POST one transcript turn a
second. Latency is from the moment the client starts the turn's POST (the stamp is in the turn's text)
to the message's arrival at each subscriber, so it includes the POST itself, the Redis round trips and
the fan-out. The app (one uvicorn worker) is pinned to one CPU and the client to the other; the app's
CPU is its user + system time over the measured window. BENCH_APP_ROOT runs the app from another
checkout (an A/B against the code before a change); --py-spy writes a flame graph of the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench._support import (
    app_env,
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
    usable_cpu,
    verdict,
)
from tests.fixtures.factories import create_org_with_key, key_headers
from tests.fixtures.postgres import async_url

TARGET_P99_MS = 50.0


@dataclass
class Reader:
    """One subscriber's tally: events received and whether the server closed its stream (dropped)."""

    got: int = 0
    closed: bool = False
    ready: asyncio.Event = field(default_factory=asyncio.Event)


async def _subscriber(host: str, port: int, key: str, tally: Reader, latencies: list[float]) -> None:
    """A raw-socket SSE reader (cheap enough that 100 of them fit one client core)."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /api/org/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
    )
    await writer.drain()
    buffer = b""
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                tally.closed = True  # dropped by the server (too slow) or closed
                return
            now = time.time()
            buffer += chunk
            *messages, buffer = buffer.split(b"\n\n")
            for message in messages:
                if b"event: snapshot" in message:
                    tally.ready.set()  # subscribed: the server sends the snapshot after subscribing
                if b"event: transcript.turn" not in message:
                    continue
                stamp = message.rsplit(b" at ", 1)[1].split(b'"', 1)[0]
                latencies.append(now - float(stamp))
                tally.got += 1
    finally:
        writer.close()


@contextlib.contextmanager
def py_spy(pid: int, path: str | None) -> Iterator[None]:
    """Sample the app with py-spy for the block (a flame graph at `path`), if asked and installed."""
    exe = shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    if path is None or exe is None:
        if path is not None:
            print("py-spy is not installed (.venv/bin/pip install py-spy); no profile")
        yield
        return
    spy = subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--output", path, "--rate", "200", "--nonblocking"]
        + ([] if path.endswith(".svg") else ["--format", "raw"]),  # raw: collapsed stacks, to grep
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(2)  # SIGINT: py-spy writes the profile and exits
        with contextlib.suppress(subprocess.TimeoutExpired):
            spy.wait(timeout=30)


async def fan_out(
    dsn: str, *, subscribers: int, calls: int, turns: int, interval: float, app_cpu: int, profile: str | None
) -> dict[str, Any]:
    await flush_bench_redis()
    env = {
        **app_env(database_url=async_url(dsn)),
        "WEBHOOK_DISPATCHER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    app, url = start_app(env, cpu=app_cpu)
    latencies: list[float] = []
    failures: list[str] = []
    host, port = url.removeprefix("http://").split(":")
    try:
        limits = httpx.Limits(max_connections=calls + 10)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
            _, key = await create_org_with_key(client)
            headers = key_headers(key)
            ids = []
            for _ in range(calls):
                r = await client.post("/api/call/start", json={"channel": "browser"}, headers=headers)
                assert r.status_code == 201, r.text
                ids.append(r.json()["call_id"])
            tallies = [Reader() for _ in range(subscribers)]
            readers = [
                asyncio.create_task(_subscriber(host, int(port), key, tally, latencies)) for tally in tallies
            ]
            await asyncio.wait_for(asyncio.gather(*(t.ready.wait() for t in tallies)), 300)
            await asyncio.sleep(1.0)

            async def talk(call_id: str, offset: float) -> None:
                await asyncio.sleep(offset)
                for n in range(turns):
                    text = f"turn {n} at {time.time():.6f}"
                    try:
                        response = await client.post(
                            f"/api/calls/{call_id}/transcript",
                            json={"turns": [{"speaker": "agent", "text": text}]},
                            headers=headers,
                        )
                    except httpx.TransportError as exc:
                        failures.append(type(exc).__name__)
                        continue
                    if response.status_code != 200:
                        failures.append(response.text[:160])
                    await asyncio.sleep(interval)

            with py_spy(app.pid, profile):
                cpu_before, redis_before = app.cpu_seconds(), await redis_cpu_seconds()
                client_before = time.process_time()
                started = time.perf_counter()
                await asyncio.gather(*(talk(c, interval * i / calls) for i, c in enumerate(ids)))
                # Until every event that was posted reached every subscriber (or 30 s more).
                wanted = (calls * turns - len(failures)) * subscribers
                deadline = time.perf_counter() + 30
                while len(latencies) < wanted and time.perf_counter() < deadline:
                    await asyncio.sleep(0.01)
                elapsed = time.perf_counter() - started
                cpu = app.cpu_seconds() - cpu_before
                client_cpu = time.process_time() - client_before
                redis_cpu = await redis_cpu_seconds() - redis_before
            for task in readers:
                task.cancel()
            posted = calls * turns - len(failures)
            complete = sum(1 for t in tallies if t.got >= posted and not t.closed)
            dropped = sum(1 for t in tallies if t.closed)
    finally:
        app.stop()
    return {
        "events": calls * turns,
        "deliveries": len(latencies),
        "complete": complete,
        "dropped": dropped,
        "p50": p50(latencies),
        "p99": p99(latencies),
        "max": max(latencies, default=float("nan")),
        "cpu": cpu / elapsed,
        "redis_cpu": redis_cpu / elapsed,
        "client_cpu": client_cpu / elapsed,
        "failed_posts": len(failures),
        "failure_sample": sorted(set(failures))[:3],
    }


def extra_args(parser: Any) -> None:
    parser.add_argument("--subscribers", type=int, help="SSE subscribers on the org (default 100)")
    parser.add_argument("--calls", type=int, help="live calls, one turn a second each (default 100)")
    parser.add_argument("--turns", type=int, help="turns per call (default 10)")
    parser.add_argument(
        "--py-spy", dest="py_spy", metavar="PATH", help="profile the app with py-spy (.svg, or raw stacks)"
    )


async def main_async(args: Any) -> None:
    subs, calls, turns = (20, 20, 5) if args.quick else (100, 100, 10)
    subs, calls, turns = args.subscribers or subs, args.calls or calls, args.turns or turns
    # Chosen before pinning: inside pinned() this process sees one CPU and would put the app on it too.
    app_cpu, client_cpu = usable_cpu(1), usable_cpu(0)
    async with scratch_database() as dsn:
        with pinned({client_cpu}):
            result = await fan_out(
                dsn,
                subscribers=subs,
                calls=calls,
                turns=turns,
                interval=1.0,
                app_cpu=app_cpu,
                profile=args.py_spy,
            )
    p99_ms = result["p99"] * 1000
    rows = [
        ["subscribers x live calls", f"{subs} x {calls} ({result['events']} turns, 1 turn/s/call)"],
        ["deliveries to subscribers", f"{result['deliveries']} of {result['events'] * subs}"],
        ["subscribers that got every posted event", f"{result['complete']} of {subs}"],
        ["subscribers dropped by the server (too slow)", str(result["dropped"])],
        ["event latency p50 ms", ms(result["p50"] * 1000)],
        [f"event latency p99 ms (target <= {TARGET_P99_MS:.0f})", f"{ms(p99_ms)} {verdict(p99_ms <= 50)}"],
        ["event latency max ms", ms(result["max"] * 1000)],
        ["app server CPU (fraction of one core)", f"{result['cpu']:.2f}"],
        ["redis-server CPU (fraction of one core, shared)", f"{result['redis_cpu']:.2f}"],
        ["bench client CPU (fraction of one core)", f"{result['client_cpu']:.2f}"],
        ["transcript POSTs that failed", str(result["failed_posts"])],
    ]
    if result["failure_sample"]:
        rows.append(["failure sample", "; ".join(result["failure_sample"])])
    print_table(["measure", "value"], rows, title="SSE fan-out, one org (Redis Streams)")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__.splitlines()[0], argv, extra_args)
    run(main_async(args))


if __name__ == "__main__":
    main()
