"""The second opinion against a fake Responses endpoint on loopback: shape, parsing, budget, raise-only."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import SecretStr

from app.classifier.client import ClassifierFailed, LineClassifier, Verdict, parse_verdict
from app.classifier.second_opinion import Line, SecondOpinion
from app.settings import OpenAISettings
from tests.fakes.openai_responses import API_KEY, FakeResponses
from tests.fakes.server import serve


def _settings(base_url: str, **overrides: Any) -> OpenAISettings:
    values: dict[str, Any] = {
        "api_key": SecretStr(API_KEY),
        "base_url": base_url,
        "classifier_enabled": True,
        "classifier_timeout_seconds": 2.0,
    }
    values.update(overrides)
    return OpenAISettings(**values)


def _emergency_if_thick_tongue(line: str) -> dict[str, Any]:
    if "tongue" in line:
        return {"category": "emergency", "confidence": 0.93, "evidence": "tongue feels thick"}
    return {"category": "routine", "confidence": 0.8, "evidence": ""}


async def test_classify_sends_strict_schema_without_storing_the_line() -> None:
    fake = FakeResponses(answer=_emergency_if_thick_tongue)
    async with serve(fake.app()) as server:
        classifier = LineClassifier(_settings(f"{server.http_url}/v1", classifier_model="gpt-5.6-luna"))
        try:
            verdict = await classifier.classify("she got stung and now her tongue feels thick")
        finally:
            await classifier.aclose()
    assert verdict == Verdict("emergency", 0.93, "tongue feels thick")
    [body] = fake.requests
    assert body["model"] == "gpt-5.6-luna"
    assert body["store"] is False
    assert body["text"]["format"]["strict"] is True
    assert classifier.stats["ok"] == 1


@pytest.mark.parametrize(("status", "kind"), [(401, "status_401"), (429, "status_429"), (500, "status_500")])
async def test_classify_failure_is_counted_by_kind_and_never_logs_the_line(
    status: int, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeResponses(fail_status=status)
    caplog.set_level(logging.INFO)
    async with serve(fake.app()) as server:
        classifier = LineClassifier(_settings(f"{server.http_url}/v1"))
        try:
            with pytest.raises(ClassifierFailed) as failed:
                await classifier.classify("my number is 555 867 5309 and he is not breathing")
        finally:
            await classifier.aclose()
    assert failed.value.kind == kind
    assert classifier.stats[kind] == 1
    assert "5309" not in caplog.text and "breathing" not in caplog.text


async def test_classify_timeout_is_its_own_kind() -> None:
    fake = FakeResponses(delay=1.0)
    async with serve(fake.app()) as server:
        classifier = LineClassifier(_settings(f"{server.http_url}/v1", classifier_timeout_seconds=0.1))
        try:
            with pytest.raises(ClassifierFailed) as failed:
                await classifier.classify("hello")
        finally:
            await classifier.aclose()
    assert failed.value.kind == "timeout"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"status": "incomplete", "output": []}',
        b'{"status": "completed", "output": [{"type": "message", "content": [{"type": "refusal"}]}]}',
        b'{"status": "completed", "output": [{"type": "message", "content": '
        b'[{"type": "output_text", "text": "{\\"category\\": \\"panic\\", \\"confidence\\": 1, '
        b'\\"evidence\\": \\"\\"}"}]}]}',
        b'{"status": "completed", "output": [{"type": "message", "content": '
        b'[{"type": "output_text", "text": "{\\"category\\": \\"routine\\", \\"confidence\\": true, '
        b'\\"evidence\\": \\"\\"}"}]}]}',
    ],
)
def test_parse_verdict_refuses_anything_but_a_completed_valid_output(body: bytes) -> None:
    with pytest.raises(ClassifierFailed):
        parse_verdict(body)


async def test_review_applies_only_verdicts_that_raise_the_local_one() -> None:
    def answer(line: str) -> dict[str, Any]:
        if "tongue" in line:
            return {"category": "emergency", "confidence": 0.9, "evidence": "tongue"}
        if "pipe" in line:
            return {"category": "high_priority", "confidence": 0.9, "evidence": "pipe"}
        if "unsure" in line:
            return {"category": "emergency", "confidence": 0.2, "evidence": "unsure"}
        return {"category": "routine", "confidence": 0.9, "evidence": ""}

    fake = FakeResponses(answer=answer)
    applied: list[tuple[int | None, str]] = []

    async def apply(seq: int | None, verdict: Verdict) -> None:
        applied.append((seq, verdict.category))

    async with serve(fake.app()) as server:
        opinion = SecondOpinion(
            LineClassifier(_settings(f"{server.http_url}/v1")), budget_seconds=2.0, min_confidence=0.6
        )
        try:
            await opinion.review(
                [
                    Line(1, "her tongue feels thick", "none"),
                    Line(2, "a pipe burst", "emergency"),  # never lowered
                    Line(3, "unsure about this", "none"),  # not confident enough
                    Line(4, "book a cleaning", "none"),
                ],
                apply,
            )
        finally:
            await opinion.aclose()
    assert applied == [(1, "emergency")]


async def test_review_returns_within_budget_and_applies_late_verdicts_when_they_arrive() -> None:
    fake = FakeResponses(answer=_emergency_if_thick_tongue, delay=0.5)
    applied: list[int | None] = []

    async def apply(seq: int | None, verdict: Verdict) -> None:
        applied.append(seq)

    async with serve(fake.app()) as server:
        opinion = SecondOpinion(
            LineClassifier(_settings(f"{server.http_url}/v1")), budget_seconds=0.05, min_confidence=0.6
        )
        try:
            await opinion.review([Line(7, "my tongue feels thick", "none")], apply)
            assert applied == []  # the verdict takes 0.5 s; the review returned at its 0.05 s budget
            await opinion.drain()
        finally:
            await opinion.aclose()
    assert applied == [7]
