"""Retention of webhook rows on real PostgreSQL: old deliveries (with attempts) and old fanned-out outbox
events go, recent ones and events still owed to an endpoint stay, a shorter org retention wins."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text

from app.events import outbox
from app.privacy.retention_webhooks import run_webhook_retention
from app.settings import RetentionSettings
from database.base import utcnow
from tests.calls.conftest import Org
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.webhooks.conftest import dispatcher_for, drain, register


async def delivered_events(app: RunningApp, org: Org, count: int) -> list[str]:
    async with app.state.session_factory() as session, session.begin():
        ids = [
            await outbox.enqueue(session, org_id=uuid.UUID(org.id), type_="call.ended", data={"n": n})
            for n in range(count)
        ]
    await drain(dispatcher_for(app))
    return [str(event_id) for event_id in ids]


async def age(app: RunningApp, event_ids: list[str], days: int) -> None:
    """Move events, their deliveries and attempts `days` into the past."""
    async with app.state.session_factory() as session, session.begin():
        params = {"ids": event_ids, "d": days}
        await session.execute(
            text(
                "UPDATE outbox_events SET created_at = created_at - make_interval(days => :d),"
                " fanned_out_at = fanned_out_at - make_interval(days => :d)"
                " WHERE id::text = ANY(:ids)"
            ),
            params,
        )
        await session.execute(
            text(
                "UPDATE webhook_deliveries SET updated_at = updated_at - make_interval(days => :d),"
                " created_at = created_at - make_interval(days => :d)"
                " WHERE event_id::text = ANY(:ids)"
            ),
            params,
        )


async def count(app: RunningApp, sql: str, **params: object) -> int:
    async with app.state.session_factory() as session:
        return int(await session.scalar(text(sql), params) or 0)


async def test_old_deliveries_attempts_and_events_go_recent_ones_stay(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    await register(api, org, receiver.url)
    old = await delivered_events(hooks_app, org, 5)
    recent = await delivered_events(hooks_app, org, 2)
    await age(hooks_app, old, days=31)
    await age(hooks_app, recent, days=29)
    settings = RetentionSettings(batch_size=2, batch_pause_seconds=0)  # several batches
    purged = await run_webhook_retention(hooks_app.state.session_factory, settings=settings)
    assert purged == {uuid.UUID(org.id): {"webhook_deliveries": 5, "outbox_events": 5}}
    assert await count(hooks_app, "SELECT count(*) FROM webhook_deliveries") == 2
    assert await count(hooks_app, "SELECT count(*) FROM webhook_attempts") == 2  # cascaded with deliveries
    left = await count(hooks_app, "SELECT count(*) FROM outbox_events WHERE id::text = ANY(:ids)", ids=recent)
    assert left == 2 and await count(hooks_app, "SELECT count(*) FROM outbox_events") == 2


async def test_event_still_owed_to_an_endpoint_is_kept(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    await register(api, org, receiver.url)
    [event_id] = await delivered_events(hooks_app, org, 1)
    await age(hooks_app, [event_id], days=40)
    # Redelivered by hand: pending, and changed just now (a retry under way), so it and its event stay.
    async with hooks_app.state.session_factory() as session, session.begin():
        await session.execute(
            text("UPDATE webhook_deliveries SET state = 'pending', updated_at = :t"), {"t": utcnow()}
        )
    settings = RetentionSettings(batch_pause_seconds=0)
    assert await run_webhook_retention(hooks_app.state.session_factory, settings=settings) == {}
    assert await count(hooks_app, "SELECT count(*) FROM outbox_events") == 1


async def test_shorter_org_transcript_retention_wins(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, other_org: Org, receiver: WebhookReceiver
) -> None:
    for tenant in (org, other_org):
        await register(api, tenant, receiver.url)
    async with hooks_app.state.session_factory() as session, session.begin():
        await session.execute(
            text(
                "UPDATE organizations SET config = jsonb_set(config, '{privacy}',"
                " '{\"transcript_retention_days\": 7}') WHERE id = :o"
            ),
            {"o": org.id},
        )
    short = await delivered_events(hooks_app, org, 1)
    default = await delivered_events(hooks_app, other_org, 1)
    await age(hooks_app, short + default, days=10)
    settings = RetentionSettings(batch_pause_seconds=0)
    purged = await run_webhook_retention(hooks_app.state.session_factory, settings=settings)
    assert list(purged) == [uuid.UUID(org.id)]
    assert await count(hooks_app, "SELECT count(*) FROM webhook_deliveries") == 1
