"""The Realtime function tools: their GA shape, the schema per intake field type, argument checking."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.orgs.config import OrgConfig
from app.safety.errors import InvalidToolArguments, UnknownTool
from app.safety.tools import TOOL_NAMES, tool_definitions, validate_tool_arguments
from tests.fixtures.factories import EXAMPLE_CONFIG

EXAMPLE: dict[str, Any] = EXAMPLE_CONFIG

ALL_TYPES: list[dict[str, Any]] = [
    {"name": "caller_name", "label": "Your name", "type": "string", "required": True},
    {"name": "callback_phone", "label": "Callback number", "type": "phone", "required": True},
    {"name": "birth_date", "label": "Date of birth", "type": "date"},
    {"name": "email", "label": "Email", "type": "email"},
    {"name": "visit_type", "label": "Visit type", "type": "enum", "options": ["new", "existing"]},
    {"name": "insured", "label": "Has insurance", "type": "boolean"},
    {"name": "pets", "label": "Number of pets", "type": "number"},
]

VALID_INTAKE = {"caller_name": "Ada", "urgency_level": "routine", "summary": "Ada wants a cleaning."}


def _config(**overrides: Any) -> OrgConfig:
    return OrgConfig.model_validate({**EXAMPLE, **overrides})


def _tool(config: OrgConfig, name: str) -> dict[str, Any]:
    return next(tool for tool in tool_definitions(config) if tool["name"] == name)


def _fields(exc: pytest.ExceptionInfo[InvalidToolArguments]) -> list[str]:
    return [detail["field"] for detail in exc.value.details]


def test_tool_definitions_are_the_three_tools_in_order() -> None:
    tools = tool_definitions(_config())

    assert [tool["name"] for tool in tools] == list(TOOL_NAMES)
    assert TOOL_NAMES == ("escalate_call", "complete_intake", "end_call")


def test_tool_definitions_use_flat_ga_shape() -> None:
    for tool in tool_definitions(_config()):
        assert list(tool) == ["type", "name", "description", "parameters"]
        assert tool["type"] == "function"
        assert tool["description"]
        assert tool["parameters"]["type"] == "object"
        assert tool["parameters"]["additionalProperties"] is False


def test_complete_intake_schema_is_exact_for_example_config() -> None:
    parameters = _tool(_config(), "complete_intake")["parameters"]

    assert parameters == {
        "type": "object",
        "properties": {
            "caller_name": {"type": "string", "description": "Your name"},
            "visit_type": {"type": "string", "enum": ["new", "existing"], "description": "Visit type"},
            "urgency_level": {
                "type": "string",
                "enum": ["emergency", "urgent", "routine"],
                "description": "emergency, urgent or routine, as judged from what the caller said.",
            },
            "summary": {
                "type": "string",
                "minLength": 1,
                "maxLength": 300,
                "pattern": "^[^\\r\\n]+$",
                "description": "One line for the staff who call back: who is calling and why.",
            },
        },
        "required": ["caller_name", "urgency_level", "summary"],
        "additionalProperties": False,
    }


def test_escalate_call_schema_requires_reason_and_urgency() -> None:
    parameters = _tool(_config(), "escalate_call")["parameters"]

    assert parameters["required"] == ["reason", "urgency"]
    assert parameters["properties"]["reason"]["minLength"] == 1
    assert parameters["properties"]["urgency"]["enum"] == ["emergency", "urgent"]


def test_end_call_schema_requires_reason() -> None:
    parameters = _tool(_config(), "end_call")["parameters"]

    assert parameters["required"] == ["reason"]
    assert parameters["properties"]["reason"]["type"] == "string"


def test_escalate_call_description_promises_transfer_when_phone_set() -> None:
    description = _tool(_config(), "escalate_call")["description"]

    assert "connecting them with a person now" in description
    assert "Call immediately when the caller describes an emergency" in description


def test_escalate_call_description_promises_callback_when_no_phone() -> None:
    description = _tool(_config(escalation_phone=None), "escalate_call")["description"]

    assert "call them back as soon as possible" in description
    assert "connecting them" not in description


def test_complete_intake_enum_field_lists_its_options() -> None:
    config = _config(
        intake_fields=[{"name": "pet", "label": "Pet", "type": "enum", "options": ["dog", "cat", "bird"]}]
    )

    assert _tool(config, "complete_intake")["parameters"]["properties"]["pet"]["enum"] == [
        "dog",
        "cat",
        "bird",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("caller_name", {"type": "string", "description": "Your name"}),
        (
            "birth_date",
            {
                "type": "string",
                "format": "date",
                "pattern": r"^\d{4}-\d{2}-\d{2}$",
                "description": "Date of birth",
            },
        ),
        (
            "email",
            {
                "type": "string",
                "format": "email",
                "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                "description": "Email",
            },
        ),
        ("visit_type", {"type": "string", "enum": ["new", "existing"], "description": "Visit type"}),
        ("insured", {"type": "boolean", "description": "Has insurance"}),
        ("pets", {"type": "number", "description": "Number of pets"}),
    ],
)
def test_complete_intake_maps_field_type_to_schema(name: str, expected: dict[str, Any]) -> None:
    properties = _tool(_config(intake_fields=ALL_TYPES), "complete_intake")["parameters"]["properties"]

    assert properties[name] == expected


def test_complete_intake_maps_phone_to_pattern_with_description() -> None:
    properties = _tool(_config(intake_fields=ALL_TYPES), "complete_intake")["parameters"]["properties"]

    phone = properties["callback_phone"]
    assert phone["type"] == "string"
    assert phone["pattern"] == r"^\+?[0-9]{7,15}$"
    assert phone["description"].startswith("Callback number")


def test_complete_intake_requires_org_required_fields_in_order_then_reserved() -> None:
    parameters = _tool(_config(intake_fields=ALL_TYPES), "complete_intake")["parameters"]

    assert parameters["required"] == ["caller_name", "callback_phone", "urgency_level", "summary"]
    assert list(parameters["properties"])[:7] == [field["name"] for field in ALL_TYPES]


def test_tool_definitions_identical_json_for_equal_configs() -> None:
    first = json.dumps(tool_definitions(_config(intake_fields=ALL_TYPES)))
    second = json.dumps(tool_definitions(OrgConfig.model_validate({**EXAMPLE, "intake_fields": ALL_TYPES})))

    assert first == second


def test_tool_definitions_returns_fresh_objects() -> None:
    config = _config()
    tool_definitions(config)[1]["parameters"]["required"].append("tampered")

    assert "tampered" not in tool_definitions(config)[1]["parameters"]["required"]


def test_validate_returns_arguments_when_valid() -> None:
    assert validate_tool_arguments("complete_intake", VALID_INTAKE, _config()) == VALID_INTAKE


def test_validate_parses_json_string() -> None:
    arguments = json.dumps({"reason": "caller has chest pain", "urgency": "emergency"})

    assert validate_tool_arguments("escalate_call", arguments, _config()) == {
        "reason": "caller has chest pain",
        "urgency": "emergency",
    }


def test_validate_names_missing_required_fields() -> None:
    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("complete_intake", {"visit_type": "new"}, _config())

    assert _fields(exc) == ["caller_name", "summary", "urgency_level"]
    assert exc.value.status_code == 422
    assert exc.value.code == "invalid_tool_arguments"


def test_validate_names_field_with_wrong_type() -> None:
    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("complete_intake", {**VALID_INTAKE, "caller_name": 42}, _config())

    assert exc.value.details == [{"field": "caller_name", "message": "must be of type string"}]


def test_validate_names_field_with_bad_enum_value() -> None:
    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("complete_intake", {**VALID_INTAKE, "visit_type": "returning"}, _config())

    assert exc.value.details == [{"field": "visit_type", "message": "must be one of: new, existing"}]


def test_validate_names_extra_property() -> None:
    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("complete_intake", {**VALID_INTAKE, "ssn": "123", "age": 4}, _config())

    assert _fields(exc) == ["age", "ssn"]


def test_validate_names_bad_phone_without_echoing_it() -> None:
    config = _config(intake_fields=ALL_TYPES)
    arguments = {**VALID_INTAKE, "callback_phone": "555-0100 ext 9"}

    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("complete_intake", arguments, config)

    assert _fields(exc) == ["callback_phone"]
    assert "555" not in json.dumps(exc.value.details)


@pytest.mark.parametrize("value", ["next tuesday", "2026-02-30", "26-1-5"])
def test_validate_names_bad_date(value: str) -> None:
    config = _config(intake_fields=ALL_TYPES)
    arguments = {**VALID_INTAKE, "callback_phone": "+15555550100", "birth_date": value}

    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("complete_intake", arguments, config)

    assert exc.value.details == [
        {"field": "birth_date", "message": "must be a real date written as YYYY-MM-DD"}
    ]


def test_validate_accepts_every_type_when_well_formed() -> None:
    arguments = {
        **VALID_INTAKE,
        "callback_phone": "+15555550100",
        "birth_date": "1990-04-01",
        "email": "ada@example.com",
        "visit_type": "existing",
        "insured": True,
        "pets": 2,
    }

    assert (
        validate_tool_arguments("complete_intake", arguments, _config(intake_fields=ALL_TYPES)) == arguments
    )


def test_validate_names_bad_email() -> None:
    config = _config(intake_fields=ALL_TYPES)
    arguments = {**VALID_INTAKE, "callback_phone": "+15555550100", "email": "ada at example"}

    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("complete_intake", arguments, config)

    assert set(_fields(exc)) == {"email"}


def test_validate_rejects_multi_line_summary() -> None:
    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments(
            "complete_intake", {**VALID_INTAKE, "summary": "line one\nline two"}, _config()
        )

    assert _fields(exc) == ["summary"]


def test_validate_collects_all_errors_at_once() -> None:
    arguments = {"caller_name": 1, "visit_type": "x", "urgency_level": "meh", "extra": True}

    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("complete_intake", arguments, _config())

    assert _fields(exc) == ["caller_name", "extra", "summary", "urgency_level", "visit_type"]


def test_validate_rejects_invalid_json() -> None:
    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("end_call", '{"reason": ', _config())

    assert _fields(exc) == [""]
    assert "not valid JSON" in exc.value.details[0]["message"]


def test_validate_rejects_json_that_is_not_an_object() -> None:
    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("end_call", '["done"]', _config())

    assert exc.value.details == [{"field": "", "message": "arguments must be a JSON object"}]


def test_validate_rejects_nan_in_json_string() -> None:
    config = _config(intake_fields=ALL_TYPES)

    with pytest.raises(InvalidToolArguments):
        validate_tool_arguments("complete_intake", '{"pets": NaN}', config)


def test_validate_rejects_unknown_tool() -> None:
    with pytest.raises(UnknownTool) as exc:
        validate_tool_arguments("transfer_money", {}, _config())

    assert exc.value.status_code == 422
    assert exc.value.code == "unknown_tool"
    assert exc.value.details[0]["field"] == "name"
    assert "escalate_call, complete_intake, end_call" in exc.value.details[0]["message"]


def test_validate_follows_config_when_intake_fields_change() -> None:
    # The validator cache is keyed on the schema, so a changed config must not reuse the old one.
    validate_tool_arguments("complete_intake", VALID_INTAKE, _config())
    stricter = _config(
        intake_fields=[*EXAMPLE["intake_fields"], {"name": "pet", "label": "Pet", "required": True}]
    )

    with pytest.raises(InvalidToolArguments) as exc:
        validate_tool_arguments("complete_intake", VALID_INTAKE, stricter)

    assert _fields(exc) == ["pet"]
