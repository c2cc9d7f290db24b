"""Run every benchmark in sequence, each in its own process: `python -m bench [--only NAME] [--quick]`.

--quick sets BENCH_QUICK=1, which every bench reads to scale its sizes down (a smoke run). Benchmarks
print numbers and never fail on them; the exit status is non-zero only if a bench crashed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench._support import ROOT, bench_lock, machine_facts, run

# Known benches first, in this order; any other bench/bench_*.py runs after them.
ORDER = ("detection", "mint", "persist", "list_calls", "bridge", "webhooks", "events", "redact", "retention")


def available() -> list[str]:
    found = {path.stem.removeprefix("bench_") for path in Path(__file__).parent.glob("bench_*.py")}
    return [*ORDER, *sorted(found - set(ORDER))]


def main(argv: Sequence[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only this bench (repeatable): {', '.join(names)}",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for smoke runs")
    args = parser.parse_args(argv)
    selected = names
    if args.only:
        wanted = [name.removeprefix("bench_").removeprefix("bench.bench_") for name in args.only]
        unknown = [name for name in wanted if name not in names]
        if unknown:
            parser.error(f"unknown bench {', '.join(unknown)}; choose from {', '.join(names)}")
        selected = wanted

    # Held for the whole sequence (each bench inherits it), so no other run interleaves with this one.
    with bench_lock():
        return _run_all(selected, quick=args.quick)


def _run_all(selected: Sequence[str], *, quick: bool) -> int:
    print("machine:")
    for fact in run(machine_facts()):
        print(f"  {fact}")
    print(f"mode: {'quick (BENCH_QUICK=1)' if quick else 'full'}", flush=True)
    env = {**os.environ, **({"BENCH_QUICK": "1"} if quick else {})}
    failed: list[str] = []
    summary: list[str] = []
    for name in selected:
        module = f"bench.bench_{name}"
        print(f"\n=== {module} ===", flush=True)
        # Only looked up, never imported here: a bench someone is still writing must not break the run.
        if importlib.util.find_spec(module) is None:
            print(f"skipped: {module} does not exist yet")
            summary.append(f"{name}: skipped (missing)")
            continue
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", module], cwd=ROOT, env=env)
        elapsed = time.perf_counter() - started
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        if code != 0:
            failed.append(name)
        print(f"--- {module}: {status} in {elapsed:.1f} s", flush=True)
        summary.append(f"{name}: {status}, {elapsed:.1f} s")
    print("\nsummary: " + "; ".join(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
