"""The mint and the SDP exchange start their OpenAI request on this process's memo of the key and check
the key beside it (deps.EarlyPrincipal): a revoked key still gets 401 and no live call, a changed config
is minted again on the new one, and the check really is off the request's path."""

from __future__ import annotations

import asyncio
import time

import httpx
from redis.asyncio import Redis

from app.calls.slots import slots
from app.orgs import auth
from app.orgs.keys import hash_key
from simulator.realtime import FakeRealtime
from tests.conftest import RunningApp
from tests.fakes.server import LoopbackServer
from tests.fixtures.factories import admin_headers, create_org, key_headers

OFFER = b"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"


async def _org_and_key(client: httpx.AsyncClient) -> tuple[str, str, str]:
    org_id = (await create_org(client))["id"]
    created = await client.post(
        f"/api/admin/orgs/{org_id}/api-keys",
        json={"name": "early", "scopes": ["sessions:create", "config:write", "config:read"]},
        headers=admin_headers(),
    )
    assert created.status_code == 201, created.text
    return org_id, created.json()["id"], created.json()["key"]


async def _mint(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post("/api/realtime/session", json={}, headers=key_headers(key))


async def _offer(client: httpx.AsyncClient, key: str) -> httpx.Response:
    headers = {**key_headers(key), "Content-Type": "application/sdp"}
    return await client.post("/api/realtime/calls", content=OFFER, headers=headers)


async def _live_calls(app: RunningApp, org_id: str) -> int:
    """The org's calls holding a concurrency slot: every browser call started here takes one."""
    return await slots(app.state).count(org_id)


async def _revoke(app: RunningApp, org_id: str, key_id: str) -> None:
    revoked = await app.client.delete(f"/api/admin/orgs/{org_id}/api-keys/{key_id}", headers=admin_headers())
    assert revoked.status_code == 200, revoked.text


async def _warm(app: RunningApp, key: str) -> None:
    """Two requests: the first fills the shared cache, the second the memo (and notes the org's room)."""
    for _ in range(2):
        assert (await _mint(app.client, key)).status_code == 201
    assert hash_key(key) in auth._REMEMBERED


async def test_a_revoked_key_is_refused_and_costs_at_most_one_upstream_request(
    app: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime = fake[0]
    org_id, key_id, key = await _org_and_key(app.client)
    await _warm(app, key)
    calls_before, sent_before = await _live_calls(app, org_id), len(realtime.secret_requests)
    await _revoke(app, org_id, key_id)
    for _ in range(3):
        refused = await _mint(app.client, key)
        assert refused.status_code == 401, refused.text
        assert "client_secret" not in refused.text
        offered = await _offer(app.client, key)
        assert offered.status_code == 401, offered.text
    assert hash_key(key) not in auth._REMEMBERED
    assert len(realtime.secret_requests) - sent_before <= 1  # the one sent on the memo, never returned
    assert len(realtime.call_requests) == 0  # by the offer the memo was gone
    assert await _live_calls(app, org_id) == calls_before


async def test_a_revoked_key_s_offer_on_a_warm_memo_hangs_up_its_openai_call(
    app: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime = fake[0]
    org_id, key_id, key = await _org_and_key(app.client)
    for _ in range(2):
        answered = await _offer(app.client, key)
        assert answered.status_code == 201, answered.text
    calls_before, running = await _live_calls(app, org_id), set(realtime.calls)
    await _revoke(app, org_id, key_id)
    refused = await _offer(app.client, key)
    assert refused.status_code == 401, refused.text
    assert await _live_calls(app, org_id) == calls_before
    # Made on the memo beside the failed check: never answered to the browser, and hung up.
    assert len(realtime.call_requests) == 3
    async with asyncio.timeout(5):
        while not set(realtime.hangup_requests) - running:
            await asyncio.sleep(0.02)


async def test_a_config_change_is_minted_on_the_new_config(
    app: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime = fake[0]
    org_id, _, key = await _org_and_key(app.client)
    await _warm(app, key)
    greeting = "Thanks for calling Early Bird Dental, this is the new greeting."
    patched = await app.client.patch(
        f"/api/org/config/{org_id}", json={"greeting": greeting}, headers=key_headers(key)
    )
    assert patched.status_code == 200, patched.text
    minted = await _mint(app.client, key)
    assert minted.status_code == 201, minted.text
    assert greeting in minted.json()["session"]["instructions"]
    # Whatever went out on the memo carried the old greeting; the last request is the one returned.
    assert greeting in realtime.secret_requests[-1].json["session"]["instructions"]


async def test_on_a_warm_memo_the_mint_goes_out_before_the_key_check_returns(
    app: RunningApp, fake: tuple[FakeRealtime, LoopbackServer], redis_url: str
) -> None:
    """Redis is paused for every client: the key's check waits out the pause, the OpenAI request does not."""
    realtime = fake[0]
    _, _, key = await _org_and_key(app.client)
    await _warm(app, key)
    sent_before = len(realtime.secret_requests)
    pauser = Redis.from_url(redis_url)
    try:
        await pauser.execute_command("CLIENT", "PAUSE", 600, "ALL")
        started = time.time()
        minted = await _mint(app.client, key)
        answered = time.time()
    finally:
        await pauser.aclose()
    assert minted.status_code == 201, minted.text
    assert len(realtime.secret_requests) == sent_before + 1
    assert realtime.secret_requests[-1].received_at - started < 0.3
    assert answered - started >= 0.5  # the check (and the call's start) waited for Redis
