"""The shipped classifier: model.json is exactly what a rebuild from the tuning files gives, it loads
without any ML library, and it scores deterministically."""

import json

import pytest

from app.safety.detect import model, train
from app.safety.detect.text import fold


def test_shipped_model_equals_a_fresh_build() -> None:
    pytest.importorskip("sklearn", reason="scikit-learn (requirements-dev.txt) builds the model")
    shipped = model.MODEL_PATH.read_text(encoding="utf-8")
    assert train.build() == shipped, "model.json is stale: run python -m app.safety.detect.train --build"


def test_model_trains_on_both_tuning_files_and_never_on_heldout() -> None:
    data = json.loads(model.MODEL_PATH.read_text(encoding="utf-8"))
    assert data["trained_on"] == len(train.load_rows())
    assert all("heldout" not in str(path) for path in train.TRAINING_FILES)


def test_model_scores_are_probabilities_and_deterministic() -> None:
    shipped = model.load()
    text = fold("ông tôi ngưng thở rồi cứu với")
    first, second = shipped.scores(text), shipped.scores(text)
    assert first == second
    total = first.emergency + first.high_priority + first.human_request + first.none
    assert total == pytest.approx(1.0)


def test_model_never_confident_on_empty_line() -> None:
    assert model.load().predict("")[0] == "none"
