"""What metrics cost the phone relay per frame: the pumps' own CPU work per frame (slice a Twilio frame,
build the Realtime append; slice a delta, build the Twilio media and mark) with the relay histogram on and
off, in one process and in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, values in mmap files).

The network sends are left out on purpose: they cost the same either way, so leaving them out makes
the ratio an upper bound on what metrics add to the relay's CPU.

`python -m bench --only metrics [--quick]` (or `python -m bench.bench_metrics`)
"""

from __future__ import annotations

import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # `python bench/bench_metrics.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
BRIDGE_US_PER_CALL_SECOND = 4100.0
QUICK = bool(os.environ.get("BENCH_QUICK"))
FRAMES = 20_000 if QUICK else 100_000
REPEATS = 3 if QUICK else 5

CHILD = """
import sys
from bench.bench_metrics import measure
print(repr(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
"""


def measure(mode: str, frames: int, repeats: int) -> tuple[float, float]:
    """Median ns per frame (inbound, outbound) of the pumps' CPU work. `mode`: "bare" is the pumps without
    the timing lines (before issue 12), "off" with them and METRICS_ENABLED=false, "on" with metrics on."""
    from app import metrics
    from app.realtime import events
    from app.settings import MetricsSettings
    from app.telephony import protocol

    metrics.configure(MetricsSettings(enabled=mode == "on"))
    payload = base64.b64encode(b"\xff" * 160).decode()  # one 20 ms mu-law frame
    twilio_frame = (
        '{"event":"media","sequenceNumber":"4","media":{"track":"inbound","chunk":"2",'
        f'"timestamp":"5","payload":"{payload}"}},"streamSid":"MZ00000000000000000000000000000000"}}'
    )
    delta = '{"type":"response.output_audio.delta","event_id":"e","response_id":"r","item_id":"item_1",'
    delta += f'"output_index":0,"content_index":0,"delta":"{payload}"}}'
    sid = "MZ00000000000000000000000000000000"
    timed = mode != "bare"
    clock = time.perf_counter
    inbound, outbound = [], []
    sink: list[str] = []
    for _ in range(repeats):
        relayed = metrics.relay_timer("inbound")
        started = time.perf_counter_ns()
        if timed:
            for _ in range(frames):
                received = clock()
                found = protocol.inbound_payload(twilio_frame)
                if found is not None:
                    sink.append(events.append_audio(found))
                    relayed(clock() - received)
                sink.clear()
        else:
            for _ in range(frames):
                found = protocol.inbound_payload(twilio_frame)
                if found is not None:
                    sink.append(events.append_audio(found))
                sink.clear()
        inbound.append((time.perf_counter_ns() - started) / frames)

        relayed = metrics.relay_timer("outbound")
        heard = False
        started_at = datetime.now(UTC)
        started = time.perf_counter_ns()
        if timed:
            for _ in range(frames):
                received = clock()
                hit = events.audio_delta(delta)
                if hit is not None:
                    size = events.base64_size(hit[1])
                    sink.append(protocol.media(sid, hit[1]))
                    relayed(clock() - received)
                    heard = heard or metrics.first_agent_audio(started_at)
                    sink.append(protocol.mark(sid, f"{hit[0]}:{size}"))
                sink.clear()
        else:
            for _ in range(frames):
                hit = events.audio_delta(delta)
                if hit is not None:
                    size = events.base64_size(hit[1])
                    sink.append(protocol.media(sid, hit[1]))
                    sink.append(protocol.mark(sid, f"{hit[0]}:{size}"))
                sink.clear()
        outbound.append((time.perf_counter_ns() - started) / frames)
    return statistics.median(inbound), statistics.median(outbound)


def _child(mode: str, multiproc_dir: str | None) -> tuple[float, float]:
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    if multiproc_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(FRAMES), str(REPEATS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    inbound, outbound = eval(done.stdout.strip())  # our own child's repr of two floats
    return float(inbound), float(outbound)


def main() -> None:
    print(f"frames per repeat: {FRAMES}, repeats: {REPEATS}, 3 alternated runs (median ns per frame)")
    print("  mode           pumps  inbound ns  outbound ns")
    results: dict[tuple[str, str], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        for label, multiproc in (("one process", None), ("multiprocess", directory)):
            runs: dict[str, list[tuple[float, float]]] = {"bare": [], "off": [], "on": []}
            for _ in range(3):  # alternated, so drift on a shared machine hits every mode
                for mode in runs:
                    runs[mode].append(_child(mode, multiproc))
            for mode, found in runs.items():
                inbound = statistics.median(run[0] for run in found)
                outbound = statistics.median(run[1] for run in found)
                results[label, mode] = (inbound, outbound)
                print(f"  {label:<14} {mode:<5} {inbound:>10.0f}  {outbound:>11.0f}")
    # A call relays ~50 frames/s each way; bench_bridge measured the whole bridge at 0.41 % of a core per
    # call at 100 calls (README, 2026-11-22): ~4,100 us of CPU per call-second, sends included.
    print("added per call-second (50 frames each way) against bare pumps, as a share of the bridge CPU:")
    for label in ("one process", "multiprocess"):
        bare = results[label, "bare"]
        for mode in ("off", "on"):
            pumps = results[label, mode]
            added_us = ((pumps[0] - bare[0]) + (pumps[1] - bare[1])) * 50 / 1000
            share = added_us / BRIDGE_US_PER_CALL_SECOND * 100
            ratio = (pumps[0] + pumps[1]) / (bare[0] + bare[1])
            verdict = "ok" if share <= 5 else "over"
            print(
                f"  {label:<13} metrics {mode:<3} +{added_us:5.1f} us = {share:4.1f} % of the bridge CPU "
                f"({verdict}; pumps alone x{ratio:.3f})"
            )


if __name__ == "__main__":
    main()
