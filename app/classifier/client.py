"""The semantic second opinion on a caller line: one strict structured-output call to the Responses API.

It never sees more than the one line, never stores it at OpenAI (`store: false`), and its failures are
counted and logged by kind only: the line itself never reaches a log.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import orjson

from app.settings import OpenAISettings

log = logging.getLogger("callintake.classifier")

VerdictCategory = Literal["emergency", "high_priority", "human_request", "routine"]
_CATEGORIES: frozenset[str] = frozenset({"emergency", "high_priority", "human_request", "routine"})
_MAX_EVIDENCE = 120

INSTRUCTIONS = (
    "You triage one line a caller said to the answering service of a clinic, dental or veterinary "
    "practice, home-services firm or property manager. The line may be in any language, may mix "
    "languages, and is a speech-to-text transcript with errors. Classify it:\n"
    "- emergency: danger to life or of serious harm now (people or animals): chest pain, not breathing, "
    "unresponsive, stroke signs, severe bleeding, overdose, suicidal intent, violence, fire, gas smell, "
    "CO alarm or symptoms, water reaching electrics, an animal that ate a toxin even before signs, bloat, "
    "a male cat straining with no urine, labour pushing 2 h with no delivery. Described symptoms count "
    "even when the condition is never named.\n"
    "- high_priority: urgent but not life-threatening (a burst pipe away from electrics, no heat in "
    "freezing weather, severe toothache with facial swelling, repeated vomiting, a pet that swallowed an "
    "object and acts normally, locked out with a child inside and no hazard).\n"
    "- human_request: the caller asks for a person, an operator, or repeats zero.\n"
    "- routine: everything else, including alarming words that are past or resolved, about someone else "
    "or fiction, a condition that has not happened, hyperbole or idiom, a question about policy, or a "
    "medical-history form.\n"
    "When several fit, emergency first. Give a confidence from 0 to 1 and quote the few words that decide "
    "it as evidence."
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "category": {"type": "string", "enum": sorted(_CATEGORIES)},
        "confidence": {"type": "number"},
        "evidence": {"type": "string"},
    },
    "required": ["category", "confidence", "evidence"],
    "additionalProperties": False,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    category: VerdictCategory
    confidence: float
    evidence: str


class ClassifierFailed(Exception):
    """The second opinion could not be had; `kind` is safe to log and count."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class LineClassifier:
    """One shared httpx client; `stats` counts outcomes by kind (ok, timeout, connection, status, ...)."""

    def __init__(self, settings: OpenAISettings, *, http: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self.stats: Counter[str] = Counter()
        self._http = http or httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(
                settings.classifier_timeout_seconds, connect=settings.connect_timeout_seconds
            ),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            follow_redirects=False,
        )

    @property
    def enabled(self) -> bool:
        return self._settings.classifier_enabled and self._settings.api_key is not None

    async def aclose(self) -> None:
        await self._http.aclose()

    def request_body(self, line: str) -> dict[str, Any]:
        return {
            "model": self._settings.classifier_model,
            "store": False,
            "instructions": INSTRUCTIONS,
            "input": [{"role": "user", "content": [{"type": "input_text", "text": line}]}],
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "caller_line_triage",
                    "strict": True,
                    "schema": SCHEMA,
                }
            },
            "max_output_tokens": 200,
        }

    async def classify(self, line: str) -> Verdict:
        try:
            verdict = await self._classify(line)
        except ClassifierFailed as exc:
            self.stats[exc.kind] += 1
            log.warning("classifier_failed", extra={"kind": exc.kind})
            raise
        self.stats["ok"] += 1
        return verdict

    async def _classify(self, line: str) -> Verdict:
        if self._settings.api_key is None:
            raise ClassifierFailed("not_configured")
        headers = {
            "Authorization": f"Bearer {self._settings.api_key.get_secret_value()}",
            "Content-Type": "application/json",
        }
        try:
            content = orjson.dumps(self.request_body(line))
            response = await self._http.post("responses", content=content, headers=headers)
        except httpx.TimeoutException as exc:
            raise ClassifierFailed("timeout") from exc
        except httpx.TransportError as exc:
            raise ClassifierFailed("connection") from exc
        if response.status_code >= 300:
            raise ClassifierFailed(f"status_{response.status_code}")
        return parse_verdict(response.content)


def parse_verdict(content: bytes) -> Verdict:
    """The structured output of a completed response, checked field by field; anything else fails."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise ClassifierFailed("bad_body") from exc
    if not isinstance(body, dict) or body.get("status") != "completed":
        raise ClassifierFailed("incomplete")
    text = None
    for item in body.get("output") or []:
        if not isinstance(item, dict) or item.get("type") != "message":
            continue
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "refusal":
                raise ClassifierFailed("refused")
            if isinstance(part, dict) and part.get("type") == "output_text":
                text = part.get("text")
    if not isinstance(text, str):
        raise ClassifierFailed("no_output")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ClassifierFailed("bad_output") from exc
    if not isinstance(data, dict):
        raise ClassifierFailed("bad_output")
    category, confidence, evidence = data.get("category"), data.get("confidence"), data.get("evidence")
    if category not in _CATEGORIES or not isinstance(evidence, str):
        raise ClassifierFailed("bad_output")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise ClassifierFailed("bad_output")
    return Verdict(
        category=category,
        confidence=min(max(float(confidence), 0.0), 1.0),
        evidence=evidence[:_MAX_EVIDENCE],
    )
