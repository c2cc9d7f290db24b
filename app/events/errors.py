"""Errors of the live event streams (stream tokens have theirs in tokens.py)."""

from __future__ import annotations

from app.errors import AppError


class CallStreamExpired(AppError):
    """The call ended and none of its live events are kept any more (they last a day)."""

    status_code = 410
    code = "call_stream_expired"
    message = "the call has ended and its live events are no longer kept; read GET /api/calls/{call_id}"
