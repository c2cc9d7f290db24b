"""The shipped classifier: model.json is exactly what a rebuild from the tuning files gives, it loads
without any ML library, and it scores deterministically."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.safety.detect import model, train
from app.safety.detect.text import fold


def test_shipped_model_equals_a_fresh_build() -> None:
    pytest.importorskip("sklearn", reason="scikit-learn (requirements-dev.txt) builds the model")
    shipped = model.MODEL_PATH.read_text(encoding="utf-8")
    assert train.build() == shipped, "model.json is stale: run python -m app.safety.detect.train --build"


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
