"""The browser call lifecycle over REST: start, transcript, tools, end, read back; on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from database.models import Call, CallEvent, CallTranscript
from tests.calls.conftest import Org, end, say, start
from tests.conftest import RunningApp


async def test_start_call_returns_active_call(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.post(
        "/api/call/start", json={"channel": "browser", "metadata": {"page": "/book"}}, headers=org.headers
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "active"
    detail = (await client.get(f"/api/calls/{body['call_id']}", headers=org.headers)).json()
    assert detail["live"] is True
    assert detail["config_version"] == 1
    assert detail["prompt_hash"].startswith("sha256:")
    assert detail["metadata"] == {"page": "/book"}
    assert [e["type"] for e in detail["events"]] == ["call_started"]


async def test_start_call_rejects_bad_input(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.post(
        "/api/call/start", json={"channel": "fax", "from_number": "12"}, headers=org.headers
    )
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["error"]["details"]} == {"channel", "from_number"}


async def test_start_call_rejects_oversized_metadata(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.post(
        "/api/call/start", json={"metadata": {"blob": "x" * 5000}}, headers=org.headers
    )
    assert response.status_code == 422


async def test_transcript_appends_in_order_and_ignores_repeated_seq(
    client: httpx.AsyncClient, org: Org
) -> None:
    call_id = await start(client, org)
    body = {
        "turns": [
            {"speaker": "agent", "text": "Hello", "seq": 0},
            {"speaker": "caller", "text": "Hi", "seq": 1},
        ]
    }
    first = await client.post(f"/api/calls/{call_id}/transcript", json=body, headers=org.headers)
    again = await client.post(f"/api/calls/{call_id}/transcript", json=body, headers=org.headers)
    assert first.json()["accepted"] == [0, 1]
    assert again.json()["accepted"] == []
    await say(client, org, call_id, ("caller", "I need a cleaning"))
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert [(t["seq"], t["text"]) for t in detail["transcript"]] == [
        (0, "Hello"),
        (1, "Hi"),
        (2, "I need a cleaning"),
    ]


async def test_transcript_with_bad_turns_is_422(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    body = {
        "turns": [
            {"speaker": "robot", "text": ""},
            {"speaker": "caller", "text": "x", "at": "2026-01-01T10:00"},
        ]
    }
    response = await client.post(f"/api/calls/{call_id}/transcript", json=body, headers=org.headers)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"turns.0.speaker", "turns.0.text", "turns.1.at"} <= fields


async def test_caller_emergency_escalates_and_records_event(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(
        client, org, call_id, ("agent", "How can I help?"), ("caller", "my husband has chest pain")
    )
    escalation = result["escalation"]
    assert escalation["category"] == "emergency"
    assert "911" in escalation["instructions"]
    assert escalation["matched"]
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["escalated"] is True and detail["escalation_urgency"] == "emergency"
    [event] = [e for e in detail["events"] if e["type"] == "detection"]
    assert event["data"]["category"] == "emergency"
    assert event["data"]["turn_seq"] == 1
    assert event["data"]["action"] == "escalated"


async def test_agent_lines_are_not_checked_for_emergencies(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("agent", "If you have chest pain, hang up and call 911."))
    assert result["escalation"] is None


async def test_org_keyword_fires_emergency(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", "I have jaw swelling since this morning"))
    assert result["escalation"]["category"] == "emergency"


async def test_negated_symptom_does_not_escalate(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", "no chest pain, I just need a cleaning"))
    assert result["escalation"] is None
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["escalated"] is False


async def test_human_request_escalates_as_urgent(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", "can I talk to a real person please"))
    assert result["escalation"]["category"] == "human_request"
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["escalation_urgency"] == "urgent"


async def test_retried_transcript_still_reports_escalation_once_recorded(
    client: httpx.AsyncClient, org: Org
) -> None:
    call_id = await start(client, org)
    body = {"turns": [{"speaker": "caller", "text": "he is not breathing", "seq": 0}]}
    first = await client.post(f"/api/calls/{call_id}/transcript", json=body, headers=org.headers)
    retry = await client.post(f"/api/calls/{call_id}/transcript", json=body, headers=org.headers)
    assert first.json()["escalation"]["category"] == "emergency"
    assert retry.json()["escalation"]["category"] == "emergency"
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert len([e for e in detail["events"] if e["type"] == "detection"]) == 1


async def test_escalate_tool_marks_call_escalated(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    response = await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "escalate_call", "arguments": '{"reason": "severe pain", "urgency": "urgent"}'},
        headers=org.headers,
    )
    assert response.status_code == 200
    assert response.json()["output"]["status"] == "escalated"
    assert response.json()["output"]["transfer"] == "live"
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["escalated"] is True
    assert detail["escalation_reason"] == "severe pain"
    assert detail["escalation_urgency"] == "urgent"


async def test_complete_intake_stores_structured_intake(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    args = {
        "caller_name": "Ana Ruiz",
        "visit_type": "new",
        "urgency_level": "routine",
        "summary": "New patient cleaning",
    }
    response = await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "complete_intake", "arguments": args},
        headers=org.headers,
    )
    assert response.status_code == 200
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["intake"]["data"] == {"caller_name": "Ana Ruiz", "visit_type": "new"}
    assert detail["intake"]["urgency"] == "routine"
    assert detail["urgency"] == "routine"


async def test_tool_call_with_invalid_arguments_names_fields(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    args = {"visit_type": "returning", "urgency_level": "whenever", "summary": "x", "shoe_size": 9}
    response = await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "complete_intake", "arguments": args},
        headers=org.headers,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_tool_arguments"
    assert {"caller_name", "visit_type", "urgency_level", "shoe_size"} <= {
        d["field"] for d in error["details"]
    }
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["intake"] is None


async def test_unknown_tool_is_422(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    response = await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "book_appointment", "arguments": {}},
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_tool"


async def test_repeated_tool_call_id_applies_once(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    body = {"name": "end_call", "arguments": {"reason": "done"}, "tool_call_id": "call_abc"}
    first = await client.post(f"/api/calls/{call_id}/tool-calls", json=body, headers=org.headers)
    second = await client.post(f"/api/calls/{call_id}/tool-calls", json=body, headers=org.headers)
    assert first.json()["repeated"] is False
    assert second.json() == {**first.json(), "repeated": True}
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["status"] == "ending"
    assert len([e for e in detail["events"] if e["type"] == "end_requested"]) == 1


async def test_end_moves_call_to_postgres_in_full(
    client: httpx.AsyncClient, org: Org, app: RunningApp
) -> None:
    call_id = await start(client, org, from_number="+15551230000")
    await say(client, org, call_id, ("agent", "Hello"), ("caller", "I need a cleaning"))
    args = {"caller_name": "Ana", "urgency_level": "routine", "summary": "cleaning"}
    await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "complete_intake", "arguments": args},
        headers=org.headers,
    )
    response = await end(client, org, call_id, "caller_hung_up")
    assert response.status_code == 200, response.text
    ended = response.json()
    assert ended["status"] == "completed" and ended["live"] is False
    assert ended["end_reason"] == "caller_hung_up"
    assert ended["duration_seconds"] >= 0
    stored = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert stored["live"] is False
    assert [t["text"] for t in stored["transcript"]] == ["Hello", "I need a cleaning"]
    assert stored["intake"]["data"] == {"caller_name": "Ana"}
    assert stored["from_number"] == "+15551230000"
    assert [e["type"] for e in stored["events"]] == ["call_started", "intake_completed", "call_ended"]
    assert {key: stored[key] for key in ended} == ended
    assert "transcript" not in ended and "intake" not in ended, (
        "end needs only calls:write; details need calls:read"
    )
    assert await app.state.live_store.snapshot(call_id) is None


async def test_end_twice_returns_same_call_and_writes_once(
    client: httpx.AsyncClient, org: Org, app: RunningApp
) -> None:
    call_id = await start(client, org)
    await say(client, org, call_id, ("caller", "hello"))
    first = await end(client, org, call_id)
    second = await end(client, org, call_id)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    async with app.state.session_factory() as session:
        calls = await session.scalar(select(func.count()).select_from(Call))
        turns = await session.scalar(select(func.count()).select_from(CallTranscript))
        events = await session.scalar(select(func.count()).select_from(CallEvent))
    assert (calls, turns, events) == (1, 1, 2)


async def test_concurrent_ends_write_once(client: httpx.AsyncClient, org: Org, app: RunningApp) -> None:
    call_id = await start(client, org)
    await say(client, org, call_id, *[("caller", f"line {i}") for i in range(200)])
    responses = await asyncio.gather(*(end(client, org, call_id) for _ in range(8)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["ended_at"] for r in responses}) == 1
    async with app.state.session_factory() as session:
        turns = await session.scalar(select(func.count()).select_from(CallTranscript))
    assert turns == 200


async def test_calls_on_ended_call_are_409(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    await end(client, org, call_id)
    transcript = await client.post(
        f"/api/calls/{call_id}/transcript",
        json={"turns": [{"speaker": "caller", "text": "hi"}]},
        headers=org.headers,
    )
    tool = await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "end_call", "arguments": {"reason": "x"}},
        headers=org.headers,
    )
    assert transcript.status_code == tool.status_code == 409
    assert transcript.json()["error"]["code"] == "call_already_ended"


async def test_unknown_call_is_404(client: httpx.AsyncClient, org: Org) -> None:
    unknown = "7b0e3b1e-0000-4000-8000-000000000000"
    for response in (
        await client.get(f"/api/calls/{unknown}", headers=org.headers),
        await client.get("/api/calls/not-a-uuid", headers=org.headers),
        await end(client, org, unknown),
        await client.post(
            f"/api/calls/{unknown}/transcript",
            json={"turns": [{"speaker": "caller", "text": "x"}]},
            headers=org.headers,
        ),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "call_not_found"


async def test_end_with_bad_body_is_422(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.post("/api/call/end", json={"call_id": "nope"}, headers=org.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "call_id"


async def test_config_change_applies_to_detection_at_once(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    assert (await say(client, org, call_id, ("caller", "my crown fell off")))["escalation"] is None
    patched = await client.patch(
        f"/api/org/config/{org.id}", json={"emergency_keywords": ["crown fell off"]}, headers=org.headers
    )
    assert patched.status_code == 200
    result = await say(client, org, call_id, ("caller", "my crown fell off again"))
    assert result["escalation"]["category"] == "emergency"


async def test_urgency_only_rises_after_an_emergency(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    await say(client, org, call_id, ("caller", "he collapsed and is not breathing"))
    args = {"caller_name": "Lu", "urgency_level": "routine", "summary": "collapse"}
    await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "complete_intake", "arguments": args},
        headers=org.headers,
    )
    ended = (await end(client, org, call_id)).json()
    assert ended["urgency"] == "emergency"
    listed = (await client.get("/api/calls", params={"urgency": "emergency"}, headers=org.headers)).json()
    assert [c["call_id"] for c in listed["items"]] == [call_id]
    stored = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert stored["intake"]["urgency"] == "routine"
