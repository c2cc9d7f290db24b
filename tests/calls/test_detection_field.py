"""The transcript answer's `detection` field and the detection events, through the API: every category
that fired (high priority included) is reported with category, reason, matched and language, while
`escalation` stays as it was (emergency and human request only); cancelling contexts report nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.calls.conftest import Org, say, start


async def _detection_events(client: httpx.AsyncClient, org: Org, call_id: str) -> list[dict[str, Any]]:
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    return [e["data"] for e in detail["events"] if e["type"] == "detection"]


async def test_emergency_reports_detection_and_escalation(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", "mon mari ne respire plus"))
    assert result["escalation"]["category"] == "emergency"
    detection = result["detection"]
    assert detection["category"] == "emergency"
    assert detection["language"] == "fr"
    assert detection["matched"] and detection["reason"]
    [event] = await _detection_events(client, org, call_id)
    assert {k: event[k] for k in ("category", "reason", "matched", "language")} == detection


async def test_high_priority_reports_detection_without_escalation(
    client: httpx.AsyncClient, org: Org
) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", "a pipe burst under the kitchen sink"))
    assert result["escalation"] is None
    assert result["detection"]["category"] == "high_priority"
    assert result["detection"]["language"] == "en"
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["escalated"] is False
    [event] = await _detection_events(client, org, call_id)
    assert event["action"] == "flagged_urgent"


async def test_human_request_in_another_language_escalates(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", "cho tôi nói chuyện với người thật đi"))
    assert result["escalation"]["category"] == "human_request"
    assert result["detection"]["category"] == "human_request"
    assert result["detection"]["language"] == "vi"


async def test_routine_line_reports_no_detection(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", "quisiera una cita para el martes"))
    assert result["escalation"] is None
    assert result["detection"] is None
    assert await _detection_events(client, org, call_id) == []


@pytest.mark.parametrize(
    "text",
    [
        "the ambulance took him in on sunday, he's home and fine, we need the follow-up",
        "on that hospital show a guy went into cardiac arrest, my son wants to learn cpr",
        "the vet said come straight in if she vomits blood, she hasn't, just confirming friday",
        "my boss will murder me if I'm late",
        "what counts as an emergency after hours",
        "the form asks about past surgeries, I had my appendix out at twelve",
        "a small cut from slicing onions, it already stopped bleeding",
        "胸の痛みも息苦しさもなくて咳だけです",
    ],
)
async def test_cancelling_context_reports_nothing(client: httpx.AsyncClient, org: Org, text: str) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", text))
    assert (result["escalation"], result["detection"]) == (None, None)
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["escalated"] is False


async def test_same_context_happening_now_escalates(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    text = "he had a seizure last month and it's happening again right now, he's on the floor shaking"
    result = await say(client, org, call_id, ("caller", text))
    assert result["escalation"]["category"] == "emergency"
    assert result["detection"]["category"] == "emergency"


async def test_detection_reports_strongest_line_of_a_batch(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(
        client,
        org,
        call_id,
        ("caller", "the heat is out and it's freezing outside"),
        ("caller", "now there's smoke coming from the furnace"),
    )
    assert result["detection"]["category"] == "emergency"
    assert [e["category"] for e in await _detection_events(client, org, call_id)] == [
        "high_priority",
        "emergency",
    ]


async def test_agent_lines_report_no_detection(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("agent", "If he is not breathing, hang up and call 911."))
    assert result["detection"] is None


async def test_turn_language_from_vendor_accepted_and_validated(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    body = {"turns": [{"speaker": "caller", "text": "xin chào", "language": "vi"}]}
    response = await client.post(f"/api/calls/{call_id}/transcript", json=body, headers=org.headers)
    assert response.status_code == 200
    bad = {"turns": [{"speaker": "caller", "text": "hi", "language": "not a tag!"}]}
    response = await client.post(f"/api/calls/{call_id}/transcript", json=bad, headers=org.headers)
    assert response.status_code == 422
