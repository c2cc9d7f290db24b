"""Browser calls run on the server: N concurrent WebRTC calls over the unified interface, each with a
sideband the app runs the agent on, one caller line and one agent line a second. The app runs pinned to
CPU 0, the fake OpenAI (which drives the lines) on CPU 1.

Per row: the SDP exchange (POST /api/realtime/calls) p50/p99 and what it adds at p50 over POSTing the
same multipart to the fake directly, the app's CPU per call over the measured window, and the lines the
stored calls hold against the lines the fake sent. The fake stops talking at the end of the window and
the app is given a moment to catch up before the calls end, so the two counts must be equal: any
difference is a line lost (or made up).

`python -m bench.bench_sideband [--quick] [--calls 10,100] [--seconds 10]`
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

if __package__ in (None, ""):  # `python bench/bench_sideband.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import (
    Child,
    app_env,
    flush_bench_redis,
    ms,
    p50,
    p99,
    parse_args,
    print_table,
    run,
    scratch_database,
    spawn,
    start_app,
    usable_cpu,
)
from tests.fixtures.factories import create_org_with_key
from tests.fixtures.postgres import async_url

OFFER = b"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
TARGET_CALLS = 100


def _extra(parser: Any) -> None:
    parser.add_argument("--calls", default=None, help="comma-separated concurrent call counts (10,100)")
    parser.add_argument("--seconds", type=float, default=None, help="measured window (default 10)")


async def _direct_offers(fake_url: str, n: int) -> list[float]:
    """POST /v1/realtime/calls to the fake itself: the baseline the app's exchange is compared with."""
    files = {
        "sdp": (None, OFFER, "application/sdp"),
        "session": (None, b'{"type":"realtime"}', "application/json"),
    }
    times = []
    async with httpx.AsyncClient(
        timeout=30, headers={"Authorization": "Bearer sk-simulator-not-openai"}
    ) as http:
        for _ in range(n):
            started = time.perf_counter()
            response = await http.post(f"{fake_url}/realtime/calls", files=files)
            times.append(time.perf_counter() - started)
            response.raise_for_status()
            call_id = response.headers["location"].rpartition("/")[2]
            await http.post(f"{fake_url}/realtime/calls/{call_id}/hangup")
    return times


