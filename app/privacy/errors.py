"""Errors of caller-data erasure."""

from __future__ import annotations

from app.errors import Conflict


class CallStillLive(Conflict):
    code = "call_still_live"
    message = "the call is still live; end it before erasing its content"
