"""Opaque keyset cursors: a base64url-encoded JSON list of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import orjson

from app.errors import AppError
from app.validation import check_moment

T = TypeVar("T")


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


def decode_time_id_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (timestamp, id) keyset position a cursor names; None for the first page."""
    if not cursor:
        return None
    moment, row_id = decode_cursor(cursor, length=2)
    # Checked by type before use: uuid.UUID(5) raises AttributeError, a naive or year-9999 time
    # reaches the database and fails there.
    if not isinstance(moment, str) or not isinstance(row_id, str):
        raise InvalidCursor()
    try:
        at, row_uuid = datetime.fromisoformat(moment), uuid.UUID(row_id)
        if at.tzinfo is None:
            raise InvalidCursor()
        return check_moment(at), row_uuid
    except ValueError as exc:
        raise InvalidCursor() from exc


def page_of(
    rows: list[T], limit: int, position: Callable[[T], tuple[datetime, uuid.UUID]]
) -> tuple[list[T], str | None]:
    """Cut rows fetched with limit + 1 to a page and the cursor of its last row (None on the last page)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    moment, row_id = position(rows[-1])
    return rows, encode_cursor([moment.isoformat(), str(row_id)])
