"""One bad value never poisons a call for good, nor the sweeper for every tenant (issue 7, item 1).

Poison reaches the live store the way vendor text and webhooks do, beneath the API's own validation:
straight through the live store, as the phone bridge and the webhooks write it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.calls.live_store import LiveStore
from app.calls.sweeper import sweep_once
from app.errors import is_database_outage
from app.settings import CallSettings
from database.models import Call, CallEvent, CallTranscript
from tests.calls.conftest import Org, end, say, start
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fixtures.factories import create_org_with_key

FAR = time.time() + 100_000
SID = "CA" + "0123456789abcdef" * 2


@pytest.fixture
async def app3(services: None, make_settings: SettingsFactory) -> AsyncIterator[RunningApp]:
    calls = CallSettings(sweeper_enabled=False, finalize_max_attempts=3, finalize_retry_base_seconds=10)
    async with run_app(make_settings(calls=calls)) as running:
        yield running


async def _stored(app: RunningApp, call_id: str) -> Call | None:
    async with app.state.session_factory() as session:
        call: Call | None = await session.get(Call, uuid.UUID(call_id))
        return call


async def _turns(app: RunningApp, call_id: str) -> list[str]:
    async with app.state.session_factory() as session:
        rows = await session.scalars(
            select(CallTranscript.text)
            .where(CallTranscript.call_id == uuid.UUID(call_id))
            .order_by(CallTranscript.seq)
        )
        return list(rows)


async def _events(app: RunningApp, call_id: str) -> list[str]:
    async with app.state.session_factory() as session:
        rows = await session.scalars(
            select(CallEvent.type).where(CallEvent.call_id == uuid.UUID(call_id)).order_by(CallEvent.seq)
        )
        return list(rows)


def _vendor_turn(text_: str) -> dict[str, Any]:
    return {"speaker": "caller", "text": text_, "at": datetime.now(UTC).isoformat(), "seq": None}


async def corrupt(live: LiveStore, call_id: str, **raw: str) -> None:
    """Fault injection: strings no typed write can produce, as a bug or an old release would leave them."""
    assert await live._write_meta(call_id, raw)


async def _poisoned_calls(app: RunningApp, org: Org) -> dict[str, str]:
    """One live call per trigger, all of one org."""
    client, live = app.client, app.state.live_store
    calls = {name: await start(client, org) for name in ("nul_text", "nul_meta", "long_sid", "dup_sid")}
    await live.append_turns(calls["nul_text"], [_vendor_turn("my\x00 tooth\x07 hurts\tbadly\nnow")])
    await live.update_call(
        calls["nul_meta"], caller_name="Ana\x00", metadata={"note\x00": "a\x00b", "n": [1, "\x01"]}
    )
    await live.update_call(calls["long_sid"], channel="phone", twilio_call_sid="CA" + "f" * 200)
    # A replayed webhook after the CallSid binding expired: a second call holding a stored call's CallSid.
    first = await start(client, org)
    await live.update_call(first, channel="phone", twilio_call_sid=SID)
    assert (await end(client, org, first)).status_code == 200
    await live.update_call(calls["dup_sid"], channel="phone", twilio_call_sid=SID)
    await live.append_turns(calls["dup_sid"], [_vendor_turn("hello again")])
    return calls


async def test_sweep_finalizes_each_poisoned_call_and_other_orgs_calls_in_one_pass(app3: RunningApp) -> None:
    client = app3.client
    poisoned_org = Org(*await create_org_with_key(client))
    other_org = Org(*await create_org_with_key(client))
    poisoned = await _poisoned_calls(app3, poisoned_org)
    broken = await start(client, poisoned_org)
    await corrupt(app3.state.live_store, broken, config_version="not-a-number")
    healthy = [await start(client, other_org) for _ in range(3)]
    for call_id in healthy:
        await say(client, other_org, call_id, ("caller", "hello"))

    await sweep_once(app3.state, now=FAR)

    for call_id in healthy:
        stored = await _stored(app3, call_id)
        assert stored is not None and stored.status == "completed", "another org's call was not finalized"
    text_call = await _stored(app3, poisoned["nul_text"])
    assert text_call is not None and text_call.status == "completed"
    assert await _turns(app3, poisoned["nul_text"]) == ["my tooth hurts\tbadly\nnow"]
    meta_call = await _stored(app3, poisoned["nul_meta"])
    assert meta_call is not None and meta_call.caller_name == "Ana"
    assert meta_call.metadata_ == {"note": "ab", "n": [1, ""]}
    long_sid = await _stored(app3, poisoned["long_sid"])
    assert long_sid is not None and long_sid.twilio_call_sid is None
    dup = await _stored(app3, poisoned["dup_sid"])
    assert dup is not None and dup.twilio_call_sid is None
    assert await _turns(app3, poisoned["dup_sid"]) == ["hello again"]
    assert "call_sid_conflict" in await _events(app3, poisoned["dup_sid"])
    # The broken call failed once; it stays live for a retry.
    assert await _stored(app3, broken) is None
    assert await app3.state.live_store.snapshot(broken) is not None


async def test_failing_call_is_quarantined_after_max_attempts_without_stopping_the_sweeper(
    app3: RunningApp,
) -> None:
    client = app3.client
    org = Org(*await create_org_with_key(client))
    other = Org(*await create_org_with_key(client))
    broken = await start(client, org)
    await say(client, org, broken, ("caller", "my name is Ana"))
    await corrupt(app3.state.live_store, broken, config_version="not-a-number")

    for attempt in range(3):
        healthy = await start(client, other)
        # Retries back off: a pass right after a failure leaves the call alone.
        await sweep_once(app3.state, now=FAR + attempt * 1000)
        await sweep_once(app3.state, now=FAR + attempt * 1000 + 1)
        stored = await _stored(app3, healthy)
        assert stored is not None and stored.status == "completed"

    dead = await _stored(app3, broken)
    assert dead is not None and dead.status == "finalize_failed"
    assert await app3.state.live_store.snapshot(broken) is None
    async with app3.state.session_factory() as session:
        row = (
            await session.execute(
                text("SELECT attempts, snapshot FROM call_quarantine WHERE call_id = :id"), {"id": broken}
            )
        ).one()
    assert row.attempts == 3
    kept = orjson.loads(row.snapshot)
    assert kept["meta"]["config_version"] == "not-a-number"
    assert [t["text"] for t in kept["turns"]] == ["my name is Ana"]
    ready = (await client.get("/readyz")).json()
    assert ready["details"]["quarantined_calls"] == 1
    listed = (await client.get(f"/api/calls/{broken}", headers=org.headers)).json()
    assert listed["status"] == "finalize_failed"


async def test_end_of_call_with_nul_in_vendor_text_is_saved(app3: RunningApp) -> None:
    client = app3.client
    org = Org(*await create_org_with_key(client))
    call_id = await start(client, org)
    await app3.state.live_store.append_turns(call_id, [_vendor_turn("a\x00b")])
    first = await end(client, org, call_id)
    assert first.status_code == 200, first.text
    assert await _turns(app3, call_id) == ["ab"]


async def test_end_of_call_whose_callsid_is_stored_resolves_the_conflict(app3: RunningApp) -> None:
    client = app3.client
    org = Org(*await create_org_with_key(client))
    calls = await _poisoned_calls(app3, org)
    response = await end(client, org, calls["dup_sid"])
    assert response.status_code == 200, response.text
    again = await end(client, org, calls["dup_sid"])
    assert again.status_code == 200 and again.json() == response.json()


async def test_end_of_call_with_a_broken_snapshot_is_500_not_503(app3: RunningApp) -> None:
    client = app3.client
    org = Org(*await create_org_with_key(client))
    call_id = await start(client, org)
    await corrupt(app3.state.live_store, call_id, config_version="not-a-number")
    response = await end(client, org, call_id)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "not-a-number" not in response.text


async def test_data_errors_from_postgres_are_not_outages(app3: RunningApp) -> None:
    async with app3.state.session_factory() as session:
        with pytest.raises(DBAPIError) as caught:
            await session.execute(text("SELECT CAST(:value AS text)"), {"value": "a\x00b"})
    assert not is_database_outage(caught.value)
