"""Bounds on every value that enters through the API: text, JSON trees, numbers and datetimes.

`RequestModel` is the base of every request schema; its one field validator walks each field's value
(strings, dict keys and values, lists, at any depth) so no field can be forgotten. PostgreSQL refuses
NUL in text, JSON numbers past 64 bits break serialisation and a datetime near year 1 or 9999 overflows
the moment an offset is applied: all of these are a 422 naming the field here, never a 5xx later.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, field_validator

# C0 controls except tab and newline, and lone UTF-16 surrogates (JSON can spell them, UTF-8 cannot).
_FORBIDDEN_CHAR = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff]")
MAX_JSON_DEPTH = 32
# Integers JSON readers agree on (JavaScript's safe range); beyond it orjson and PostgreSQL disagree.
MAX_JSON_INT = 2**53
MAX_JSON_FLOAT = 1e300
MIN_YEAR = 1900
MAX_YEAR = 3000


class BoundsError(ValueError):
    """A value outside what the service stores; the message names where inside the field it is."""


def text_problem(value: str) -> str | None:
    match = _FORBIDDEN_CHAR.search(value)
    if match is None:
        return None
    return f"must not contain control characters (found U+{ord(match.group()):04X})"


def check_text(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise BoundsError(problem)
    return value


def check_tree(value: Any, path: str = "", depth: int = 0) -> None:
    """Raise BoundsError for a bad string, number or nesting anywhere in a JSON-like value."""
    where = f" at {path}" if path else ""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            raise BoundsError(problem + where)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_JSON_INT:
            raise BoundsError(f"integers must be within ±2^53{where}")
    elif isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_JSON_FLOAT:
            raise BoundsError(f"numbers must be finite and at most 1e300 in size{where}")
    elif isinstance(value, dict | list | tuple | set | frozenset):
        if depth >= MAX_JSON_DEPTH:
            raise BoundsError(f"nesting deeper than {MAX_JSON_DEPTH} levels{where}")
        if isinstance(value, dict):
            for key, item in value.items():
                key_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and (problem := text_problem(key)) is not None:
                    raise BoundsError(f"key {problem}{where}")
                check_tree(item, key_path[:200], depth + 1)
        else:
            for index, item in enumerate(value):
                check_tree(item, f"{path}.{index}" if path else str(index), depth + 1)


def _bounded_int(token: str) -> int:
    if len(token.lstrip("-")) > 16:
        raise BoundsError("integers must be within ±2^53")
    return int(token)


def _bounded_float(token: str) -> float:
    if len(token) > 64:
        raise BoundsError("numbers must be written in at most 64 characters")
    return float(token)


def _no_constant(token: str) -> Any:
    raise BoundsError(f"{token} is not a JSON number")


def check_json_text(raw: str) -> None:
    """Bounds of a JSON document sent as a string (tool arguments); syntax errors are left to its parser."""
    try:
        value = json.loads(
            raw, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_no_constant
        )
    except BoundsError:
        raise
    except RecursionError as exc:
        raise BoundsError(f"nesting deeper than {MAX_JSON_DEPTH} levels") from exc
    except ValueError:
        check_text(raw)
        return
    check_tree(value)


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields refused, every value bounded (see `check_tree`)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        # Nested models have run this on their own fields already, with a more precise location.
        if not isinstance(value, BaseModel):
            check_tree(value)
        return value


def check_moment(value: datetime) -> datetime:
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = value.year
    if not MIN_YEAR <= year <= MAX_YEAR or not MIN_YEAR <= value.year <= MAX_YEAR:
        raise BoundsError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


# An aware datetime inside years the service can store and compute with (offsets applied).
Moment = Annotated[AwareDatetime, AfterValidator(check_moment)]
