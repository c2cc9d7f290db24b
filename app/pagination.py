"""Opaque keyset cursors: a base64url-encoded JSON list of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from app.errors import AppError


class InvalidCursor(AppError):
    status_code = 400
    code = "invalid_cursor"
    message = "the pagination cursor is invalid"


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str, *, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(values, list) or len(values) != length:
        raise InvalidCursor()
    return values
