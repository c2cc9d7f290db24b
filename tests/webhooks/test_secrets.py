"""Signing secrets at rest: never stored in the clear, bound to their endpoint, keys rotate, the migration
encrypts the rows that were there, production refuses a missing key; signatures still verify."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import select, text
from standardwebhooks.webhooks import Webhook

from app.events import outbox
from app.settings import Settings, WebhookSettings
from app.webhooks import signing
from app.webhooks.crypto import SecretUndecryptable, box_for
from database.migrate import downgrade, upgrade
from database.models import WebhookAttempt
from tests.calls.conftest import Org
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.fixtures.postgres import async_url, create_database, drop_database
from tests.webhooks.conftest import dispatcher_for, drain, register

KEY_1 = "k1-" + "0123456789abcdef" * 3
KEY_2 = "k2-" + "fedcba9876543210" * 3


async def stored_row(app: RunningApp, webhook_id: str) -> str:
    async with app.state.session_factory() as session:
        row: str = await session.scalar(
            text("SELECT row_to_json(e)::text FROM webhook_endpoints e WHERE id = :id"), {"id": webhook_id}
        )
    return row


async def test_stored_row_never_holds_the_secret_after_create_and_rotate(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    rotated = (await api.post(f"/api/org/webhooks/{hook['id']}/rotate-secret", headers=org.headers)).json()
    row = await stored_row(hooks_app, hook["id"])
    for secret in (hook["secret"], rotated["secret"]):
        assert secret not in row and secret.removeprefix("whsec_") not in row
    assert row.count('"v1.dev.') == 2  # current and previous, both encrypted


async def test_rotation_overlap_sends_both_signatures_from_encrypted_secrets(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    rotated = (await api.post(f"/api/org/webhooks/{hook['id']}/rotate-secret", headers=org.headers)).json()
    async with hooks_app.state.session_factory() as session, session.begin():
        await outbox.enqueue(session, org_id=uuid.UUID(org.id), type_="call.ended", data={"n": 1})
    await drain(dispatcher_for(hooks_app))
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(rotated["secret"]).verify(got.body, got.headers)["data"] == {"n": 1}
    assert Webhook(hook["secret"]).verify(got.body, got.headers)["data"] == {"n": 1}


@pytest.mark.parametrize("body", [b"{}", '{"text":"caf\u00e9 \u2603"}'.encode(), b"x" * 5000])
def test_our_signature_is_the_standard_webhooks_one(body: bytes) -> None:
    secret = signing.new_secret()
    at = datetime(2026, 12, 1, 12, 0, 7, tzinfo=UTC)
    assert signing.sign(secret, "msg_1", int(at.timestamp()), body) == Webhook(secret).sign(
        "msg_1", at, body.decode()
    )


def test_ciphertext_is_bound_to_its_endpoint() -> None:
    box = box_for(WebhookSettings(secret_key=SecretStr(KEY_1)))
    mine, other = uuid.uuid4(), uuid.uuid4()
    stored = box.encrypt("whsec_abc", endpoint_id=mine)
    assert box.decrypt(stored, endpoint_id=mine) == "whsec_abc"
    with pytest.raises(SecretUndecryptable):
        box.decrypt(stored, endpoint_id=other)
    with pytest.raises(SecretUndecryptable):
        box.decrypt(stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1], endpoint_id=mine)


def test_old_key_still_decrypts_and_new_writes_use_the_current_key() -> None:
    endpoint_id = uuid.uuid4()
    old = box_for(WebhookSettings(secret_key=SecretStr(KEY_1), secret_key_id="k1"))
    stored = old.encrypt("whsec_abc", endpoint_id=endpoint_id)
    new = box_for(
        WebhookSettings(
            secret_key=SecretStr(KEY_2), secret_key_id="k2", old_secret_keys=SecretStr(f"k1:{KEY_1}")
        )
    )
    assert new.decrypt(stored, endpoint_id=endpoint_id) == "whsec_abc"
    assert new.encrypt("whsec_abc", endpoint_id=endpoint_id).startswith("v1.k2.")
    alone = box_for(WebhookSettings(secret_key=SecretStr(KEY_2), secret_key_id="k2"))
    with pytest.raises(SecretUndecryptable):
        alone.decrypt(stored, endpoint_id=endpoint_id)


async def test_secret_under_an_unknown_key_is_never_sent_and_the_attempt_says_why(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    await register(api, org, receiver.url)  # encrypted under the development key
    async with hooks_app.state.session_factory() as session, session.begin():
        await outbox.enqueue(session, org_id=uuid.UUID(org.id), type_="call.ended", data={})
    dispatcher = dispatcher_for(hooks_app, secret_key=SecretStr(KEY_2), secret_key_id="k2")
    await dispatcher.fan_out_once()
    outcomes = [await dispatcher.send(c) for c in await dispatcher.claim(10)]
    await dispatcher.record(outcomes)
    await dispatcher.aclose()
    assert receiver.received == []
    async with hooks_app.state.session_factory() as session:
        kinds = list(await session.scalars(select(WebhookAttempt.error_kind)))
    assert kinds == ["secret_undecryptable"]


@pytest.mark.parametrize(
    ("webhooks", "message"),
    [
        (WebhookSettings(), "WEBHOOK_SECRET_KEY must be set"),
        (WebhookSettings(secret_key=SecretStr("changeme")), "WEBHOOK_SECRET_KEY must be set"),
        (WebhookSettings(secret_key=SecretStr("short-but-real")), "WEBHOOK_SECRET_KEY must be set"),
        (WebhookSettings(secret_key=SecretStr(KEY_1), secret_key_id="dev"), "development key"),
    ],
)
def test_production_refuses_a_missing_or_placeholder_key(webhooks: WebhookSettings, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(environment="production", database_url="postgresql+asyncpg://u@db/x", webhooks=webhooks)


async def test_migration_encrypts_existing_secrets_and_downgrade_restores_them(services: None) -> None:
    dsn = await create_database("callintake_secrets")
    url = async_url(dsn)
    org_id, endpoint_id, secret, previous = (
        uuid.uuid4(),
        uuid.uuid4(),
        signing.new_secret(),
        signing.new_secret(),
    )
    try:
        await asyncio.to_thread(upgrade, url, "0006")
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(
                "INSERT INTO organizations (id, slug, name, timezone, config, config_version, created_at,"
                " updated_at) VALUES ($1, 'm', 'M', 'UTC', '{}', 1, now(), now())",
                org_id,
            )
            await conn.execute(
                "INSERT INTO webhook_endpoints (id, organization_id, url, events, include_transcript, secret,"
                " previous_secret, enabled, created_at, updated_at)"
                " VALUES ($1, $2, 'https://example.com/h', '[]', false, $3, $4, true, now(), now())",
                endpoint_id,
                org_id,
                secret,
                previous,
            )
            await asyncio.to_thread(upgrade, url, "head")
            current, old = await conn.fetchrow(
                "SELECT secret_encrypted, previous_secret_encrypted FROM webhook_endpoints"
            )
            box = box_for(WebhookSettings())
            assert secret not in current and base64.b64decode(secret[6:]).hex() not in current
            assert box.decrypt(current, endpoint_id=endpoint_id) == secret
            assert box.decrypt(old, endpoint_id=endpoint_id) == previous
            await asyncio.to_thread(downgrade, url, "0006")
            assert tuple(await conn.fetchrow("SELECT secret, previous_secret FROM webhook_endpoints")) == (
                secret,
                previous,
            )
        finally:
            await conn.close()
    finally:
        await drop_database(dsn)
