"""Redaction cost per transcript turn: p50/p99 of `redact()` on typical 10-30 word turns, with and
without caller data, against the 0.2 ms p99 budget (issue 11). `python -m bench.bench_redact [--quick]`.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.privacy.redact import find_pii, redact
from bench._support import ms, p50, p99, parse_args, print_table, verdict

BUDGET_MS = 0.2

PLAIN = [
    "Hi, I'm calling because my tooth has been hurting since last night and I can't sleep.",
    "Yes, I'd like to book a cleaning for next Tuesday afternoon if you have anything open.",
    "It's the upstairs bathroom, water keeps dripping from the ceiling light, it started an hour ago.",
    "Okay, can you tell me how much the visit costs? Last time it was $120.",
    "I live at 1234 Oak Street, apartment 5, the buzzer is broken so please call up.",
    "Can I come in on March 5th at 10:30, or maybe the week after that?",
    "No, I don't have insurance right now, I switched jobs two months ago.",
    "Sure, that works for me, thank you so much for your help today, have a good one.",
    "My daughter is seven and she has a fever of a hundred and two since this morning.",
    "We have two units in the building and both of them lost heat around five o'clock.",
]
PII = [
    "You can reach me at five five five one two three four, that's my cell, any time after noon.",
    "My number is (415) 555-0123 and my email is jane.doe@example.com if that is easier for you.",
    "It's john at gmail dot com, j o h n, and my date of birth is March 5th, 1985.",
    "The card is four one one one one one one one one one one one one one one one, expiring soon.",
    "My social is 123-45-6789, do you need the insurance member number as well?",
    "Call me back on +44 20 7946 0958, I'm in London this week but I can talk in the evening.",
    "I was born on the fifth of march nineteen eighty five, and my phone is 212 555 0199.",
    "Sure, my card number is 4111 1111 1111 1111 and the billing zip is 60614.",
]


def measure(lines: Sequence[str], rounds: int) -> tuple[list[float], list[float]]:
    """Wall and thread-CPU milliseconds per call; CPU time leaves out preemption by other processes."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for line in lines:
            started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
            redact(line)
            cpu.append((time.thread_time_ns() - started_cpu) / 1e6)
            wall.append((time.perf_counter_ns() - started) / 1e6)
    return wall, cpu


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__.splitlines()[0], argv)
    rounds = 200 if args.quick else 3000
    measure(PLAIN + PII, 50)  # warm the regex caches and phonenumbers' metadata
    gc.collect()
    gc.freeze()
    rows = []
    worst = 0.0
    for name, lines in (
        ("no caller data", PLAIN),
        ("with caller data", PII),
        ("mixed 80/20", PLAIN * 4 + PII),
    ):
        wall, cpu = measure(lines, rounds)
        worst = max(worst, p99(cpu))
        rows.append([name, len(wall), ms(p50(wall), 4), ms(p99(wall), 4), ms(p50(cpu), 4), ms(p99(cpu), 4)])
    print_table(
        ["turns", "samples", "wall p50 ms", "wall p99 ms", "cpu p50 ms", "cpu p99 ms"],
        rows,
        title=f"redact() per turn (load average {Path('/proc/loadavg').read_text().split()[0]})",
    )
    words = [len(line.split()) for line in PLAIN + PII]
    print(f"  turn length: {min(words)}-{max(words)} words")
    found = sum(1 for line in PII if find_pii(line))
    print(f"  caller-data turns with a finding: {found}/{len(PII)}; plain turns changed: "
          f"{sum(1 for line in PLAIN if redact(line) != line)}/{len(PLAIN)}")  # fmt: skip
    print(
        f"  p99 budget {BUDGET_MS} ms (CPU time): {verdict(worst < BUDGET_MS)} (worst p99 {ms(worst, 4)} ms)"
    )


if __name__ == "__main__":
    main()
