"""The load generator for bench_bridge: N fake Twilio calls into the app, each a signed webhook, then a
media stream playing 20 ms frames in real time while marks are echoed as the agent's audio "plays".

`python -m bench._support run --cpu 1 bench._bridge_load --app URL ... --out PATH` writes per-call
timings (CLOCK_MONOTONIC, shared with the fake OpenAI's process) and the app's CPU over the measured
window to PATH as JSON, then prints RESULTS=PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from bench._support import cpu_busy_jiffies, cpu_busy_percent, run
from tests.fakes.twilio import FRAME_BYTES, SILENCE_BYTE, FakeTwilioCaller, MediaStream

_CLOCK = time.CLOCK_MONOTONIC


def clock() -> float:
    return time.clock_gettime(_CLOCK)


def marker(index: int) -> bytes:
    """The first frame of call `index`: two identifying bytes, then silence."""
    return bytes([index >> 8 & 0xFF, index & 0xFF]) + SILENCE_BYTE * (FRAME_BYTES - 2)


async def one_call(
    index: int, args: Any, http: httpx.AsyncClient, start_at: float, streams: list[MediaStream | None]
) -> dict[str, Any]:
    await asyncio.sleep(max(0.0, start_at - clock()))
    caller = FakeTwilioCaller(
        app_base_url=args.app,
        public_base_url=args.public,
        auth_token=args.token,
        to_number=args.number,
        from_number=f"+1555{index:07d}",
        http=http,
    )
    webhook_at = clock()
    response = await caller.post_voice_webhook()
    response.raise_for_status()
    stream = await caller.connect_stream(response.text, record_timing=True, keep_audio=False)
    streams[index] = stream
    frames = int(args.seconds * 1000 / 20)
    audio = marker(index) + SILENCE_BYTE * FRAME_BYTES * (frames - 1)
    await stream.play(audio)
    return {"index": index, "marker": marker(index)[:2].hex(), "webhook_at": webhook_at}


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_syscalls(pid: int) -> int:
    """Read and write syscalls of a process so far (/proc/<pid>/io): unlike CPU time, a count that
    other work on the machine does not move, so an A/B of a change that saves syscalls shows it."""
    with open(f"/proc/{pid}/io") as f:
        fields = dict(line.split(": ", 1) for line in f.read().splitlines())
    return int(fields["syscr"]) + int(fields["syscw"])


async def sample(pids: dict[str, int], at: float) -> dict[str, Any]:
    """At `at`: the clock, each process's CPU seconds and syscalls, and every core's busy/total jiffies."""
    await asyncio.sleep(max(0.0, at - clock()))
    return {
        "t": clock(),
        "cpu": {name: process_cpu_seconds(pid) for name, pid in pids.items()},
        "syscalls": {name: process_syscalls(pid) for name, pid in pids.items()},
        "cores": cpu_busy_jiffies(),
    }


async def main_async(args: Any) -> None:
    n = args.calls
    streams: list[MediaStream | None] = [None] * n
    t0 = clock() + 0.2
    # Calls start spread over `stagger` seconds; the window opens once every call is streaming.
    window = (t0 + args.stagger + args.warmup, t0 + args.seconds - 0.5)
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    async with httpx.AsyncClient(trust_env=False, timeout=30, limits=limits) as http:
        pids = {"app": args.app_pid, "fake": args.fake_pid, "load": os.getpid()}
        at_start = asyncio.create_task(sample(pids, window[0]))
        at_end = asyncio.create_task(sample(pids, window[1]))
        calls = await asyncio.gather(
            *(one_call(i, args, http, t0 + args.stagger * i / n, streams) for i in range(n))
        )
        first, last = await at_start, await at_end
        await asyncio.sleep(args.settle)  # the last replies finish playing
        results = []
        for call, stream in zip(calls, streams, strict=True):
            assert stream is not None
            results.append(
                {
                    **call,
                    "stream_started_at": stream.stream_started_at,
                    "first_media_at": stream.first_media_at,
                    "sent": [t for _, t in stream.sent_frames],
                    "received": [t for _, t in stream.received_frames],
                    "received_bytes": stream.received_bytes,
                    "protocol_errors": stream.protocol_errors,
                    "closed_early": stream.closed,
                }
            )
        await asyncio.gather(*(s.stop() for s in streams if s is not None))
    wall = last["t"] - first["t"]
    out = {
        "window": [first["t"], last["t"]],
        "cpu_seconds": {name: last["cpu"][name] - first["cpu"][name] for name in pids},
        "syscalls": {name: last["syscalls"][name] - first["syscalls"][name] for name in pids},
        "core_busy_pct": {str(k): v for k, v in cpu_busy_percent(first["cores"], last["cores"]).items()},
        "wall": wall,
        "calls": results,
    }
    with open(args.out, "wb") as f:
        f.write(orjson.dumps(out))
    print(f"RESULTS={args.out}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    # The harness must not add pauses of its own to what it measures: no garbage collection during a
    # run that lasts seconds (a full collection here showed up as a 57 ms "bridge" latency).
    gc.disable()
    parser = argparse.ArgumentParser(prog="python -m bench._bridge_load")
    parser.add_argument("--app", required=True)
    parser.add_argument("--app-pid", type=int, required=True)
    parser.add_argument("--fake-pid", type=int, required=True)
    parser.add_argument("--public", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--number", required=True)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--stagger", type=float, default=1.0)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--settle", type=float, default=1.5)
    parser.add_argument("--out", required=True)
    run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
