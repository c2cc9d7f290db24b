"""The call decisions with one home (safety/policy.py): emergency number, transfer or call back,
category -> urgency, and the wording both channels give the model."""

from __future__ import annotations

from typing import Any

import pytest

from app.orgs.config import OrgConfig
from app.safety import policy
from tests.fixtures.factories import example_config


def config(**overrides: Any) -> OrgConfig:
    return OrgConfig.model_validate(example_config(**overrides))


@pytest.mark.parametrize(
    ("overrides", "number"),
    [
        ({"timezone": "America/Chicago"}, "911"),
        ({"timezone": "Europe/Berlin"}, "112"),
        ({"timezone": "Asia/Tokyo"}, "the local emergency number"),
        ({"timezone": "Asia/Tokyo", "emergency_number": "110"}, "110"),
    ],
)
def test_emergency_number_prefers_the_org_then_the_region(overrides: dict[str, Any], number: str) -> None:
    assert policy.emergency_number(config(**overrides)) == number


def test_only_a_phone_call_with_an_escalation_phone_transfers() -> None:
    with_phone, without = config(), config(escalation_phone=None)

    assert policy.can_transfer("phone", with_phone) is True
    assert policy.can_transfer("phone", with_phone, rest_available=False) is False
    assert policy.can_transfer("browser", with_phone) is False
    assert policy.can_transfer("phone", without) is False


def test_category_maps_to_urgency_and_urgency_only_goes_up() -> None:
    assert (policy.urgency_for("emergency"), policy.urgency_for("human_request")) == ("emergency", "urgent")
    assert policy.raised_urgency("emergency", "routine") == "emergency"
    assert policy.raised_urgency("routine", "urgent") == "urgent"
    assert policy.raised_urgency(None, "routine") == "routine"


def test_detected_emergency_wording_is_the_same_safety_line_either_way() -> None:
    org = config(timezone="America/New_York")
    transfer = policy.detected_instructions("emergency", "chest pain", org, transfer=True)
    callback = policy.detected_instructions("emergency", "chest pain", org, transfer=False)

    line = "if anyone is in danger, hang up and call 911 now"
    assert (
        line in transfer and line in callback and line in policy.client_instructions("emergency", None, org)
    )
    assert "connecting them with a person now" in transfer and "call them back" not in transfer
    assert "call them back" in callback and "connecting" not in callback


def test_escalate_tool_output_says_transfer_or_call_back() -> None:
    org = config()

    assert policy.tool_output("escalate_call", org, transfer=True)["transfer"] == "live"
    assert policy.tool_output("escalate_call", org, transfer=False)["transfer"] == "callback"
    assert policy.tool_output("end_call", org, transfer=False)["status"] == "ending"


def test_client_path_human_request_promises_a_transfer_only_with_an_escalation_phone() -> None:
    assert "connecting them" in policy.client_instructions("human_request", None, config())
    without = policy.client_instructions("human_request", None, config(escalation_phone=None))
    assert "call them back" in without and "connecting" not in without


def test_a_call_without_live_transfer_runs_with_a_call_back_config() -> None:
    forwarding = config(after_hours_policy="forward_to_escalation")
    browser = policy.without_live_transfer(forwarding)

    assert (browser.escalation_phone, browser.after_hours_policy.value) == (None, "take_message")
    assert forwarding.escalation_phone is not None  # the org's own config is untouched
    assert policy.without_live_transfer(browser) is browser
