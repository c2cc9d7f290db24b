"""The three Realtime function tools (GA shape) and the check of the arguments the model sends to them.

complete_intake is generated from the org's intake fields; the other two are the same for every org.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

# Untyped (no py.typed); pyproject's mypy override lets it in as Any, so validators are handled as Any.
from jsonschema import Draft202012Validator

from app.orgs.config import IntakeField, OrgConfig
from app.safety.errors import InvalidToolArguments, UnknownTool

TOOL_NAMES: Final = ("escalate_call", "complete_intake", "end_call")
URGENCY_LEVELS: Final = ("emergency", "urgent", "routine")
# Property names complete_intake adds after the org's own fields; an org field may not use them.
RESERVED_INTAKE_NAMES: Final = ("urgency_level", "summary")
SUMMARY_MAX_LENGTH: Final = 300

PHONE_PATTERN: Final = r"^\+?[0-9]{7,15}$"
DATE_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}$"
EMAIL_PATTERN: Final = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_ONE_LINE_PATTERN: Final = r"^[^\r\n]+$"
# One message for both the pattern and the format check, so a bad date yields one detail, not two.
_DATE_MESSAGE: Final = "must be a real date written as YYYY-MM-DD"


def tool_definitions(config: OrgConfig) -> list[dict[str, Any]]:
    """escalate_call, complete_intake, end_call; a fresh list each time, identical for an equal config."""
    return [_escalate_call(config), _complete_intake(config), _end_call()]


def validate_tool_arguments(
    name: str, arguments: Mapping[str, Any] | str, config: OrgConfig
) -> dict[str, Any]:
    """The parsed arguments, or InvalidToolArguments naming every bad field (UnknownTool for a bad name)."""
    if name == "escalate_call":
        schema = _escalate_call(config)["parameters"]
    elif name == "complete_intake":
        schema = _complete_intake(config)["parameters"]
    elif name == "end_call":
        schema = _end_call()["parameters"]
    else:
        raise UnknownTool(
            details=[
                {
                    "field": "name",
                    "message": f"unknown tool {name[:64]!r}; the tools are {', '.join(TOOL_NAMES)}",
                }
            ]
        )
    parsed = _parse(arguments)
    validator = _validator(json.dumps(schema, sort_keys=True, separators=(",", ":")))
    details = sorted(
        {(d["field"], d["message"]): d for e in validator.iter_errors(parsed) for d in _details(e)}.values(),
        key=lambda d: (d["field"], d["message"]),
    )
    if details:
        raise InvalidToolArguments(details=details)
    return parsed


def _escalate_call(config: OrgConfig) -> dict[str, Any]:
    if config.escalation_phone is None:
        say = "Before calling, tell the caller that a person will call them back as soon as possible."
    else:
        say = "Before calling, tell the caller you are connecting them with a person now."
    return {
        "type": "function",
        "name": "escalate_call",
        "description": (
            "Call immediately when the caller describes an emergency (someone's life, health or safety "
            "is in danger now, or any emergency sign listed in your instructions); do not finish the "
            "intake first. Also call it with urgency 'urgent' when your instructions say to hand an "
            f"urgent call to a person. {say}"
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "reason": {
                    "type": "string",
                    "minLength": 1,
                    "description": "One short sentence on what is happening, in the caller's words.",
                },
                "urgency": {
                    "type": "string",
                    "enum": ["emergency", "urgent"],
                    "description": "emergency: danger to life, health or safety now. urgent: needs a "
                    "person soon but no one is in danger.",
                },
            },
            "required": ["reason", "urgency"],
            "additionalProperties": False,
        },
    }


def _complete_intake(config: OrgConfig) -> dict[str, Any]:
    properties = {field.name: _field_schema(field) for field in config.intake_fields}
    properties["urgency_level"] = {
        "type": "string",
        "enum": list(URGENCY_LEVELS),
        "description": "emergency, urgent or routine, as judged from what the caller said.",
    }
    properties["summary"] = {
        "type": "string",
        "minLength": 1,
        "maxLength": SUMMARY_MAX_LENGTH,
        "pattern": _ONE_LINE_PATTERN,
        "description": "One line for the staff who call back: who is calling and why.",
    }
    required = [field.name for field in config.intake_fields if field.required]
    required += list(RESERVED_INTAKE_NAMES)
    return {
        "type": "function",
        "name": "complete_intake",
        "description": (
            "Call once every required intake field is known and confirmed with the caller, with "
            "urgency_level and a one-line summary; optional fields the caller did not give are left out. "
            "Call it once per call. Before calling, tell the caller you are saving their details."
        ),
        "parameters": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }


def _end_call() -> dict[str, Any]:
    return {
        "type": "function",
        "name": "end_call",
        "description": (
            "Call to hang up, after you have said a short goodbye: when the intake is saved or the call "
            "was escalated and the caller needs nothing else, or when the caller wants to end the call. "
            "Say nothing after calling it."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "reason": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Why the call is ending, in a few words.",
                },
            },
            "required": ["reason"],
            "additionalProperties": False,
        },
    }


def _field_schema(field: IntakeField) -> dict[str, Any]:
    if field.type == "phone":
        return {
            "type": "string",
            "pattern": PHONE_PATTERN,
            "description": f"{field.label}. Digits only with an optional leading + and country code, "
            "e.g. +15555550100.",
        }
    if field.type == "date":
        return {"type": "string", "format": "date", "pattern": DATE_PATTERN, "description": field.label}
    if field.type == "email":
        return {"type": "string", "format": "email", "pattern": EMAIL_PATTERN, "description": field.label}
    if field.type == "enum":
        return {"type": "string", "enum": list(field.options or ()), "description": field.label}
    if field.type == "boolean":
        return {"type": "boolean", "description": field.label}
    if field.type == "number":
        return {"type": "number", "description": field.label}
    return {"type": "string", "description": field.label}


def _parse(arguments: Mapping[str, Any] | str) -> dict[str, Any]:
    if isinstance(arguments, str):
        try:
            # NaN and Infinity are not JSON; Python's parser accepts them unless told not to.
            value = json.loads(arguments, parse_constant=_reject_constant)
        except ValueError as exc:
            detail = f"arguments are not valid JSON: {exc}"
            raise InvalidToolArguments(details=[{"field": "", "message": detail}]) from exc
    else:
        value = arguments
    if not isinstance(value, Mapping):
        raise InvalidToolArguments(details=[{"field": "", "message": "arguments must be a JSON object"}])
    return dict(value)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Any:
    # Keyed on the canonical schema text, so orgs with the same intake fields share one validator.
    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _details(error: Any) -> list[dict[str, str]]:
    # Messages are ours, not jsonschema's: those quote the offending value, which may be a caller's
    # phone number or email and must not reach logs.
    path = [str(part) for part in error.absolute_path]
    kind = error.validator
    if kind == "required" and isinstance(error.instance, Mapping):
        missing = [p for p in error.validator_value if p not in error.instance]
        return [{"field": _dotted(path, p), "message": "is required"} for p in missing]
    if kind == "additionalProperties" and isinstance(error.instance, Mapping):
        known = error.schema.get("properties", {})
        extra = sorted(str(p) for p in error.instance if p not in known)
        return [{"field": _dotted(path, p), "message": "is not an allowed property"} for p in extra]
    return [{"field": _dotted(path), "message": _message(kind, error.validator_value)}]


def _message(kind: str, value: Any) -> str:
    if kind == "type":
        return f"must be of type {value}"
    if kind == "enum":
        return "must be one of: " + ", ".join(str(v) for v in value)
    if kind == "minLength":
        return "must not be empty" if value == 1 else f"must be at least {value} characters"
    if kind == "maxLength":
        return f"must be at most {value} characters"
    if kind == "format":
        return _DATE_MESSAGE if value == "date" else f"must be a valid {value}"
    if kind == "pattern":
        if value == PHONE_PATTERN:
            return "must be a phone number: 7 to 15 digits, optionally starting with +"
        if value == DATE_PATTERN:
            return _DATE_MESSAGE
        if value == EMAIL_PATTERN:
            return "must be an email address such as name@example.com"
        if value == _ONE_LINE_PATTERN:
            return "must be one non-empty line"
        return f"must match the pattern {value}"
    return f"fails the {kind} rule"


def _dotted(path: list[str], leaf: str | None = None) -> str:
    return ".".join([*path, leaf] if leaf is not None else path)
