"""Short-lived signed stream tokens: `EventSource` cannot send Authorization, so it sends ?token=.

A token names one org and the calls:read scope, expires within minutes, and is accepted on the two
stream routes only. HMAC-SHA256 with EVENTS_TOKEN_SECRET (a random per-process key when unset,
so tokens then work only against the process that issued them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import orjson

from app.errors import Unauthorized

PREFIX = "cist_"
_PROCESS_KEY = secrets.token_bytes(32)


class InvalidStreamToken(Unauthorized):
    code = "invalid_stream_token"
    message = "the stream token is invalid or expired"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_from(secret: str | None) -> bytes:
    return hashlib.sha256(secret.encode()).digest() if secret else _PROCESS_KEY


def issue(
    key: bytes, org_id: uuid.UUID, *, ttl_seconds: int, now: datetime | None = None
) -> tuple[str, datetime]:
    expires = (now or datetime.now(UTC)) + timedelta(seconds=ttl_seconds)
    body = _b64(orjson.dumps({"o": str(org_id), "e": int(expires.timestamp()), "s": "calls:read"}))
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{PREFIX}{body}.{mac}", expires


def verify(key: bytes, token: str, *, now: datetime | None = None) -> uuid.UUID:
    """The org the token was issued for; InvalidStreamToken for anything forged, malformed or expired."""
    if not token.startswith(PREFIX) or len(token) > 512:
        raise InvalidStreamToken()
    body, _, mac = token[len(PREFIX) :].partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac, expected):
        raise InvalidStreamToken()
    try:
        claims = orjson.loads(_unb64(body))
        org_id = uuid.UUID(claims["o"])
        expires = int(claims["e"])
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidStreamToken() from exc
    if claims.get("s") != "calls:read" or expires < (now or datetime.now(UTC)).timestamp():
        raise InvalidStreamToken()
    return org_id
