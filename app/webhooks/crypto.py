"""Webhook signing secrets at rest: AES-256-GCM under WEBHOOK_SECRET_KEY, each value tagged with its key id.

A stored value reads `v1.<key id>.<base64url(nonce | ciphertext | tag)>`. The endpoint's id is the
associated data, so a ciphertext copied onto another endpoint does not decrypt. Keys named in
WEBHOOK_OLD_SECRET_KEYS still decrypt, so the key rotates without a flag day; every write uses the
current key. Outside production an unset key falls back to a fixed development key (id `dev`),
which production refuses.
"""

from __future__ import annotations

import base64
import binascii
import os
import uuid
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.settings import WebhookSettings

VERSION = "v1"
DEV_KEY_ID = "dev"
# Development and tests only: a known key protects nothing, so production refuses it (settings.py).
DEV_KEY = "callintake-development-webhook-secret-key-not-for-production"
_NONCE_BYTES = 12
_INFO = b"callintake/webhook-signing-secrets/v1"


class SecretUndecryptable(Exception):
    """A stored secret under an unknown key id, tampered with, or bound to another endpoint."""


def _derive(material: str) -> AESGCM:
    # HKDF: the setting may be any long random string (a passphrase-like value or base64 bytes).
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material.encode())
    return AESGCM(key)


class SecretBox:
    def __init__(self, current_id: str, keys: dict[str, str]) -> None:
        self.current_id = current_id
        self._ciphers = {key_id: _derive(material) for key_id, material in keys.items()}

    def encrypt(self, plaintext: str, *, endpoint_id: uuid.UUID) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self.current_id].encrypt(nonce, plaintext.encode(), endpoint_id.bytes)
        token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{VERSION}.{self.current_id}.{token}"

    def decrypt(self, stored: str, *, endpoint_id: uuid.UUID) -> str:
        version, _, rest = stored.partition(".")
        key_id, _, token = rest.partition(".")
        cipher = self._ciphers.get(key_id)
        if version != VERSION or cipher is None or not token:
            raise SecretUndecryptable(f"no key for this stored secret (key id {key_id[:16]!r})")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], endpoint_id.bytes).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise SecretUndecryptable("the stored secret does not decrypt") from exc

    def key_id_of(self, stored: str) -> str:
        return stored.split(".", 2)[1] if stored.count(".") >= 2 else ""


def parse_old_keys(value: str) -> dict[str, str]:
    """`id:key,id:key` (WEBHOOK_OLD_SECRET_KEYS) as a mapping; a malformed entry is a ValueError."""
    keys: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key_id, sep, material = item.partition(":")
        if not sep or not key_id or not material:
            raise ValueError("WEBHOOK_OLD_SECRET_KEYS entries read `key_id:key`, comma separated")
        keys[key_id] = material
    return keys


@lru_cache(maxsize=8)
def _box(current_id: str, current: str, old: str) -> SecretBox:
    return SecretBox(current_id, {**parse_old_keys(old), current_id: current})


def box_for(settings: WebhookSettings) -> SecretBox:
    """The settings' box (cached: HKDF runs once per key set, not per request)."""
    old = settings.old_secret_keys.get_secret_value() if settings.old_secret_keys else ""
    if settings.secret_key is None:
        return _box(DEV_KEY_ID, DEV_KEY, old)
    return _box(settings.secret_key_id, settings.secret_key.get_secret_value(), old)
