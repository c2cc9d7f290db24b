"""The one Responses API call of the analysis (`POST {OPENAI_BASE_URL}/responses`), strict and unstored.

Errors say whether a retry may help: connection failures, timeouts, 408/409/429 and 5xx may;
a refused request, an incomplete answer or output that is not the schema's JSON will not.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson


class AnalysisError(Exception):
    def __init__(self, kind: str, *, retryable: bool) -> None:
        super().__init__(kind)
        self.kind = kind
        self.retryable = retryable


_RETRYABLE = frozenset({408, 409, 429})


async def analyze(
    client: httpx.AsyncClient,
    *,
    base_url: str,
    api_key: str,
    model: str,
    instructions: str,
    text: str,
    schema: dict[str, Any],
    timeout_seconds: float,
) -> dict[str, Any]:
    body = {
        "model": model,
        "instructions": instructions,
        "input": [{"role": "user", "content": [{"type": "input_text", "text": text}]}],
        "text": {
            "format": {"type": "json_schema", "name": "call_analysis", "schema": schema, "strict": True}
        },
        # Transcripts carry personal data: never kept on OpenAI's side.
        "store": False,
        "max_output_tokens": 4000,
    }
    try:
        response = await client.post(
            base_url.rstrip("/") + "/responses",
            content=orjson.dumps(body),
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
            timeout=timeout_seconds,
        )
    except httpx.TimeoutException as exc:
        raise AnalysisError("timeout", retryable=True) from exc
    except httpx.TransportError as exc:
        raise AnalysisError("connect", retryable=True) from exc
    if response.status_code >= 500 or response.status_code in _RETRYABLE:
        raise AnalysisError(f"http_{response.status_code}", retryable=True)
    if response.status_code >= 400:
        raise AnalysisError(f"http_{response.status_code}", retryable=False)
    try:
        payload = response.json()
    except ValueError as exc:
        raise AnalysisError("bad_response", retryable=True) from exc
    if payload.get("status") != "completed":
        reason = (payload.get("incomplete_details") or {}).get("reason") or payload.get("status")
        raise AnalysisError(f"incomplete_{reason}"[:32], retryable=False)
    for item in payload.get("output") or []:
        for part in item.get("content") or []:
            if part.get("type") == "refusal":
                raise AnalysisError("refused", retryable=False)
            if part.get("type") == "output_text":
                try:
                    parsed = orjson.loads(part.get("text") or "")
                except orjson.JSONDecodeError as exc:
                    raise AnalysisError("bad_output", retryable=False) from exc
                if not isinstance(parsed, dict):
                    raise AnalysisError("bad_output", retryable=False)
                return parsed
    raise AnalysisError("no_output", retryable=False)
