"""Every OrgConfig rule, each with an input that breaks it, and the field the error names."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.errors import validation_details
from app.orgs.config import OrgConfig
from tests.fixtures.factories import example_config

BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown_timezone", {"timezone": "America/Atlantis"}, "timezone"),
    ("missing_timezone", {"timezone": None}, "timezone"),
    (
        "bad_hhmm",
        {"business_hours": {"monday": [{"open": "8am", "close": "17:00"}]}},
        "business_hours.monday.0.open",
    ),
    (
        "hour_25",
        {"business_hours": {"monday": [{"open": "08:00", "close": "25:00"}]}},
        "business_hours.monday.0.close",
    ),
    (
        "open_after_close",
        {"business_hours": {"friday": [{"open": "17:00", "close": "08:00"}]}},
        "business_hours.friday.0",
    ),
    (
        "open_equals_close",
        {"business_hours": {"friday": [{"open": "09:00", "close": "09:00"}]}},
        "business_hours.friday.0",
    ),
    (
        "overlapping_ranges",
        {
            "business_hours": {
                "monday": [{"open": "08:00", "close": "12:00"}, {"open": "11:00", "close": "13:00"}]
            }
        },
        "business_hours.monday",
    ),
    ("unknown_weekday", {"business_hours": {"funday": []}}, "business_hours.funday"),
    ("holiday_bad_date", {"holidays": [{"date": "2026-02-30"}]}, "holidays.0.date"),
    ("holiday_twice", {"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25"}]}, "holidays"),
    (
        "holiday_hours_overlap",
        {
            "holidays": [
                {
                    "date": "2026-12-24",
                    "hours": [{"open": "08:00", "close": "10:00"}, {"open": "09:00", "close": "11:00"}],
                }
            ]
        },
        "holidays.0.hours",
    ),
    ("bad_policy", {"after_hours_policy": "voicemail"}, "after_hours_policy"),
    ("empty_service", {"services_offered": ["cleaning", "  "]}, "services_offered.1"),
    ("bad_escalation_phone", {"escalation_phone": "(555) 555-0100"}, "escalation_phone"),
    ("forward_without_phone", {"after_hours_policy": "forward_to_escalation", "escalation_phone": None}, ""),
    ("empty_emergency_keyword", {"emergency_keywords": [""]}, "emergency_keywords.0"),
    ("empty_high_priority_keyword", {"high_priority_keywords": ["   "]}, "high_priority_keywords.0"),
    (
        "field_name_not_identifier",
        {"intake_fields": [{"name": "Caller Name", "label": "Name"}]},
        "intake_fields.0.name",
    ),
    (
        "field_name_reserved",
        {"intake_fields": [{"name": "summary", "label": "Summary"}]},
        "intake_fields.0.name",
    ),
    (
        "field_type_unknown",
        {"intake_fields": [{"name": "dob", "label": "DOB", "type": "datetime"}]},
        "intake_fields.0.type",
    ),
    (
        "enum_without_options",
        {"intake_fields": [{"name": "kind", "label": "Kind", "type": "enum"}]},
        "intake_fields.0",
    ),
    (
        "options_on_string",
        {"intake_fields": [{"name": "kind", "label": "Kind", "type": "string", "options": ["a"]}]},
        "intake_fields.0",
    ),
    (
        "duplicate_options",
        {"intake_fields": [{"name": "kind", "label": "Kind", "type": "enum", "options": ["a", "a"]}]},
        "intake_fields.0",
    ),
    (
        "duplicate_field_names",
        {"intake_fields": [{"name": "a", "label": "A"}, {"name": "a", "label": "A again"}]},
        "intake_fields",
    ),
    ("empty_label", {"intake_fields": [{"name": "a", "label": ""}]}, "intake_fields.0.label"),
    ("empty_greeting", {"greeting": ""}, "greeting"),
    ("bad_language", {"language": "english"}, "language"),
    ("unknown_top_level_field", {"favourite_colour": "blue"}, "favourite_colour"),
    ("unknown_realtime_field", {"realtime": {"temperature": 0.8}}, "realtime.temperature"),
    ("bad_emergency_number", {"emergency_number": "nine-one-one"}, "emergency_number"),
]


@pytest.mark.parametrize(("case", "change", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_config_rule_rejects_bad_input_naming_field(case: str, change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        OrgConfig.model_validate(example_config(**change))
    fields = {d["field"] for d in validation_details(info.value.errors())}
    assert field in fields, (case, fields)


def test_example_config_is_valid() -> None:
    config = OrgConfig.model_validate(example_config())
    assert config.business_hours.monday[1].open == "13:00"
    assert config.business_hours.sunday == []


def test_minimal_config_needs_only_timezone() -> None:
    config = OrgConfig.model_validate({"timezone": "Europe/Madrid"})
    assert config.after_hours_policy.value == "take_message"
    assert config.realtime.model is None


def test_ranges_touching_at_boundary_are_allowed() -> None:
    hours = {"monday": [{"open": "08:00", "close": "12:00"}, {"open": "12:00", "close": "24:00"}]}
    config = OrgConfig.model_validate(example_config(business_hours=hours))
    assert len(config.business_hours.monday) == 2


def test_keywords_are_whitespace_normalized() -> None:
    config = OrgConfig.model_validate(example_config(emergency_keywords=["  jaw   swelling "]))
    assert config.emergency_keywords == ["jaw swelling"]
