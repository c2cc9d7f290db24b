"""Erasure reaches webhooks: stored outbox and delivery payloads lose the caller's words and identity, and
a delivery still pending reaches the receiver redacted (same message id)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text

from tests.calls.conftest import Org
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.webhooks.conftest import dispatcher_for, drain, register

SECRET_WORDS = ("Maria", "five five five", "a cracked tooth")


async def finished_call(api: httpx.AsyncClient, org: Org) -> str:
    started = await api.post(
        "/api/call/start",
        json={"channel": "browser", "from_number": "+15551230001", "caller_name": "Maria"},
        headers=org.headers,
    )
    call_id: str = started.json()["call_id"]
    turns = [{"speaker": "caller", "text": "my number is five five five one two three four"}]
    said = await api.post(f"/api/calls/{call_id}/transcript", json={"turns": turns}, headers=org.headers)
    assert said.status_code == 200, said.text
    intake = await api.post(
        f"/api/calls/{call_id}/tool-calls",
        json={
            "name": "complete_intake",
            "arguments": {"caller_name": "Maria", "urgency_level": "routine", "summary": "a cracked tooth"},
        },
        headers=org.headers,
    )
    assert intake.status_code == 200, intake.text
    ended = await api.post("/api/call/end", json={"call_id": call_id}, headers=org.headers)
    assert ended.status_code == 200, ended.text
    return call_id


async def stored_payloads(app: RunningApp, call_id: str) -> str:
    async with app.state.session_factory() as session:
        events = await session.scalars(
            text("SELECT data::text FROM outbox_events WHERE call_id = :c"), {"c": call_id}
        )
        deliveries = await session.scalars(
            text("SELECT payload::text FROM webhook_deliveries WHERE call_id = :c"), {"c": call_id}
        )
        return "\n".join([*events, *deliveries])


async def erase(api: httpx.AsyncClient, org: Org, call_id: str) -> None:
    response = await api.delete(f"/api/calls/{call_id}/content", headers=org.headers)
    assert response.status_code == 200, response.text


async def test_erasure_redacts_stored_payloads_of_delivered_events(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    await register(api, org, receiver.url, events=["call.ended", "intake.completed"], include_transcript=True)
    call_id = await finished_call(api, org)
    await drain(dispatcher_for(hooks_app))
    before = await stored_payloads(hooks_app, call_id)
    assert all(word in before for word in SECRET_WORDS)  # the test can fail: the words were there
    await erase(api, org, call_id)
    after = await stored_payloads(hooks_app, call_id)
    assert not any(word in after for word in SECRET_WORDS), after
    stored = after.splitlines()  # call.started, intake.completed, call.ended + 2 deliveries: rows kept
    assert len(stored) == 5 and all('"content_erased": true' in row for row in stored)
    assert call_id in after and '"status": "completed"' in after  # the tombstone's facts stay


async def test_pending_delivery_reaches_the_receiver_redacted(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url, include_transcript=True)
    call_id = await finished_call(api, org)
    dispatcher = dispatcher_for(hooks_app)
    await dispatcher.fan_out_once()  # the delivery exists, with the transcript, not yet sent
    assert "five five five" in await stored_payloads(hooks_app, call_id)
    await erase(api, org, call_id)
    await drain(dispatcher)
    [got] = receiver.received
    body = got.verify(hook["secret"])
    assert body["type"] == "call.ended" and body["data"]["content_erased"] is True
    assert body["data"]["call_id"] == call_id and body["data"]["status"] == "completed"
    assert not any(word in got.body for word in SECRET_WORDS)
    assert "transcript" not in body["data"] and "intake" not in body["data"]


async def test_erasure_leaves_other_calls_payloads_alone(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    await register(api, org, receiver.url, include_transcript=True)
    kept, erased = await finished_call(api, org), await finished_call(api, org)
    await drain(dispatcher_for(hooks_app))
    await erase(api, org, erased)
    assert "a cracked tooth" in await stored_payloads(hooks_app, kept)
    assert uuid.UUID(kept) != uuid.UUID(erased)
