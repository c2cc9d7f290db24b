"""Delivery: call.ended reaches the receiver signed; retries, Retry-After, 410, 4xx, dead, redeliver, test."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update

from app.events import outbox
from database.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from tests.calls.conftest import Org, end, say, start
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import Received, WebhookReceiver
from tests.webhooks.conftest import dispatcher_for, drain, register


async def deliveries(api: httpx.AsyncClient, org: Org, webhook_id: str) -> list[dict[str, object]]:
    response = await api.get(f"/api/org/webhooks/{webhook_id}/deliveries", headers=org.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def enqueue_events(app: RunningApp, org: Org, count: int, type_: str = "call.ended") -> list[str]:
    async with app.state.session_factory() as session, session.begin():
        ids = [
            await outbox.enqueue(session, org_id=uuid.UUID(org.id), type_=type_, data={"n": n})
            for n in range(count)
        ]
    return [outbox.message_id(event_id) for event_id in ids]


async def test_call_ended_is_delivered_signed_with_thin_payload(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    call_id = await start(api, org)
    await say(api, org, call_id, ("caller", "I need a cleaning"), ("agent", "Sure."))
    assert (await end(api, org, call_id)).status_code == 200
    await drain(dispatcher_for(hooks_app))
    [got] = receiver.received
    body = got.verify(hook["secret"])
    assert body["type"] == "call.ended"
    assert body["data"]["call_id"] == call_id and body["data"]["status"] == "completed"
    assert "transcript" not in body["data"] and "from_number" not in body["data"]
    assert got.message_id.startswith("msg_")
    [item] = await deliveries(api, org, hook["id"])
    assert item["state"] == "delivered" and item["message_id"] == got.message_id
    assert item["attempts"][0]["status_code"] == 200  # type: ignore[index]


async def test_transcript_only_when_endpoint_asks(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url, include_transcript=True)
    call_id = await start(api, org)
    await say(api, org, call_id, ("caller", "hello there"))
    await end(api, org, call_id)
    await drain(dispatcher_for(hooks_app))
    body = receiver.received[0].verify(hook["secret"])
    assert [turn["text"] for turn in body["data"]["transcript"]] == ["hello there"]


async def test_rolled_back_transaction_sends_nothing(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    await register(api, org, receiver.url)
    async with hooks_app.state.session_factory() as session:
        async with session.begin():
            await outbox.enqueue(session, org_id=uuid.UUID(org.id), type_="call.ended", data={})
            await session.rollback()
        assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    await drain(dispatcher_for(hooks_app), rounds=3)
    assert receiver.received == []


async def test_receiver_down_then_back_gets_every_event(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    await register(api, org, receiver.url)
    await receiver.stop()
    expected = await enqueue_events(hooks_app, org, 20)
    dispatcher = dispatcher_for(hooks_app, retry_schedule_seconds=[0.0] + [0.1] * 20)
    for _ in range(3):
        await dispatcher.run_once()
        await asyncio.sleep(0.12)
    assert receiver.received == []
    await receiver.start()
    await drain(dispatcher)
    assert sorted(set(receiver.message_ids())) == sorted(expected)
    async with hooks_app.state.session_factory() as session:
        states = set(await session.scalars(select(WebhookDelivery.state)))
    assert states == {"delivered"}


async def test_retry_keeps_message_id_and_lists_attempts(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    answers = iter([(503, {}, 0.0), (302, {"location": "https://elsewhere.example/"}, 0.0)])
    receiver.responder = lambda _: next(answers, (200, {}, 0.0))
    await enqueue_events(hooks_app, org, 1)
    await drain(dispatcher_for(hooks_app))
    assert len(receiver.received) == 3  # the redirect was not followed
    assert len(set(receiver.message_ids())) == 1
    [item] = await deliveries(api, org, hook["id"])
    attempts = item["attempts"]
    assert [(a["number"], a["status_code"], a["error_kind"]) for a in attempts] == [  # type: ignore[union-attr]
        (1, 503, "http_5xx"),
        (2, 302, "redirect"),
        (3, 200, None),
    ]
    assert item["state"] == "delivered" and item["attempt_count"] == 3


async def test_gone_disables_endpoint_and_records_disabled_event(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    receiver.responder = lambda _: (410, {}, 0.0)
    await enqueue_events(hooks_app, org, 1)
    await drain(dispatcher_for(hooks_app))
    assert len(receiver.received) == 1
    got = (await api.get(f"/api/org/webhooks/{hook['id']}", headers=org.headers)).json()
    assert got["enabled"] is False and got["disabled_reason"] == "gone"
    [item] = await deliveries(api, org, hook["id"])
    assert item["state"] == "failed"
    async with hooks_app.state.session_factory() as session:
        types = list(await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.created_at)))
    assert types == ["call.ended", "webhook_endpoint.disabled"]


async def test_client_error_stops_after_three_tries(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    receiver.responder = lambda _: (400, {}, 0.0)
    await enqueue_events(hooks_app, org, 1)
    await drain(dispatcher_for(hooks_app))
    assert len(receiver.received) == 3
    [item] = await deliveries(api, org, hook["id"])
    assert item["state"] == "failed" and item["next_attempt_at"] is None


async def test_server_errors_go_dead_after_schedule_then_redeliver_by_hand(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    receiver.responder = lambda _: (500, {}, 0.0)
    await enqueue_events(hooks_app, org, 1)
    dispatcher = dispatcher_for(hooks_app, retry_schedule_seconds=[0.0, 0.05, 0.05])
    await drain(dispatcher)
    assert len(receiver.received) == 3
    [item] = await deliveries(api, org, hook["id"])
    assert item["state"] == "dead"
    receiver.responder = lambda _: (200, {}, 0.0)
    again = await api.post(f"/api/org/webhooks/deliveries/{item['id']}/redeliver", headers=org.headers)
    assert again.status_code == 200 and again.json()["state"] == "pending"
    await drain(dispatcher)
    assert len(set(receiver.message_ids())) == 1 and len(receiver.received) == 4
    [item] = await deliveries(api, org, hook["id"])
    assert item["state"] == "delivered" and item["attempt_count"] == 4


async def test_retry_after_is_honoured(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    receiver.responder = lambda _: (429, {"retry-after": "120"}, 0.0)
    await enqueue_events(hooks_app, org, 1)
    before = datetime.now(UTC)
    await drain(dispatcher_for(hooks_app), rounds=4)
    assert len(receiver.received) == 1
    [item] = await deliveries(api, org, hook["id"])
    assert item["state"] == "pending"
    due = datetime.fromisoformat(str(item["next_attempt_at"]))
    assert due >= before + timedelta(seconds=119)


async def test_endpoint_failing_past_the_limit_is_disabled_and_others_hear(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    failing = await register(api, org, receiver.url.replace("/hooks", "/failing"))
    watcher = await register(api, org, receiver.url, ["webhook_endpoint.disabled"])
    receiver.responder = lambda r: (500, {}, 0.0) if r.path == "/failing" else (200, {}, 0.0)
    await enqueue_events(hooks_app, org, 1)
    dispatcher = dispatcher_for(
        hooks_app, disable_after_failing_seconds=0.2, retry_schedule_seconds=[0.0] + [0.1] * 10
    )
    await drain(dispatcher)
    got = (await api.get(f"/api/org/webhooks/{failing['id']}", headers=org.headers)).json()
    assert got["enabled"] is False and got["disabled_reason"] == "failing"
    heard: list[Received] = [r for r in receiver.received if r.path == "/hooks"]
    assert len(heard) == 1
    body = heard[0].verify(watcher["secret"])
    assert body["type"] == "webhook_endpoint.disabled" and body["data"]["webhook_id"] == failing["id"]


async def test_rotation_signs_with_both_secrets_until_overlap_ends(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    rotated = (await api.post(f"/api/org/webhooks/{hook['id']}/rotate-secret", headers=org.headers)).json()
    await enqueue_events(hooks_app, org, 1)
    await drain(dispatcher_for(hooks_app))
    got = receiver.received[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert got.verifies(hook["secret"]) and got.verifies(rotated["secret"])
    async with hooks_app.state.session_factory() as session, session.begin():
        await session.execute(
            update(WebhookEndpoint).values(
                previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
    await enqueue_events(hooks_app, org, 1)
    await drain(dispatcher_for(hooks_app))
    late = receiver.received[1]
    assert late.verifies(rotated["secret"]) and not late.verifies(hook["secret"])


async def test_test_route_sends_webhook_test_event(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url, ["intake.completed"])
    sent = await api.post(f"/api/org/webhooks/{hook['id']}/test", headers=org.headers)
    assert sent.status_code == 202
    await drain(dispatcher_for(hooks_app))
    [got] = receiver.received
    assert got.verify(hook["secret"])["type"] == "webhook.test"
    assert got.message_id == sent.json()["message_id"]


async def test_disabled_endpoint_gets_nothing_and_cannot_be_tested(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    await api.patch(f"/api/org/webhooks/{hook['id']}", json={"enabled": False}, headers=org.headers)
    await enqueue_events(hooks_app, org, 2)
    await drain(dispatcher_for(hooks_app), rounds=3)
    assert receiver.received == []
    refused = await api.post(f"/api/org/webhooks/{hook['id']}/test", headers=org.headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "webhook_disabled"


async def test_deliveries_are_paginated_newest_first(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    for _ in range(5):
        await enqueue_events(hooks_app, org, 1)
        await dispatcher_for(hooks_app).fan_out_once()
    path = f"/api/org/webhooks/{hook['id']}/deliveries"
    first = (await api.get(path, params={"limit": 2}, headers=org.headers)).json()
    second = (
        await api.get(path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=org.headers)
    ).json()
    third = (
        await api.get(path, params={"limit": 2, "cursor": second["next_cursor"]}, headers=org.headers)
    ).json()
    ids = [d["id"] for page in (first, second, third) for d in page["items"]]
    assert len(ids) == len(set(ids)) == 5 and third["next_cursor"] is None
    created = [d["created_at"] for page in (first, second, third) for d in page["items"]]
    assert created == sorted(created, reverse=True)
