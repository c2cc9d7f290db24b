"""Standard Webhooks signing: secrets, headers, rotation (the `standardwebhooks` package verifies them).

The signature is the spec's `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), computed
here on the body bytes with each secret's key decoded once (the package's `sign` decodes the secret
and re-encodes the body on every call, five times our cost); tests check every signature with the
package's own verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """32 random bytes, base64, with the whsec_ prefix (the spec asks for 24 to 64 bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


@lru_cache(maxsize=4096)
def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = b"%s.%d.%s" % (msg_id.encode(), timestamp, body)
    return "v1," + base64.b64encode(hmac.digest(_key(secret), signed, hashlib.sha256)).decode()


def signature_header(secrets_: Sequence[str], msg_id: str, at: datetime, body: bytes) -> str:
    """`webhook-signature`: one `v1,<b64>` per active secret, space separated, current secret first."""
    timestamp = int(at.timestamp())
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets_)


def headers(secrets_: Sequence[str], msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(secrets_, msg_id, at, body),
        "content-type": "application/json",
        "user-agent": "callintake-webhooks/1",
    }
