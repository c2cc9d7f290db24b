"""Emergency detection over the labelled evaluation set: recall and precision per category, overall
accuracy, and detect() latency per line. Prints numbers only; `python bench/bench_detection.py`."""

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The same evaluation set and org keywords as the tests, so the two always agree.
from app.safety.detection import Category, Detector
from tests.safety.test_detection import (
    ORG_EMERGENCY_KEYWORDS,
    ORG_HIGH_PRIORITY_KEYWORDS,
    load_eval,
)

PASSES = 20


def main() -> None:
    rows = load_eval()
    started = time.perf_counter()
    detector = Detector(ORG_EMERGENCY_KEYWORDS, ORG_HIGH_PRIORITY_KEYWORDS)
    build_ms = (time.perf_counter() - started) * 1000
    predicted = [detector.detect(row["text"]).category.value for row in rows]
    expected = [row["expected"] for row in rows]

    print(f"eval lines: {len(rows)}  ({dict(Counter(r['lang'] for r in rows))})")
    print(f"{'category':<15}{'support':>8}{'TP':>6}{'FP':>6}{'FN':>6}{'recall':>9}{'precision':>11}")
    for category in Category:
        c = category.value
        tp = sum(p == c and e == c for p, e in zip(predicted, expected, strict=True))
        fp = sum(p == c and e != c for p, e in zip(predicted, expected, strict=True))
        fn = sum(p != c and e == c for p, e in zip(predicted, expected, strict=True))
        support = tp + fn
        recall = tp / support if support else float("nan")
        precision = tp / (tp + fp) if tp + fp else float("nan")
        print(f"{c:<15}{support:>8}{tp:>6}{fp:>6}{fn:>6}{recall:>9.3f}{precision:>11.3f}")
    correct = sum(p == e for p, e in zip(predicted, expected, strict=True))
    print(f"overall accuracy: {correct / len(rows):.4f} ({correct}/{len(rows)})")
    for lang in sorted({r["lang"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        lang_accuracy = sum(predicted[i] == expected[i] for i in idx) / len(idx)
        print(f"accuracy [{lang}]: {lang_accuracy:.4f} ({len(idx)} lines)")

    timings: list[float] = []
    for _ in range(PASSES):
        for row in rows:
            t0 = time.perf_counter_ns()
            detector.detect(row["text"])
            timings.append((time.perf_counter_ns() - t0) / 1000)
    timings.sort()
    words = statistics.mean(len(r["text"].split()) for r in rows)
    print(f"detect() latency over {PASSES} passes x {len(rows)} lines (mean {words:.1f} words/line):")
    p99 = timings[int(len(timings) * 0.99)]
    print(f"  median {statistics.median(timings):.1f} us, p99 {p99:.1f} us, max {timings[-1]:.1f} us")
    line = (
        "hi um yes I'm calling because my husband has been having some pain in his chest"
        " since early this morning"
    )
    samples = []
    for _ in range(2000):
        t0 = time.perf_counter_ns()
        detector.detect(line)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    p99 = samples[int(len(samples) * 0.99)]
    print(f"  {len(line.split())}-word line: median {statistics.median(samples):.1f} us, p99 {p99:.1f} us")
    print(f"detector build (compile, uncached): {build_ms:.1f} ms")


if __name__ == "__main__":
    main()