async def run_row(
    n: int, seconds: float, http: httpx.AsyncClient, key: str, app: Child, fake_url: str
) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {key}"}
    headers = {**auth, "Content-Type": "application/sdp"}

    refused: list[str] = []

    async def offer() -> tuple[str, float] | None:
        started = time.perf_counter()
        response = await http.post("/api/realtime/calls", content=OFFER, headers=headers)
        elapsed = time.perf_counter() - started
        if response.status_code != 201:
            refused.append(f"{response.status_code} {response.json()['error']['code']}")
            return None
        return response.headers["x-call-id"], elapsed

    stats_url = f"{fake_url.removesuffix('/v1')}/bench/stats"
    before = orjson.loads((await http.get(stats_url)).content)  # earlier rows' calls: quiet by now
    hangups_before = before["hangups"]
    await http.post(f"{fake_url.removesuffix('/v1')}/bench/quiet", params={"off": "1"})
    baseline = await _direct_offers(fake_url, min(n, 20))
    first = [await offer() for _ in range(min(n, 20))]  # sequential: latency without queueing
    rest = await asyncio.gather(*(offer() for _ in range(n - len(first))))
    made = [m for m in [*first, *rest] if m is not None]
    await asyncio.sleep(1.5)  # every sideband attached and talking
    cpu0, t0 = app.cpu_seconds(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu1, t1 = app.cpu_seconds(), time.perf_counter()
    await http.post(f"{fake_url.removesuffix('/v1')}/bench/quiet")
    await asyncio.sleep(2.0)  # the lines in flight (and their replies) reach the app
    stats = orjson.loads((await http.get(f"{fake_url.removesuffix('/v1')}/bench/stats")).content)
    gate = asyncio.Semaphore(10)  # hang-ups arrive spread out, as browsers end calls, not all at once

    async def end(call_id: str) -> httpx.Response:
        async with gate:
            return await http.post("/api/call/end", json={"call_id": call_id}, headers=auth)

    ended = await asyncio.gather(*(end(call_id) for call_id, _ in made))
    await asyncio.sleep(1.5)  # the sidebands notice the end and hang up
    hangups = orjson.loads((await http.get(f"{fake_url.removesuffix('/v1')}/bench/stats")).content)["hangups"]
    caller_lines = 0
    for call_id, _ in made:
        detail = (await http.get(f"/api/calls/{call_id}", headers={"Authorization": f"Bearer {key}"})).json()
        caller_lines += sum(1 for turn in detail.get("transcript", []) if turn["speaker"] == "caller")
    return {
        "n": n,
        "offer": [elapsed for _, elapsed in made[:20]],
        "baseline": baseline,
        "cpu_pct_per_call": (cpu1 - cpu0) / (t1 - t0) * 100 / n,
        "app_cpu_pct": (cpu1 - cpu0) / (t1 - t0) * 100,
        "ended_ok": sum(1 for response in ended if response.status_code == 200),
        "end_failures": sorted(
            {f"{r.status_code} {r.json()['error']['code']}" for r in ended if r.status_code != 200}
        ),
        "caller_lines": caller_lines,
        "lines_sent_by_end": sum(stats["lines_sent"].values()) - sum(before["lines_sent"].values()),
        "hangups": hangups - hangups_before - len(baseline),
        "refused": refused,
    }


def report(rows: list[dict[str, Any]], seconds: float) -> None:
    print_table(
        ["calls", "offer p50", "offer p99", "fake direct p50", "added p50"],
        [
            [
                r["n"],
                ms(p50(r["offer"]) * 1000),
                ms(p99(r["offer"]) * 1000),
                ms(p50(r["baseline"]) * 1000),
                ms((p50(r["offer"]) - p50(r["baseline"])) * 1000),
            ]
            for r in rows
        ],
        title="POST /api/realtime/calls (ms, sequential; added = over POSTing the same offer to the fake)",
    )
    print_table(
        ["calls", "app CPU %", "per call %", "ended 200", "hung up", "caller lines stored / sent"],
        [
            [
                r["n"],
                f"{r['app_cpu_pct']:.1f}",
                f"{r['cpu_pct_per_call']:.3f}",
                r["ended_ok"],
                r["hangups"],
                f"{r['caller_lines']} / {r['lines_sent_by_end']}",
            ]
            for r in rows
        ],
        title=f"sidebands over a {seconds:g} s window: one caller line and one agent line a second per call",
    )
    for r in rows:
        if r["end_failures"]:
            print(f"  {r['n']} calls: ends refused with {', '.join(r['end_failures'])}")
        if r["refused"]:
            print(f"  {r['n']} calls: {len(r['refused'])} offers refused: {sorted(set(r['refused']))}")
        if r["caller_lines"] != r["lines_sent_by_end"]:
            stored, sent = r["caller_lines"], r["lines_sent_by_end"]
            print(f"  {r['n']} calls: LINES LOST OR ADDED: {stored} stored of {sent} sent")
    top = max(rows, key=lambda r: r["n"])
    if top["n"] >= TARGET_CALLS:
        print(f"at {top['n']} calls: {top['cpu_pct_per_call']:.3f}% of a core per sideband call")


async def main_async(argv: Sequence[str] | None) -> None:
    args = parse_args(__doc__.splitlines()[0], argv, _extra)
    counts = [int(c) for c in (args.calls or ("10" if args.quick else "10,100")).split(",")]
    seconds = args.seconds or (4.0 if args.quick else 10.0)
    app_cpu, load_cpu = usable_cpu(0), usable_cpu(1)
    await flush_bench_redis()
    async with scratch_database() as dsn:
        fake, fake_url = spawn(
            "fake-openai",
            ["run", "--cpu", str(load_cpu), "bench._sideband_fake", "--port", "0"],
            ready="OPENAI_BASE_URL=",
        )
        try:
            env = app_env(database_url=async_url(dsn), openai_base_url=fake_url) | {
                "CALL_SWEEPER_ENABLED": "false"
            }
            app, app_url = start_app(env, cpu=app_cpu)
            try:
                async with httpx.AsyncClient(base_url=app_url, timeout=60) as http:
                    _, key = await create_org_with_key(http, name="Bench Sideband")
                    print(f"app on CPU {app_cpu}; fake OpenAI on CPU {load_cpu}", flush=True)
                    rows = []
                    for n in counts:
                        rows.append(await run_row(n, seconds, http, key, app, fake_url))
                        print(f"  {n} calls done", flush=True)
                report(rows, seconds)
            finally:
                app.stop()
        finally:
            fake.stop()
    await flush_bench_redis()


def main(argv: Sequence[str] | None = None) -> None:
    run(main_async(argv))


if __name__ == "__main__":
    main()
