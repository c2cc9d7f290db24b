"""Outbox events written while a call is live: a pager hears of an emergency during the call, not after.

Also `call.transfer_finished` from Twilio's dial action, and the dispatcher running in the app.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from app.events import outbox
from app.events.transfers import transfer_data
from database.models import OutboxEvent
from tests.calls.conftest import Org, end, say, start
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.fixtures.factories import create_org_with_key
from tests.telephony.conftest import ALWAYS_CLOSED, RigFactory, rig_factory  # noqa: F401 (fixture)
from tests.webhooks.conftest import dispatcher_for, drain, hook_settings, register

LIVE_EVENTS = ["call.started", "call.escalated", "intake.completed", "call.ended"]


async def test_escalation_is_delivered_while_the_call_is_still_live(
    stream_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url, LIVE_EVENTS)
    call_id = await start(api, org)
    await say(api, org, call_id, ("caller", "my jaw swelling is getting worse"))
    await drain(dispatcher_for(stream_app))
    bodies = {r.verify(hook["secret"])["type"]: r.verify(hook["secret"]) for r in receiver.received}
    assert sorted(bodies) == ["call.escalated", "call.started"]  # order across events is best effort
    escalated = bodies["call.escalated"]["data"]
    assert escalated["call_id"] == call_id
    assert (escalated["category"], escalated["source"], escalated["urgency"]) == (
        "emergency",
        "detection",
        "emergency",
    )
    assert (await api.get(f"/api/calls/{call_id}", headers=org.headers)).json()["live"] is True


async def test_intake_completed_carries_the_intake_then_call_ended_follows(
    stream_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url, ["intake.completed", "call.ended"])
    call_id = await start(api, org)
    args = {"caller_name": "Bo", "urgency_level": "routine", "summary": "cleaning"}
    await api.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "complete_intake", "arguments": args},
        headers=org.headers,
    )
    await end(api, org, call_id)
    await drain(dispatcher_for(stream_app))
    bodies = {r.verify(hook["secret"])["type"]: r.verify(hook["secret"]) for r in receiver.received}
    assert sorted(bodies) == ["call.ended", "intake.completed"]
    intake = bodies["intake.completed"]["data"]
    assert intake["data"] == {"caller_name": "Bo"} and intake["summary"] == "cleaning"
    assert bodies["call.ended"]["data"]["intake"]["data"] == {"caller_name": "Bo"}


async def test_lifespan_dispatcher_delivers_without_help_and_readyz_reports_backlog(
    services: None, make_settings: SettingsFactory, receiver: WebhookReceiver
) -> None:
    settings = make_settings(webhooks=hook_settings(dispatcher_enabled=True))
    async with run_app(settings) as app:
        org = Org(*await create_org_with_key(app.client))
        hook = await register(app.client, org, receiver.url)
        ready = (await app.client.get("/readyz")).json()
        empty = {"pending_deliveries": 0, "oldest_due_seconds": 0.0, "unfanned_events": 0}
        assert ready["details"]["webhooks"] == empty
        receiver.responder = lambda _: (503, {}, 0.0)
        call_id = await start(app.client, org)
        await end(app.client, org, call_id)
        await receiver.wait_for(2, timeout=10)  # retried by the app's own dispatcher
        backlog = (await app.client.get("/readyz")).json()["details"]["webhooks"]
        assert backlog["pending_deliveries"] == 1
        receiver.responder = lambda _: (200, {}, 0.0)
        count = len(receiver.received)
        await receiver.wait_for(count + 1, timeout=10)
        await asyncio.sleep(0.2)
        assert (await app.client.get("/readyz")).json()["details"]["webhooks"]["pending_deliveries"] == 0
    assert receiver.received[-1].verify(hook["secret"])["data"]["call_id"] == call_id


async def test_dial_action_records_transfer_finished_with_time_to_answer(
    rig_factory: RigFactory,  # noqa: F811
) -> None:
    async with rig_factory(business_hours=ALWAYS_CLOSED, after_hours_policy="forward_to_escalation") as rig:
        caller = rig.caller()
        await caller.post_voice_webhook()
        call_id = await rig.app.state.live_store.lookup_external_id("twilio", caller.call_sid)
        caller.voice_path = "/twilio/dial-action"
        response = await caller.post_voice_webhook(
            extra={"DialCallStatus": "completed", "DialCallDuration": "0"}
        )
        assert response.status_code == 200
        async with rig.app.state.session_factory() as session:
            rows = list(
                await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "call.transfer_finished"))
            )
    [row] = rows
    assert row.call_id == uuid.UUID(call_id)
    assert row.data["outcome"] == "answered" and row.data["talk_seconds"] == 0
    assert 0 <= row.data["seconds_to_answer"] < 30


def test_transfer_outcomes_map_twilio_dial_statuses() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    escalated = (now - timedelta(seconds=50)).isoformat()
    answered = transfer_data("c", dial_status="completed", talk_seconds=20, escalated_at=escalated, now=now)
    assert (answered["outcome"], answered["seconds_to_answer"]) == ("answered", 30.0)
    for status, outcome in [
        ("no-answer", "no_answer"),
        ("busy", "busy"),
        ("failed", "failed"),
        (None, "failed"),
    ]:
        data = transfer_data("c", dial_status=status, talk_seconds=None, escalated_at=escalated, now=now)
        assert (data["outcome"], data["seconds_to_answer"]) == (outcome, None)


async def _outbox_rows(app: RunningApp, call_id: str) -> list[OutboxEvent]:
    async with app.state.session_factory() as session:
        rows = await session.scalars(select(OutboxEvent).where(OutboxEvent.call_id == uuid.UUID(call_id)))
        return list(rows)


async def test_live_event_whose_outbox_write_never_happened_is_written_by_finalize(
    stream_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    # The live store recorded the escalation, then the process died (or PostgreSQL was away) before
    # its outbox row: the live half of the production path, without the outbox half.
    hook = await register(api, org, receiver.url, LIVE_EVENTS)
    call_id = await start(api, org)
    at = datetime.now(UTC)
    escalated = {"urgency": "emergency", "source": "detection", "category": "emergency"}
    event = {"type": "escalated", "at": at.isoformat(), "data": escalated}
    assert await stream_app.state.live_store.add_event(call_id, event)
    await end(api, org, call_id)
    rows = await _outbox_rows(stream_app, call_id)
    assert Counter(row.type for row in rows) == {"call.started": 1, "call.escalated": 1, "call.ended": 1}
    [row] = [row for row in rows if row.type == "call.escalated"]
    assert row.id == outbox.live_event_id(call_id, "escalated", at)  # the id a live write would have used
    await drain(dispatcher_for(stream_app))
    bodies = [r.verify(hook["secret"]) for r in receiver.received]
    assert sorted(body["type"] for body in bodies) == ["call.ended", "call.escalated", "call.started"]
    [delivered] = [body for body in bodies if body["type"] == "call.escalated"]
    assert delivered["data"]["call_id"] == call_id and delivered["data"]["urgency"] == "emergency"


async def test_live_events_written_during_the_call_are_not_written_twice_by_finalize(
    stream_app: RunningApp, api: httpx.AsyncClient, org: Org
) -> None:
    call_id = await start(api, org)
    await say(api, org, call_id, ("caller", "my jaw swelling is getting worse"))
    args = {"caller_name": "Bo", "urgency_level": "urgent", "summary": "swelling"}
    await api.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "complete_intake", "arguments": args},
        headers=org.headers,
    )
    live = Counter(row.type for row in await _outbox_rows(stream_app, call_id))
    assert live == {"call.started": 1, "call.escalated": 1, "intake.completed": 1}
    await end(api, org, call_id)
    after = Counter(row.type for row in await _outbox_rows(stream_app, call_id))
    assert after == {**live, "call.ended": 1}
