"""What `config_audit` may keep of a config change: field names always, values only of fields that hold
neither secrets nor personal data (a person's phone number, a key, a token)."""

from __future__ import annotations

import re
from typing import Any

HIDDEN = "[hidden]"
# A staff member's direct line is personal data; secret-looking names are hidden whatever they hold.
PERSONAL_FIELDS = frozenset({"escalation_phone"})
_SECRET_NAME_RE = re.compile(r"secret|token|password|api_key|apikey|credential", re.IGNORECASE)


def hides_value(field: str) -> bool:
    return field in PERSONAL_FIELDS or bool(_SECRET_NAME_RE.search(field))


def _scrub(value: Any) -> Any:
    """Nested objects keep their shape; values under secret-looking keys are hidden."""
    if isinstance(value, dict):
        return {key: HIDDEN if hides_value(key) else _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def audit_changes(old: dict[str, Any], new: dict[str, Any], changed: list[str]) -> dict[str, Any]:
    """{field: {"old", "new"}} for `config_audit.changes`, hidden values replaced by "[hidden]"."""
    out: dict[str, Any] = {}
    for field in changed:
        if hides_value(field):
            out[field] = {
                "old": HIDDEN if old.get(field) is not None else None,
                "new": HIDDEN if new.get(field) is not None else None,
            }
        else:
            out[field] = {"old": _scrub(old.get(field)), "new": _scrub(new.get(field))}
    return out
