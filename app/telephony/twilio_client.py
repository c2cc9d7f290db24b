"""Twilio's Calls REST API through the SDK's async client: transfer (new TwiML) and hang up.

One client per process, built in the lifespan (its aiohttp session belongs to the running loop). The
base URL is a setting so tests and benchmarks point it at a fake.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from app import metrics
from app.errors import UpstreamError
from app.settings import TwilioSettings

log = logging.getLogger("callintake.telephony")

# 20404: no such call (any more); 21220: the call is not in progress. Either way it has ended.
_CALL_ENDED_CODES = frozenset({20404, 21220})
_ATTEMPTS = 2


class TwilioRestFailed(UpstreamError):
    code = "twilio_rest_failed"
    message = "Twilio's REST API could not update the call"


class _HeaderAuthHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
    """Sends Basic auth as a header: the stock client hands aiohttp its deprecated `BasicAuth` object."""

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK calls request() with this signature
        allow_redirects: bool = False,
    ) -> Any:
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = aiohttp.encode_basic_auth(auth[0], auth[1])
        seconds = timeout if timeout is not None else self.timeout
        return await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=seconds,
            allow_redirects=allow_redirects,
        )


class TwilioCalls:
    """What the bridge and the webhooks need from Twilio's REST API."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @classmethod
    def build(cls, settings: TwilioSettings) -> TwilioCalls | None:
        """None without credentials (the webhooks then answer 503)."""
        if not settings.account_sid or settings.auth_token is None:
            return None
        http = _HeaderAuthHttpClient(timeout=settings.rest_timeout_seconds)
        client = Client(settings.account_sid, settings.auth_token.get_secret_value(), http_client=http)
        client.api.base_url = settings.api_base_url.rstrip("/")
        client.edge = client.region = None  # else TWILIO_EDGE / TWILIO_REGION rewrite the host
        _ = client.api.v2010.account.calls  # import the SDK's lazy modules now, not during a transfer
        return cls(client)

    async def aclose(self) -> None:
        await self._client.http_client.close()

    async def redirect(self, call_sid: str, twiml: str) -> bool:
        """Replace the call's TwiML (ends its media stream); False if the call has already ended."""
        return await self._update(call_sid, twiml=twiml)

    async def hang_up(self, call_sid: str) -> bool:
        return await self._update(call_sid, status="completed")

    async def _update(self, call_sid: str, **fields: str) -> bool:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                await self._client.calls(call_sid).update_async(**fields)
                return True
            except TwilioRestException as exc:
                if exc.code in _CALL_ENDED_CODES:
                    return False
                retry = exc.status >= 500 or exc.status == 429
                failure: Exception = exc
                log.warning("twilio_update_failed", extra={"status": exc.status, "twilio_code": exc.code})
            except (aiohttp.ClientError, TimeoutError) as exc:
                retry, failure = True, exc
                log.warning("twilio_update_failed", extra={"error_type": type(exc).__name__})
            if not retry or attempt == _ATTEMPTS:
                kind = "status" if isinstance(failure, TwilioRestException) else "connection"
                metrics.upstream_error("twilio", kind)  # issue 12
                raise TwilioRestFailed() from failure
            await asyncio.sleep(0.2 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover
