"""API key format, hashing and constant-time checks. The plain secret is never stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

_KEY_RE = re.compile(r"^(cik_[a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_ALPHABET = string.ascii_lowercase + string.digits


def generate_key() -> tuple[str, str, str]:
    """A new key as (plain key, prefix, sha256 hex of the plain key)."""
    prefix = "cik_" + "".join(secrets.choice(_ALPHABET) for _ in range(12))
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_prefix(key: str) -> str | None:
    match = _KEY_RE.match(key)
    return match.group(1) if match else None


def secret_equals(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
