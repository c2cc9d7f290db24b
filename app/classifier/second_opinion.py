"""Run the second opinion beside the local detector: wait a short budget, finish the rest in background.

It can only raise: a verdict is applied when it ranks above what the local detector said for that line
and is confident enough. Late verdicts are applied when they arrive; the audio path never waits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from app.classifier.client import ClassifierFailed, LineClassifier, Verdict

log = logging.getLogger("callintake.classifier")

RANK = {"routine": 0, "none": 0, "high_priority": 1, "human_request": 2, "emergency": 3}

Apply = Callable[[int | None, Verdict], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Line:
    seq: int | None
    text: str
    local_category: str


class SecondOpinion:
    """Owns the background verdicts of one process, so shutdown can cancel them."""

    def __init__(self, classifier: LineClassifier, *, budget_seconds: float, min_confidence: float) -> None:
        self.classifier = classifier
        self.budget_seconds = budget_seconds
        self.min_confidence = min_confidence
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        return self.classifier.enabled

    def raises(self, line: Line, verdict: Verdict) -> bool:
        return verdict.confidence >= self.min_confidence and RANK[verdict.category] > RANK.get(
            line.local_category, 0
        )

    async def review(self, lines: Sequence[Line], apply: Apply, *, wait: bool = True) -> None:
        """Ask about each line; apply raising verdicts. With `wait`, returns after at most the budget
        (verdicts that arrived by then are applied first); the others are applied when they arrive."""
        tasks = [asyncio.create_task(self._one(line, apply)) for line in lines]
        for task in tasks:
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        if wait and tasks and self.budget_seconds > 0:
            await asyncio.wait(tasks, timeout=self.budget_seconds)

    async def _one(self, line: Line, apply: Apply) -> None:
        try:
            verdict = await self.classifier.classify(line.text)
        except ClassifierFailed:
            return  # counted and logged by kind in the client
        if self.raises(line, verdict):
            try:
                await apply(line.seq, verdict)
            except Exception:
                # The call may have ended meanwhile; the verdict only ever adds, so dropping it is safe.
                log.warning("classifier_apply_failed", extra={"turn_seq": line.seq}, exc_info=False)

    async def drain(self) -> None:
        """Wait for every verdict still out (tests, shutdown)."""
        if self._pending:
            await asyncio.wait(set(self._pending))

    async def aclose(self) -> None:
        for task in list(self._pending):
            task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self.classifier.aclose()
