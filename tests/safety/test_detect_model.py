"""The shipped classifier: model.json is what a rebuild from the tuning files gives (up to the drift
between CPUs), it loads without any ML library, and it scores deterministically."""

import copy
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from app.safety.detect import model, train
from app.safety.detect.text import fold

# A rebuild on another CPU is not bit-equal: OpenBLAS and numpy pick kernels by CPU, so lbfgs takes a
# slightly different path (seen: weights up to 0.014 apart, 150 of 202,000 features on the other side
# of the pruning bar, every training verdict the same, probabilities within 0.006). These bounds are
# far below what a stale model.json shows (new tuning rows, a feature change) and far above that drift.
WEIGHT_DRIFT = 0.05
PROBABILITY_DRIFT = 0.02


def staleness(fresh: dict[str, Any], shipped: dict[str, Any], rows: Sequence[dict[str, Any]]) -> str | None:
    """Why `shipped` is not `fresh` up to CPU drift, in one short line (pytest's own diff of two 10 MB
    strings once ran past CI's time limit); None when it is."""
    from app.safety.detection import training_view

    for key in ("version", "classes", "thresholds", "trained_on"):
        if fresh[key] != shipped[key]:
            return f"{key} differs"
    intercepts = max(abs(a - b) for a, b in zip(fresh["intercept"], shipped["intercept"], strict=True))
    if intercepts > WEIGHT_DRIFT:
        return f"an intercept moved {intercepts:.3f}"
    ours, theirs = shipped["weights"], fresh["weights"]
    # A feature kept by one build only must sit at the pruning bar in the other.
    edge = train.PRUNE_BELOW + WEIGHT_DRIFT
    one_sided = sorted(
        f for f in ours.keys() ^ theirs.keys() if max(map(abs, ours.get(f) or theirs[f])) > edge
    )
    if one_sided:
        return f"{len(one_sided)} features kept by one build only, e.g. {one_sided[0]!r}"
    pairs = (zip(ours[f], theirs[f], strict=True) for f in ours.keys() & theirs.keys())
    moved = max((abs(a - b) for pair in pairs for a, b in pair), default=0.0)
    if moved > WEIGHT_DRIFT:
        return f"a weight moved {moved:.3f}"
    rebuilt, current = model.Model(fresh), model.Model(shipped)
    worst = 0.0
    for row in rows:
        view = training_view(str(row["text"]))
        a, b = rebuilt.scores(*view), current.scores(*view)
        worst = max(
            worst,
            abs(a.emergency - b.emergency),
            abs(a.high_priority - b.high_priority),
            abs(a.human_request - b.human_request),
            abs(a.none - b.none),
        )
    if worst > PROBABILITY_DRIFT:
        return f"a training line's probability moved {worst:.3f}"
    return None


def test_shipped_model_is_what_a_fresh_build_gives_up_to_cpu_drift() -> None:
    pytest.importorskip("sklearn", reason="scikit-learn (requirements-dev.txt) builds the model")
    shipped = json.loads(model.MODEL_PATH.read_text(encoding="utf-8"))
    why = staleness(json.loads(train.build()), shipped, train.load_rows())
    assert why is None, f"model.json is stale ({why}): run python -m app.safety.detect.train --build"


def test_staleness_sees_a_stale_model_and_lets_drift_pass() -> None:
    shipped = json.loads(model.MODEL_PATH.read_text(encoding="utf-8"))
    rows = train.load_rows()[::50]
    assert staleness(shipped, copy.deepcopy(shipped), rows) is None
    drifted = copy.deepcopy(shipped)
    for column in list(drifted["weights"].values())[::7]:
        column[0] += 0.01
    assert staleness(drifted, shipped, rows) is None
    more_rows = {**copy.deepcopy(shipped), "trained_on": shipped["trained_on"] + 40}
    assert staleness(more_rows, shipped, rows) == "trained_on differs"
    feature, column = max(shipped["weights"].items(), key=lambda item: max(map(abs, item[1])))
    moved = copy.deepcopy(shipped)
    moved["weights"][feature] = [w + 0.2 for w in column]
    assert staleness(moved, shipped, rows) == "a weight moved 0.200"
    lost = copy.deepcopy(shipped)
    del lost["weights"][feature]
    assert staleness(lost, shipped, rows) == f"1 features kept by one build only, e.g. {feature!r}"
    pushed = copy.deepcopy(shipped)
    for column in pushed["weights"].values():
        column[0] += 0.045  # each within the weight bound, but together they move every line's odds
    assert (staleness(pushed, shipped, rows) or "").startswith("a training line's probability moved")


def test_model_trains_on_every_tuning_file() -> None:
    data = json.loads(model.MODEL_PATH.read_text(encoding="utf-8"))
    assert data["trained_on"] == len(train.load_rows())
    safety = Path(train.__file__).resolve().parents[3] / "tests" / "safety"
    expected = {
        "detection_eval.jsonl",
        "detection_train.jsonl",
        "tuning_batch1",
        "tuning_batch2",
        "tuning_batch3",
        "tuning_batch4",
        "tuning_batch5",
        "tuning_batch6",
        "tuning_batch7",
        "tuning_batch8",
    }
    assert set(train.BATCHES) == {
        "batch1",
        "batch2",
        "batch3",
        "batch4",
        "batch5",
        "batch6",
        "batch7",
        "batch8",
    }
    assert {path.relative_to(safety).parts[0] for path in train.TRAINING_FILES} == expected


def test_model_never_trains_on_the_blind_batch() -> None:
    # tests/safety/heldout9 was written blind and scored once (README); until it is promoted, no
    # path under it, or with "heldout" anywhere in it, may feed the model or its batch-out folds.
    root = Path(train.__file__).resolve().parents[3]
    blind = [root / "tests" / "safety" / "heldout9"]
    paths = [*train.TRAINING_FILES, *(p for files in train.BATCHES.values() for p in files)]
    for path in paths:
        assert not any(path.resolve().is_relative_to(b) for b in blind), path
        assert "heldout" not in str(path.resolve().relative_to(root)), path


def test_model_scores_are_probabilities_and_deterministic() -> None:
    shipped = model.load()
    text = fold("ông tôi ngưng thở rồi cứu với")
    first, second = shipped.scores(text), shipped.scores(text)
    assert first == second
    total = first.emergency + first.high_priority + first.human_request + first.none
    assert total == pytest.approx(1.0)


def test_model_never_confident_on_empty_line() -> None:
    assert model.load().predict("")[0] == "none"


def test_model_trains_on_exactly_the_files_the_tuning_tests_score() -> None:
    from tests.safety.test_detection import EVAL_PATH, PROMOTED_PATHS, TRAIN_PATH

    assert set(train.TRAINING_FILES) == {EVAL_PATH, TRAIN_PATH, *PROMOTED_PATHS}


_TIE = """
from app.safety.detect.model import Model
weights = {"~zebra": [2.0, 0.0, 0.0, 0.0], "~apple": [2.0, 0.0, 0.0, 0.0], "~mango": [1.0, 0.0, 0.0, 0.0]}
model = Model({"intercept": [0.0, 0.0, 0.0, 0.0], "weights": weights, "thresholds": {}})
print(model.scores("zebra mango apple").evidence)
"""


def test_evidence_of_a_tie_never_depends_on_the_hash_seed() -> None:
    # Two words that push alike: the first alphabetically, in every process (it used to follow set order).
    root = Path(train.__file__).resolve().parents[3]
    seen = {
        subprocess.run(
            [sys.executable, "-c", _TIE],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(8)
    }
    assert seen == {"apple"}
