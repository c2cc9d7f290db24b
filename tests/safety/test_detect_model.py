"""The shipped classifier: model.json is exactly what a rebuild from the tuning files gives, it loads
without any ML library, and it scores deterministically."""

import json
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
    }
    assert set(train.BATCHES) == {"batch1", "batch2", "batch3", "batch4", "batch5", "batch6"}
    assert {path.relative_to(safety).parts[0] for path in train.TRAINING_FILES} == expected


def test_model_never_trains_on_the_blind_batch() -> None:
    # tests/safety/heldout7 was written blind and scored once (README); until it is promoted, no
    # path under it, or with "heldout" anywhere in it, may feed the model or its batch-out folds.
    root = Path(train.__file__).resolve().parents[3]
    blind = [root / "tests" / "safety" / "heldout7"]
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
