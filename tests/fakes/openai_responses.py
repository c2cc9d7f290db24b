"""A fake OpenAI Responses API: `POST /v1/responses` with strict structured output, on a loopback server.

It checks the standard key and the request shape, records every request, and answers what a test
scripts: a verdict per line (a function of the input text), a delay, or an HTTP failure.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

API_KEY = "sk-fake-responses-0123456789"
_ids = itertools.count(1)

Answer = Callable[[str], dict[str, Any]]


def _routine(_: str) -> dict[str, Any]:
    return {"category": "routine", "confidence": 0.9, "evidence": ""}


@dataclass
class FakeResponses:
    """`answer(line)` gives the structured output; `delay` stalls every answer; `fail_status` fails it."""

    answer: Answer = _routine
    delay: float = 0.0
    fail_status: int | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/responses", self._responses, methods=["POST"])])

    async def _responses(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return _error(401, "invalid_api_key")
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _error(400, "invalid_json")
        problem = _shape_problem(body)
        if problem:
            return _error(400, problem)
        self.requests.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_status is not None:
            return _error(self.fail_status, "scripted_failure")
        line = body["input"][0]["content"][0]["text"]
        output = orjson.dumps(self.answer(line)).decode()
        return Response(
            orjson.dumps(
                {
                    "id": f"resp_fake{next(_ids):010d}",
                    "object": "response",
                    "status": "completed",
                    "model": body["model"],
                    "output": [
                        {
                            "type": "message",
                            "role": "assistant",
                            "content": [{"type": "output_text", "text": output, "annotations": []}],
                        }
                    ],
                    "incomplete_details": None,
                }
            ),
            media_type="application/json",
        )


def _shape_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return "missing_model"
    if body.get("store") is not False:
        return "store_must_be_false"
    fmt = (body.get("text") or {}).get("format") or {}
    if fmt.get("type") != "json_schema" or fmt.get("strict") is not True:
        return "strict_json_schema_required"
    schema = fmt.get("schema") or {}
    if schema.get("additionalProperties") is not False or set(schema.get("required", [])) != set(
        schema.get("properties", {})
    ):
        return "strict_schema_rules"
    items = body.get("input")
    if not (isinstance(items, list) and items and isinstance(items[0].get("content"), list)):
        return "bad_input"
    return None


def _error(status: int, code: str) -> Response:
    return Response(
        orjson.dumps({"error": {"type": "invalid_request_error", "code": code, "message": code}}),
        status_code=status,
        media_type="application/json",
    )
