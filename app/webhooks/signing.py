"""Standard Webhooks signing with the `standardwebhooks` package: secrets, headers, rotation."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """32 random bytes, base64, with the whsec_ prefix (the spec asks for 24 to 64 bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_header(secrets_: Sequence[str], msg_id: str, at: datetime, body: str) -> str:
    """`webhook-signature`: one `v1,<b64>` per active secret, space separated, current secret first."""
    return " ".join(Webhook(secret).sign(msg_id, at, body) for secret in secrets_)


def headers(secrets_: Sequence[str], msg_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(secrets_, msg_id, at, body),
        "content-type": "application/json",
        "user-agent": "callintake-webhooks/1",
    }
