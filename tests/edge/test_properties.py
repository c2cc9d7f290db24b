"""Item 7: hypothesis properties of the parsers and validators at the edge.

Each says: for any input, the answer is a value that can be stored or a 4xx error of ours, never
another exception (which the service would turn into a 5xx).
"""

from __future__ import annotations

import base64
import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.calls.schemas import CallStart, ToolCallIn, TranscriptAppend
from app.errors import AppError
from app.orgs.config import OrgConfig
from app.orgs.service import _check_if_match, merge_patch
from app.pagination import InvalidCursor, decode_cursor, decode_time_id_cursor, encode_cursor
from app.safety.tools import validate_tool_arguments
from app.validation import MAX_YEAR, MIN_YEAR, text_problem
from tests.fixtures.factories import example_config

PROPERTY = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=True),
    st.just(10**400),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, any_text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=4)),
    max_leaves=30,
)


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


json_or_deep = st.one_of(json_values, st.integers(min_value=1, max_value=80).map(_deep))
# Names near the tz database's: folders ("America", "posix/"), files, and path tricks.
zone_names = st.one_of(
    st.sampled_from(
        ["America", "America/", "Etc", "Etc/", "posix", "posix/", "right/UTC", "UTC", "../UTC", "."]
    ),
    st.builds(lambda a, b: f"{a}/{b}", st.sampled_from(["America", "Europe", "Etc", "posix"]), any_text),
)
unicode_digits = st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=6)
CONFIG = OrgConfig.model_validate(example_config())
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def _stored_cleanly(value: Any) -> None:
    """What passed validation serialises, and no string in it (key or value) has a forbidden character."""
    orjson.dumps(value)
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            assert text_problem(item) is None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


@PROPERTY
@given(field=st.sampled_from(sorted(OrgConfig.model_fields)), value=json_or_deep, zone=zone_names)
def test_config_field_any_value_is_valid_or_a_validation_error(field: str, value: Any, zone: str) -> None:
    raw = {**example_config(), field: value} if field != "timezone" else {**example_config(), field: zone}
    try:
        config = OrgConfig.model_validate(raw)
    except ValidationError:
        return
    dumped = config.dump()
    _stored_cleanly(dumped)
    assert OrgConfig.model_validate(dumped) == config


@PROPERTY
@given(patch=st.dictionaries(st.sampled_from(sorted(OrgConfig.model_fields)), json_or_deep, max_size=3))
def test_config_merge_patch_then_validate_never_raises_anything_else(patch: dict[str, Any]) -> None:
    merged = merge_patch(example_config(), patch)
    with contextlib.suppress(ValidationError):
        OrgConfig.model_validate(merged)


@PROPERTY
@given(
    cursor=st.one_of(
        any_text, st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    )
)
def test_any_cursor_text_decodes_or_is_invalid_cursor(cursor: str) -> None:
    try:
        position = decode_time_id_cursor(cursor)
    except InvalidCursor:
        return
    if position is not None:
        moment, row_id = position
        assert moment.tzinfo is not None and MIN_YEAR <= moment.year <= MAX_YEAR
        assert isinstance(row_id, uuid.UUID)


@PROPERTY
@given(
    values=st.one_of(
        json_values,
        st.tuples(json_values, json_values).map(list),
        st.tuples(
            st.datetimes(timezones=st.one_of(st.none(), offsets)).map(datetime.isoformat), json_values
        ).map(list),
        st.tuples(json_values).map(list),
    )
)
def test_any_encoded_json_cursor_decodes_or_is_invalid_cursor(values: Any) -> None:
    try:
        cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    except (ValueError, OverflowError):
        return
    with contextlib.suppress(InvalidCursor):
        decode_time_id_cursor(cursor)
    with contextlib.suppress(InvalidCursor):
        decode_cursor(cursor, length=1)


@PROPERTY
@given(
    moment=st.datetimes(
        min_value=datetime(1900, 1, 2), max_value=datetime(3000, 12, 30), timezones=st.just(UTC)
    ),
    row_id=st.uuids(),
)
def test_cursor_round_trip(moment: datetime, row_id: uuid.UUID) -> None:
    assert decode_time_id_cursor(encode_cursor([moment.isoformat(), str(row_id)])) == (moment, row_id)


@PROPERTY
@given(
    text=any_text,
    at=st.one_of(st.none(), st.datetimes(timezones=offsets), st.datetimes()),
    seq=st.one_of(st.none(), st.integers()),
)
def test_transcript_turn_is_valid_or_a_validation_error(
    text: str, at: datetime | None, seq: int | None
) -> None:
    turn: dict[str, Any] = {"speaker": "caller", "text": text, "seq": seq}
    if at is not None:
        turn["at"] = at.isoformat()
    try:
        parsed = TranscriptAppend.model_validate({"turns": [turn]})
    except ValidationError:
        return
    (only,) = parsed.turns
    assert text_problem(only.text) is None
    if only.at is not None:
        assert only.at.tzinfo is not None and MIN_YEAR <= only.at.astimezone(UTC).year <= MAX_YEAR


@PROPERTY
@given(
    metadata=st.dictionaries(any_text, json_or_deep, max_size=4), caller_name=st.one_of(st.none(), any_text)
)
def test_call_start_metadata_is_valid_or_a_validation_error(
    metadata: dict[str, Any], caller_name: str | None
) -> None:
    try:
        parsed = CallStart.model_validate({"metadata": metadata, "caller_name": caller_name})
    except ValidationError:
        return
    _stored_cleanly(parsed.metadata)


@PROPERTY
@given(
    name=st.sampled_from(["escalate_call", "complete_intake", "end_call", "nope"]),
    arguments=st.one_of(
        st.dictionaries(any_text, json_or_deep, max_size=5),
        json_or_deep.map(lambda value: json.dumps(value, allow_nan=True)),
        any_text,
    ),
)
def test_tool_arguments_are_valid_or_a_4xx(name: str, arguments: Any) -> None:
    try:
        call = ToolCallIn.model_validate({"name": name, "arguments": arguments})
    except ValidationError:
        return
    try:
        parsed = validate_tool_arguments(call.name, call.arguments, CONFIG)
    except AppError as exc:
        assert 400 <= exc.status_code < 500
        return
    orjson.dumps(parsed)


@PROPERTY
@given(
    if_match=st.one_of(
        any_text, unicode_digits, unicode_digits.map(lambda d: f'"{d}"'), st.integers().map(str)
    ),
    version=st.integers(min_value=1, max_value=10**6),
)
def test_any_if_match_is_accepted_or_a_4xx(if_match: str, version: int) -> None:
    try:
        _check_if_match(if_match, version)
    except AppError as exc:
        assert exc.status_code in (400, 412, 409), exc.status_code


@pytest.mark.parametrize(("depth", "ok"), [(20, True), (40, False), (5000, False)])
def test_nesting_is_bounded_in_objects_and_in_json_text(depth: int, ok: bool) -> None:
    text = "[" * depth + "]" * depth
    for arguments in ({"x": _deep(depth)}, text):
        if ok:
            ToolCallIn.model_validate({"name": "end_call", "arguments": arguments})
        else:
            with pytest.raises(ValidationError):
                ToolCallIn.model_validate({"name": "end_call", "arguments": arguments})
