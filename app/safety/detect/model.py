"""The shipped n-gram classifier: a multinomial logistic regression over `features()`, trained from the
labelled lines in the repository by `python -m app.safety.detect.train --build` and stored as
model.json beside this file. Detection only reads that file (at import) and does a sparse dot product,
so the service needs no ML library and nothing is downloaded at run time."""

from __future__ import annotations

import json
import math
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
    __slots__ = ("_intercept", "_thresholds", "_weights")

    def __init__(self, data: dict[str, object]) -> None:
        self._intercept: list[float] = list(data["intercept"])  # type: ignore[call-overload]
        self._weights: dict[str, list[float]] = data["weights"]  # type: ignore[assignment]
        self._thresholds: dict[str, float] = data["thresholds"]  # type: ignore[assignment]

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self._thresholds)

    def scores(self, folded: str) -> Scores:
        found = features(folded)
        totals = [0.0, 0.0, 0.0, 0.0]
        weights = self._weights
        known: list[tuple[str, list[float]]] = []
        for feature in found:
            w = weights.get(feature)
            if w is not None:
                known.append((feature, w))
                totals[0] += w[0]
                totals[1] += w[1]
                totals[2] += w[2]
                totals[3] += w[3]
        scale = 1.0 / math.sqrt(len(found)) if found else 0.0
        logits = [b + t * scale for b, t in zip(self._intercept, totals, strict=True)]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        probs = [e / total for e in exps]
        best = max(range(4), key=probs.__getitem__)
        evidence = None
        if best != 3:
            word_features = [
                (f, w) for f, w in known if f.startswith("~") and " " not in f and f[1:] not in _COMMON
            ]
            if word_features:
                evidence = max(word_features, key=lambda fw: fw[1][best] - fw[1][3])[0][1:]
        return Scores(probs[0], probs[1], probs[2], probs[3], evidence)

    def predict(self, folded: str) -> tuple[str, float, str | None]:
        """The category the model is confident about (or "none"), its probability and evidence."""
        s = self.scores(folded)
        t = self._thresholds
        for name, p in (
            ("emergency", s.emergency),
            ("human_request", s.human_request),
            ("high_priority", s.high_priority),
        ):
            if p >= t[name]:
                return name, p, s.evidence
        return "none", s.none, None


def load(path: Path = MODEL_PATH) -> Model:
    with path.open(encoding="utf-8") as f:
        return Model(json.load(f))
