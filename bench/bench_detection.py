"""Emergency detection over labelled caller lines: recall and precision per category and per language
group (en, es, other languages, mix), routine lines flagged, and detect() latency per line on one core.

`python -m bench.bench_detection [--data PATH ...]`: PATH is a .jsonl file or a directory of them
(labels emergency / high_priority / human_request / routine or none, optional `lang`). Without
--data it scores the tuning split: tests/safety/detection_eval.jsonl and detection_train.jsonl, and the
eight blind batches promoted to tuning data once scored (tests/safety/tuning_batch1/ to 8/).
The model is trained on all of these, so these figures are in-sample; the honest ones are batch-out
(`python -m app.safety.detect.train --batch-out`) and the current blind batch, scored once by the lead.
Prints numbers only and never fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.safety.detection import Category, Detector
from tests.safety.test_detection import ORG_EMERGENCY_KEYWORDS, ORG_HIGH_PRIORITY_KEYWORDS

ROOT = Path(__file__).resolve().parents[1]
TUNING = (
    ROOT / "tests/safety/detection_eval.jsonl",
    ROOT / "tests/safety/detection_train.jsonl",
    ROOT / "tests/safety/tuning_batch1",
    ROOT / "tests/safety/tuning_batch2",
    ROOT / "tests/safety/tuning_batch3",
    ROOT / "tests/safety/tuning_batch4",
    ROOT / "tests/safety/tuning_batch5",
    ROOT / "tests/safety/tuning_batch6",
    ROOT / "tests/safety/tuning_batch7",
    ROOT / "tests/safety/tuning_batch8",
)
CATEGORIES = ("emergency", "high_priority", "human_request")
GROUPS = ("all", "en", "es", "other", "mix")
QUICK = os.environ.get("BENCH_QUICK") == "1"


def load(paths: Sequence[Path]) -> list[dict[str, Any]]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    rows: list[dict[str, Any]] = []
    for file in files:
        with file.open(encoding="utf-8") as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return rows


def label(row: dict[str, Any]) -> str:
    value = str(row.get("expected") or row.get("label"))
    return "none" if value == "routine" else value


def group(row: dict[str, Any]) -> str:
    lang = str(row.get("lang") or "en").lower()
    if lang in ("en", "es"):
        return lang
    return "mix" if lang in ("mix", "code_switch", "codeswitch") or "+" in lang or "/" in lang else "other"


def hit(expected: str, got: str) -> bool:
    # A high-priority line that escalates is over-served, not missed.
    return got == expected or (expected == "high_priority" and got == "emergency")


def score(rows: list[dict[str, Any]], predicted: list[str]) -> None:
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_group["all"].append(i)
        by_group[group(row)].append(i)
    print(f"{'group':<7}{'category':<15}{'support':>8}{'hit':>6}{'recall':>8}{'flagged':>9}{'precision':>11}")
    for name in GROUPS:
        idx = by_group.get(name)
        if not idx:
            continue
        for c in CATEGORIES:
            support = [i for i in idx if label(rows[i]) == c]
            hits = sum(hit(c, predicted[i]) for i in support)
            flagged = [i for i in idx if predicted[i] == c]
            correct = sum(label(rows[i]) == c for i in flagged)
            recall = f"{hits / len(support):.3f}" if support else "-"
            precision = f"{correct / len(flagged):.3f}" if flagged else "-"
            print(f"{name:<7}{c:<15}{len(support):>8}{hits:>6}{recall:>8}{len(flagged):>9}{precision:>11}")
        routine = [i for i in idx if label(rows[i]) == "none"]
        flagged_any = sum(predicted[i] != "none" for i in routine)
        escalated = sum(predicted[i] in ("emergency", "human_request") for i in routine)
        if routine:
            print(
                f"{name:<7}{'routine':<15}{len(routine):>8}  flagged {flagged_any / len(routine):.3f}"
                f" ({flagged_any}), escalated {escalated / len(routine):.3f} ({escalated})"
            )
    langs = Counter(str(r.get("lang") or "?") for r in rows)
    cells = []
    for lang in sorted(langs):
        idx = [i for i, r in enumerate(rows) if r.get("lang") == lang and label(r) == "emergency"]
        cells.append(f"{lang} {sum(hit('emergency', predicted[i]) for i in idx)}/{len(idx)}")
    print("emergency recall per language: " + ", ".join(cells))


def timings(detector: Detector, rows: list[dict[str, Any]]) -> None:
    # One core, as the target says: p99 <= 1 ms per line. Wall time includes being preempted on a
    # shared machine; this thread's CPU time does not, so both are printed.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    passes = 2 if QUICK else 10
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(passes):
        for row in rows:
            c0 = time.thread_time_ns()
            t0 = time.perf_counter_ns()
            detector.detect(row["text"])
            wall.append((time.perf_counter_ns() - t0) / 1000)
            cpu.append((time.thread_time_ns() - c0) / 1000)
    for name, samples in (("wall", wall), ("cpu", cpu)):
        samples.sort()
        p99 = samples[int(len(samples) * 0.99)]
        print(
            f"detect() {name} time over {passes} passes x {len(rows)} lines: median"
            f" {statistics.median(samples):.1f} us, p99 {p99:.1f} us, max {samples[-1]:.1f} us"
        )
    print(f"load average while measuring: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_detection")
    parser.add_argument("--data", action="append", type=Path, help="a .jsonl file or a directory of them")
    args = parser.parse_args(argv)
    paths = args.data or list(TUNING)
    rows = load(paths)
    print(f"data: {', '.join(str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p) for p in paths)}")
    print(f"lines: {len(rows)}  labels {dict(Counter(label(r) for r in rows))}")
    started = time.perf_counter()
    detector = Detector(ORG_EMERGENCY_KEYWORDS, ORG_HIGH_PRIORITY_KEYWORDS)
    build_ms = (time.perf_counter() - started) * 1000
    print(f"detector build (trie compile; model and lexicon load at import): {build_ms:.1f} ms")
    predicted = [detector.detect(row["text"]).category.value for row in rows]
    assert {p for p in predicted} <= {c.value for c in Category}
    score(rows, predicted)
    timings(detector, rows)


if __name__ == "__main__":
    main()
