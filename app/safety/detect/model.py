"""The shipped n-gram classifier: a multinomial logistic regression over `features()`, trained from the
labelled lines in the repository by `python -m app.safety.detect.train --build` and stored as
model.json beside this file. Detection only reads that file (at import) and does a sparse dot product,
so the service needs no ML library and nothing is downloaded at run time."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.safety.detect.features import features
from app.safety.detect.langid import STOPWORDS as _COMMON

MODEL_PATH = Path(__file__).with_name("model.json")
CLASSES = ("emergency", "high_priority", "human_request", "none")


@dataclass(frozen=True, slots=True)
class Scores:
    """Class probabilities for one line, and the word that pushed hardest toward the top class."""

    emergency: float
    high_priority: float
    human_request: float
    none: float
    evidence: str | None


class Model:
    __slots__ = ("_evidence_words", "_intercept", "_thresholds", "_weights")

    def __init__(self, data: dict[str, object]) -> None:
        self._intercept: list[float] = list(data["intercept"])  # type: ignore[call-overload]
        # Tuples of floats, not lists: the collector stops tracking them, so a full collection does
        # not walk ~100k weight rows in the middle of a call (a 60 ms pause with lists).
        weights: dict[str, list[float]] = data["weights"]  # type: ignore[assignment]
        self._weights: dict[str, tuple[float, ...]] = {f: tuple(w) for f, w in weights.items()}
        self._thresholds: dict[str, float] = data["thresholds"]  # type: ignore[assignment]
        # The features that can be shown as evidence: single words (negated ones too), never a stopword.
        self._evidence_words = frozenset(
            f for f in self._weights if f.startswith("~") and " " not in f and f[1:] not in _COMMON
        )

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self._thresholds)

    def scores(self, folded: str, signals: Iterable[str] = ()) -> Scores:
        found = features(folded, signals)
        probs = self._probs(found)
        best = max(range(4), key=probs.__getitem__)
        evidence = self._evidence(found, best) if best != 3 else None
        return Scores(probs[0], probs[1], probs[2], probs[3], evidence)

    def predict(self, folded: str, signals: Iterable[str] = ()) -> tuple[str, float, str | None]:
        """The category the model is confident about (or "none"), its probability and evidence."""
        found = features(folded, signals)
        probs = self._probs(found)
        t = self._thresholds
        # Evidence is looked for only when a verdict is given: most lines get none.
        for name, index in (("emergency", 0), ("human_request", 2), ("high_priority", 1)):
            if probs[index] >= t[name]:
                best = max(range(4), key=probs.__getitem__)
                return name, probs[index], self._evidence(found, best) if best != 3 else None
        return "none", probs[3], None

    def _probs(self, found: set[str]) -> list[float]:
        # map() and zip() keep the per-feature loop in C: this runs on most caller lines.
        rows = [w for w in map(self._weights.get, found) if w is not None]
        totals = [sum(column) for column in zip(*rows, strict=True)] if rows else [0.0, 0.0, 0.0, 0.0]
        scale = 1.0 / math.sqrt(len(found)) if found else 0.0
        logits = [b + t * scale for b, t in zip(self._intercept, totals, strict=True)]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        return [e / total for e in exps]

    def _evidence(self, found: set[str], best: int) -> str | None:
        """The word that pushed hardest toward class `best` (never a stopword); of two that pushed
        alike, the one first in alphabetical order, so the answer never depends on set order."""
        weights = self._weights
        candidates = [(weights[f][best] - weights[f][3], f) for f in self._evidence_words.intersection(found)]
        if not candidates:
            return None
        return min(candidates, key=lambda pf: (-pf[0], pf[1]))[1][1:]


def load(path: Path = MODEL_PATH) -> Model:
    with path.open(encoding="utf-8") as f:
        return Model(json.load(f))
