"""OpenAI Realtime over HTTP: client secrets, WebRTC calls (create, hang up), with one shared client,
bounded retries and mapped errors.

The client is aiohttp's, not httpx's: on the mint path httpx cost 2-4 ms of CPU per request (more under
concurrency, its pool is scanned per request) where aiohttp costs 0.3-0.8 ms (bench_mint), and the mint
is one upstream request wrapped in a few Redis round trips. The API key goes only into the
Authorization header; it never reaches a response body or a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from app import metrics, tracing
from app.errors import UpstreamError
from app.realtime import errors
from app.settings import OpenAISettings

log = logging.getLogger("callintake.realtime")

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
OPENAI_CALL_ID_RE = re.compile(r"^rtc_[A-Za-z0-9_-]{1,60}$")
_MAX_RETRY_AFTER = 2.0


_POOL_WAIT_SECONDS = 5.0
_MAX_CONNECTIONS = 100


@dataclass(frozen=True, slots=True)
class _Reply:
    status_code: int
    headers: Mapping[str, str]
    content: bytes


def multipart_form(parts: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) of multipart/form-data with plain named parts (no filenames)."""
    boundary = secrets.token_hex(16)
    chunks = []
    for name, content_type, value in parts:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        chunks += [head.encode(), f"Content-Type: {content_type}\r\n\r\n".encode(), value, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class RealtimeClient:
    def __init__(self, settings: OpenAISettings) -> None:
        self._settings = settings
        self._base_url = settings.base_url.rstrip("/") + "/"
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        # Built on first use: an aiohttp session belongs to the loop that runs it.
        if self._http is None or self._http.closed:
            timeout = aiohttp.ClientTimeout(
                total=None,
                connect=_POOL_WAIT_SECONDS + self._settings.connect_timeout_seconds,
                sock_connect=self._settings.connect_timeout_seconds,
                sock_read=self._settings.read_timeout_seconds,
            )
            self._http = aiohttp.ClientSession(
                timeout=timeout,
                connector=aiohttp.TCPConnector(limit=_MAX_CONNECTIONS),
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _auth(self) -> dict[str, str]:
        if self._settings.api_key is None:
            raise errors.OpenAINotConfigured()
        return {"Authorization": f"Bearer {self._settings.api_key.get_secret_value()}"}

    @tracing.traced("realtime.mint")
    @metrics.timed(metrics.mint_seconds)
    async def create_client_secret(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /realtime/client_secrets; returns OpenAI's JSON ({value, expires_at, session})."""
        headers = {**self._auth(), "Content-Type": "application/json"}
        # A timed-out mint may have succeeded upstream; retrying only costs an unused secret.
        response = await self._post(
            "realtime/client_secrets",
            "mint",
            content=orjson.dumps(body),
            headers=headers,
            retry_timeouts=True,
        )
        result: dict[str, Any] = orjson.loads(response.content)
        return result

    @tracing.traced("realtime.sdp_exchange")
    async def create_call(self, sdp: bytes, session: dict[str, Any]) -> tuple[bytes, str]:
        """POST /realtime/calls (the unified interface): the browser's SDP offer and our session as
        multipart with the standard key. Returns (answer SDP, OpenAI call id from `Location`)."""
        body, content_type = multipart_form(
            [("sdp", "application/sdp", sdp), ("session", "application/json", orjson.dumps(session))]
        )
        headers = {**self._auth(), "Content-Type": content_type}
        # A timed-out create may have made a call upstream; a retry would make a second one to pay for.
        response = await self._post("realtime/calls", "call", content=body, headers=headers)
        location = response.headers.get("location", "")
        openai_call_id = location.rstrip("/").rpartition("/")[2]
        if not OPENAI_CALL_ID_RE.match(openai_call_id):
            log.warning("openai_call_without_location", extra={"upstream_status": response.status_code})
            raise errors.UpstreamUnavailable(details={"upstream_status": response.status_code})
        return response.content, openai_call_id

    async def hang_up_call(self, openai_call_id: str) -> bool:
        """POST /realtime/calls/{id}/hangup; False if OpenAI no longer knows the call (it has ended)."""
        try:
            await self._post(
                f"realtime/calls/{openai_call_id}/hangup", "hangup", headers=self._auth(), retry_timeouts=True
            )
        except errors.UpstreamRejected as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            if details.get("upstream_status") == 404:
                return False
            raise
        return True

    async def _post(
        self,
        path: str,
        what: str,
        *,
        headers: dict[str, str],
        content: bytes | None = None,
        retry_timeouts: bool = False,
    ) -> _Reply:
        """One POST with bounded retries; failures become the UpstreamError tree."""
        attempts = self._settings.max_retries + 1
        url = self._base_url + path
        for attempt in range(1, attempts + 1):
            try:
                async with self._session().post(
                    url, data=content, headers=headers, allow_redirects=False
                ) as reply:
                    response = _Reply(reply.status, reply.headers, await reply.read())
            except TimeoutError as exc:  # aiohttp's connect and read time-outs are TimeoutErrors
                if retry_timeouts and attempt < attempts:
                    await self._backoff(attempt, None)
                    continue
                log.warning(f"openai_{what}_failed", extra={"reason": "timeout", "attempts": attempt})
                metrics.upstream_error("openai", "timeout")
                raise errors.UpstreamTimeout() from exc
            except aiohttp.ClientError as exc:
                if attempt < attempts:
                    await self._backoff(attempt, None)
                    continue
                log.warning(f"openai_{what}_failed", extra={"reason": "connection", "attempts": attempt})
                metrics.upstream_error("openai", "connection")
                raise errors.UpstreamUnavailable() from exc
            if response.status_code < 300:
                return response
            if response.status_code in _RETRYABLE_STATUS and attempt < attempts:
                await self._backoff(attempt, response.headers.get("retry-after"))
                continue
            raise self._map_error(response, attempt, what)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = self._settings.retry_backoff_seconds * (2 ** (attempt - 1))
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = max(delay, min(float(retry_after), _MAX_RETRY_AFTER))
        await asyncio.sleep(delay * (0.5 + random.random() / 2))

    @staticmethod
    def _map_error(response: _Reply, attempts: int, what: str = "mint") -> UpstreamError:
        upstream_code = None
        with contextlib.suppress(orjson.JSONDecodeError, AttributeError):
            upstream_code = orjson.loads(response.content).get("error", {}).get("code")
        status = response.status_code
        log.warning(
            f"openai_{what}_failed",
            extra={"upstream_status": status, "upstream_code": upstream_code, "attempts": attempts},
        )
        details = {"upstream_status": status, "upstream_code": upstream_code}
        metrics.upstream_error("openai", "status")
        if status in (401, 403):
            return errors.UpstreamAuthFailed(details=details)
        if status == 429:
            return errors.UpstreamRateLimited(details=details, headers={"Retry-After": "1"})
        if status >= 500:
            return errors.UpstreamUnavailable(details=details)
        return errors.UpstreamRejected(details=details)
