"""What the analysis asks for, pure and testable: the strict JSON Schema from the org's intake fields,
the instructions, the prompt hash, and the reconciliation with the intake captured live."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Final

import orjson

ANALYSIS_VERSION: Final = 1
SCHEMA_VERSION: Final = 1
DISPOSITIONS: Final = ("resolved", "callback_needed", "escalated", "incomplete", "wrong_number", "other")
URGENCIES: Final = ("emergency", "urgent", "routine")

INSTRUCTIONS: Final = (
    "You review a finished phone call to a business's intake line. Use only what the transcript says. "
    "Write a 2-3 sentence summary. For every intake field, give the value the caller stated (null if it "
    "was never stated), your confidence from 0 to 1, and the seq numbers of the turns that support it. "
    "Then give the call's disposition, whether a person must follow up, and its urgency."
)

_VALUE_TYPES: Final[dict[str, dict[str, Any]]] = {
    "string": {"type": ["string", "null"]},
    "phone": {"type": ["string", "null"]},
    "date": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
    "email": {"type": ["string", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "number": {"type": ["number", "null"]},
}


def _strict(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def field_schema(field: Mapping[str, Any]) -> dict[str, Any]:
    if field.get("type") == "enum":
        value: dict[str, Any] = {"type": ["string", "null"], "enum": [*(field.get("options") or []), None]}
    else:
        value = dict(_VALUE_TYPES.get(str(field.get("type")), _VALUE_TYPES["string"]))
    value["description"] = str(field.get("label") or field["name"])
    return _strict(
        {
            "value": value,
            "confidence": {"type": "number"},
            "evidence_turn_seqs": {"type": "array", "items": {"type": "integer"}},
        }
    )


def output_schema(intake_fields: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Strict structured output: every property required, no additional properties, nulls for unknowns."""
    fields = _strict({str(f["name"]): field_schema(f) for f in intake_fields})
    return _strict(
        {
            "summary": {"type": "string"},
            "fields": fields,
            "disposition": {"type": "string", "enum": list(DISPOSITIONS)},
            "follow_up_needed": {"type": "boolean"},
            "urgency": {"type": "string", "enum": list(URGENCIES)},
        }
    )


def transcript_text(turns: Sequence[Mapping[str, Any]], live_intake: Mapping[str, Any] | None) -> str:
    lines = [f"[{t['seq']}] {t['speaker']}: {t['text']}" for t in turns]
    captured = orjson.dumps((live_intake or {}).get("data") or {}).decode()
    return "Transcript:\n" + "\n".join(lines) + f"\n\nIntake the agent captured during the call: {captured}"


def prompt_hash(model: str, schema: Mapping[str, Any]) -> str:
    blob = orjson.dumps({"m": model, "i": INSTRUCTIONS, "s": schema}, option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def reconcile(extracted: Mapping[str, Any], live_data: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Fields the live intake lacked but the analysis found (added), found with another value
    (different), and fields neither has (missing)."""
    live_data = live_data or {}
    added, different, missing = [], [], []
    for name, item in extracted.items():
        value = item.get("value") if isinstance(item, Mapping) else None
        live_value = live_data.get(name)
        if value is None and live_value in (None, ""):
            missing.append(name)
        elif live_value in (None, ""):
            added.append(name)
        elif value is not None and str(value).strip().lower() != str(live_value).strip().lower():
            different.append(name)
    return {"added": sorted(added), "different": sorted(different), "missing": sorted(missing)}
