"""OpenAI Realtime over HTTP: minting client secrets with one shared client, bounded retries, mapped errors.

The API key goes only into the Authorization header; it never reaches a response body or a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

import httpx
import orjson

from app.errors import UpstreamError
from app.realtime import errors
from app.settings import OpenAISettings

log = logging.getLogger("callintake.realtime")

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_MAX_RETRY_AFTER = 2.0


class RealtimeClient:
    def __init__(self, settings: OpenAISettings, *, http: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._http = http or httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(
                settings.read_timeout_seconds, connect=settings.connect_timeout_seconds, pool=5.0
            ),
            # httpcore scans its whole pool per request (quadratic in open connections); a small pool
            # of kept-alive connections is cheaper than one per in-flight mint (bench_mint).
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def _headers(self) -> dict[str, str]:
        if self._settings.api_key is None:
            raise errors.OpenAINotConfigured()
        return {
            "Authorization": f"Bearer {self._settings.api_key.get_secret_value()}",
            "Content-Type": "application/json",
        }

    async def create_client_secret(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /realtime/client_secrets; returns OpenAI's JSON ({value, expires_at, session})."""
        headers = self._headers()
        content = orjson.dumps(body)
        attempts = self._settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = await self._http.post("realtime/client_secrets", content=content, headers=headers)
            except httpx.TimeoutException as exc:
                # A timed-out mint may have succeeded upstream; retrying only costs an unused secret.
                if attempt < attempts:
                    await self._backoff(attempt, None)
                    continue
                log.warning("openai_mint_failed", extra={"reason": "timeout", "attempts": attempt})
                raise errors.UpstreamTimeout() from exc
            except httpx.TransportError as exc:
                if attempt < attempts:
                    await self._backoff(attempt, None)
                    continue
                log.warning("openai_mint_failed", extra={"reason": "connection", "attempts": attempt})
                raise errors.UpstreamUnavailable() from exc
            if response.status_code < 300:
                result: dict[str, Any] = orjson.loads(response.content)
                return result
            if response.status_code in _RETRYABLE_STATUS and attempt < attempts:
                await self._backoff(attempt, response.headers.get("retry-after"))
                continue
            raise self._map_error(response, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = self._settings.retry_backoff_seconds * (2 ** (attempt - 1))
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = max(delay, min(float(retry_after), _MAX_RETRY_AFTER))
        await asyncio.sleep(delay * (0.5 + random.random() / 2))

    @staticmethod
    def _map_error(response: httpx.Response, attempts: int) -> UpstreamError:
        upstream_code = None
        with contextlib.suppress(orjson.JSONDecodeError, AttributeError):
            upstream_code = orjson.loads(response.content).get("error", {}).get("code")
        status = response.status_code
        log.warning(
            "openai_mint_failed",
            extra={"upstream_status": status, "upstream_code": upstream_code, "attempts": attempts},
        )
        details = {"upstream_status": status, "upstream_code": upstream_code}
        if status in (401, 403):
            return errors.UpstreamAuthFailed(details=details)
        if status == 429:
            return errors.UpstreamRateLimited(details=details, headers={"Retry-After": "1"})
        if status >= 500:
            return errors.UpstreamUnavailable(details=details)
        return errors.UpstreamRejected(details=details)
