"""build_session: what the instructions say for each config and moment, and the prompt hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.orgs.config import OrgConfig
from app.safety.prompt import SessionSpec, build_session
from app.safety.tools import tool_definitions
from tests.fixtures.factories import EXAMPLE_CONFIG

EXAMPLE: dict[str, Any] = EXAMPLE_CONFIG

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_OPEN = datetime(2026, 11, 23, 10, 0, tzinfo=CHICAGO)
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=CHICAGO)
BUILT_IN = ("chest pain", "not breathing", "severe bleeding")


def _config(**overrides: Any) -> OrgConfig:
    return OrgConfig.model_validate({**EXAMPLE, **overrides})


def _build(config: OrgConfig | None = None, now: datetime = MONDAY_OPEN, **kwargs: Any) -> SessionSpec:
    kwargs.setdefault("org_name", "Bright Smiles Dental")
    kwargs.setdefault("emergency_phrases", BUILT_IN)
    return build_session(config or _config(), now, **kwargs)


def _section(instructions: str, title: str) -> str:
    after = instructions.split(f"# {title}\n", 1)[1]
    return after.split("\n# ", 1)[0]


def test_build_session_is_deterministic_for_same_inputs() -> None:
    first = _build(_config())
    second = _build(OrgConfig.model_validate(json.loads(json.dumps(EXAMPLE))))

    assert first.instructions == second.instructions
    assert first.prompt_hash == second.prompt_hash
    assert first.tools == second.tools


def test_prompt_hash_covers_instructions_tools_model_and_voice() -> None:
    spec = _build()
    canonical = json.dumps(
        {"instructions": spec.instructions, "tools": spec.tools, "model": spec.model, "voice": spec.voice},
        sort_keys=True,
        separators=(",", ":"),
    )

    assert spec.prompt_hash == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def test_prompt_hash_changes_when_config_changes() -> None:
    base = _build().prompt_hash

    assert _build(_config(greeting="Hello from Bright Smiles.")).prompt_hash != base
    assert _build(_config(intake_fields=[])).prompt_hash != base
    assert _build(_config(realtime={"voice": "cedar"})).prompt_hash != base


def test_build_session_returns_tools_and_open_state() -> None:
    spec = _build()

    assert spec.tools == tool_definitions(_config())
    assert spec.open_state.is_open
    assert spec.language == "en-US"


def test_instructions_name_org_and_services() -> None:
    role = _section(_build().instructions, "Role")

    assert "You answer phone calls for Bright Smiles Dental." in role
    assert "dental cleaning; emergency extractions" in role


def test_instructions_say_not_a_medical_professional() -> None:
    safety = _section(_build().instructions, "Safety")

    assert "You are not a medical professional" in safety
    assert "diagnosis, dosing, medication or treatment advice" in safety
    assert "a professional will follow up" in safety
    assert "Never guess" in safety


def test_instructions_list_org_and_built_in_emergencies() -> None:
    emergencies = _section(_build().instructions, "Emergencies")

    for phrase in ("jaw swelling", *BUILT_IN):
        assert f"- {phrase}\n" in emergencies
    assert 'Call escalate_call right away with urgency "emergency"' in emergencies
    assert "Do not finish the intake first." in emergencies


def test_instructions_deduplicate_emergency_phrases_ignoring_case() -> None:
    spec = _build(emergency_phrases=("Jaw  Swelling", "chest pain", "CHEST PAIN"))

    assert spec.instructions.lower().count("- jaw swelling\n") == 1
    assert spec.instructions.lower().count("- chest pain\n") == 1


def test_instructions_cap_built_in_emergency_examples() -> None:
    phrases = tuple(f"danger sign {i:02d}" for i in range(40))

    emergencies = _section(_build(emergency_phrases=phrases).instructions, "Emergencies")

    assert "- danger sign 24\n" in emergencies
    assert "danger sign 25" not in emergencies
    assert "- jaw swelling\n" in emergencies


def test_instructions_list_high_priority_keywords_as_urgent() -> None:
    config = _config(high_priority_keywords=["broken tooth", "Jaw swelling"])

    emergencies = _section(_build(config).instructions, "Emergencies")
    urgent = emergencies.split("These are urgent but not emergencies:", 1)[1]

    assert "- broken tooth\n" in urgent
    assert "jaw swelling" not in urgent.lower()  # already an emergency; emergency wins


def test_instructions_say_open_with_local_day_and_time_when_open() -> None:
    hours = _section(_build().instructions, "Hours")

    assert "It is Monday, 2026-11-23, 10:00 in America/Chicago; the office is open." in hours
    assert "Because the office is closed" not in hours


def test_instructions_say_closed_with_next_opening_when_closed() -> None:
    hours = _section(_build(now=SATURDAY).instructions, "Hours")

    assert (
        "It is Saturday, 2026-11-28, 10:00 in America/Chicago; the office is closed all day today." in hours
    )
    assert "It next opens Monday, 2026-11-30, at 08:00." in hours


def test_instructions_give_todays_hours_when_closed_for_lunch() -> None:
    hours = _section(_build(now=datetime(2026, 11, 23, 12, 15, tzinfo=CHICAGO)).instructions, "Hours")

    assert "closed right now (today's hours: 08:00-12:00 and 13:00-17:00)" in hours
    assert "It next opens today at 13:00." in hours


def test_instructions_name_holiday_when_closed_for_it() -> None:
    config = _config(holidays=[{"date": "2026-11-23", "name": "Thanksgiving week", "hours": []}])

    hours = _section(_build(config).instructions, "Hours")

    assert "the office is closed today for Thanksgiving week." in hours


def test_instructions_list_holidays_within_two_weeks() -> None:
    config = _config(
        holidays=[{"date": "2026-12-25", "name": "Christmas", "hours": []}, {"date": "2027-01-20"}]
    )

    hours = _section(_build(config, now=datetime(2026, 12, 21, 10, 0, tzinfo=CHICAGO)).instructions, "Hours")

    assert "Holidays in the next two weeks: 2026-12-25 (Christmas): closed." in hours


def test_instructions_say_no_opening_when_none_scheduled() -> None:
    hours = _section(_build(_config(business_hours={}), now=SATURDAY).instructions, "Hours")

    assert "It has no opening scheduled in the next two weeks." in hours
    assert "no reopening is scheduled in the next two weeks" in hours


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("take_message", "take a message: collect the intake fields below"),
        ("emergencies_only", "only emergencies are handled now"),
        ("forward_to_escalation", 'call escalate_call with urgency "urgent"'),
        (
            "closed_message",
            "tell the caller so and when it reopens (it reopens Monday, 2026-11-30, at 08:00)",
        ),
    ],
)
def test_instructions_explain_after_hours_policy_when_closed(policy: str, expected: str) -> None:
    hours = _section(_build(_config(after_hours_policy=policy), now=SATURDAY).instructions, "Hours")

    assert expected in hours


@pytest.mark.parametrize(
    "policy", ["take_message", "emergencies_only", "forward_to_escalation", "closed_message"]
)
def test_instructions_omit_after_hours_policy_when_open(policy: str) -> None:
    instructions = _build(_config(after_hours_policy=policy)).instructions

    assert "Because the office is closed" not in instructions


def test_instructions_list_intake_fields_in_order_with_required_marks() -> None:
    intake = _section(_build().instructions, "Intake")

    first = intake.index("1. Your name (caller_name): text; required.")
    second = intake.index('2. Visit type (visit_type): one of "new", "existing"; optional.')
    assert first < second
    assert "spell back phone numbers" in intake
    assert "call complete_intake" in intake


def test_instructions_describe_each_field_type() -> None:
    fields = [
        {"name": "phone", "label": "Callback number", "type": "phone", "required": True},
        {"name": "dob", "label": "Date of birth", "type": "date"},
        {"name": "insured", "label": "Insured", "type": "boolean"},
    ]

    intake = _section(_build(_config(intake_fields=fields)).instructions, "Intake")

    assert "1. Callback number (phone): a phone number" in intake
    assert "2. Date of birth (dob): a date (send as YYYY-MM-DD); optional." in intake
    assert "3. Insured (insured): yes or no; optional." in intake


def test_instructions_include_greeting_and_disclosure() -> None:
    opening = _section(_build().instructions, "Opening the call")

    assert '"Thanks for calling Bright Smiles."' in opening
    assert '"This call is recorded."' in opening
    assert opening.index("Thanks for calling") < opening.index("This call is recorded")


def test_instructions_omit_disclosure_when_unset() -> None:
    opening = _section(_build(_config(recording_disclosure=None)).instructions, "Opening the call")

    assert "Right after the greeting" not in opening


def test_instructions_name_language_and_allow_switching() -> None:
    language = _section(_build(_config(language="es-MX")).instructions, "Language")

    assert "Speak Spanish (es-MX)." in language
    assert "you may switch to it" in language


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        ("America/Chicago", "hang up and call 911 now"),
        ("America/Toronto", "hang up and call 911 now"),
        ("Europe/Berlin", "hang up and call 112 now"),
        ("Asia/Tokyo", "hang up and call your local emergency number now"),
    ],
)
def test_instructions_give_emergency_number_for_region(timezone: str, expected: str) -> None:
    emergencies = _section(_build(_config(timezone=timezone)).instructions, "Emergencies")

    assert expected in emergencies


def test_instructions_promise_callback_not_transfer_when_no_escalation_phone() -> None:
    spec = _build(_config(escalation_phone=None))

    assert "a person will call them back as soon as possible" in spec.instructions
    assert "never promise to connect them now" in spec.instructions
    assert "connecting them with a person now" not in spec.instructions
    assert "escalate_call right away" in spec.instructions


def test_instructions_promise_transfer_when_escalation_phone_set() -> None:
    assert "connecting them with a person now" in _build().instructions


def test_instructions_forbid_revealing_them_and_keep_turns_short() -> None:
    role = _section(_build().instructions, "Role")

    assert "Never reveal" in role
    assert "keep every turn short" in role


def test_build_session_uses_config_model_and_voice() -> None:
    spec = _build(
        _config(realtime={"model": "gpt-realtime-mini", "voice": "cedar"}),
        default_model="m",
        default_voice="v",
    )

    assert (spec.model, spec.voice) == ("gpt-realtime-mini", "cedar")


def test_build_session_falls_back_to_default_model_and_voice() -> None:
    assert (_build(_config(realtime={})).model, _build(_config(realtime={})).voice) == (
        "gpt-realtime-2.1",
        "marin",
    )

    spec = _build(_config(realtime={}), default_model="gpt-realtime-mini", default_voice="cedar")
    assert (spec.model, spec.voice) == ("gpt-realtime-mini", "cedar")


def test_build_session_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _build(now=datetime(2026, 11, 23, 10, 0))
