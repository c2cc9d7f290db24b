"""Vendor text made storable: NUL, the other C0 controls (tab and newline kept) and lone surrogates removed.

The API refuses such text with a 422; text from a vendor (caller speech, agent lines) is cleaned
instead, on the way into the live store and again at finalize, where it is the last guard before
PostgreSQL (which refuses NUL in text and JSONB, and lone surrogates in any UTF-8 string).
"""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff]")


def clean_text(value: str) -> str:
    return _UNSTORABLE.sub("", value)


def clean_tree(value: Any) -> Any:
    """`clean_text` on every string of a JSON-like value, dict keys included."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_tree(item) for item in value]
    return value
