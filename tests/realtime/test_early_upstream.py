"""A new browser start sends its OpenAI request beside the slot's round trip only when the org had room at
its last admission here: a start refused at the cap does not reach OpenAI, except once after other
workers filled the cap, and an OpenAI call created for a refused start is hung up."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from app.calls.overflows import require_slot
from simulator.realtime import FakeRealtime
from tests.conftest import RunningApp
from tests.fakes.server import LoopbackServer
from tests.fixtures.factories import create_org_with_key, key_headers

OFFER = b"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"


async def _org(client: httpx.AsyncClient, cap: int) -> tuple[uuid.UUID, str]:
    org_id, key = await create_org_with_key(client, limits={"max_concurrent_calls": cap})
    return uuid.UUID(org_id), key


async def _mint(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post("/api/realtime/session", json={}, headers=key_headers(key))


async def _offer(client: httpx.AsyncClient, key: str) -> httpx.Response:
    headers = {**key_headers(key), "Content-Type": "application/sdp"}
    return await client.post("/api/realtime/calls", content=OFFER, headers=headers)


async def _elsewhere(app: RunningApp, org_id: uuid.UUID, cap: int) -> None:
    """Another worker's call takes one of the org's slots."""
    await require_slot(app.state, org_id=org_id, call_id=uuid.uuid4(), max_concurrent_calls=cap)


async def test_a_start_at_a_cap_filled_elsewhere_never_reaches_openai(
    app: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime = fake[0]
    org_id, key = await _org(app.client, cap=1)
    await _elsewhere(app, org_id, cap=1)  # this process has never admitted the org: the slot comes first
    assert (await _mint(app.client, key)).status_code == 429
    assert (await _offer(app.client, key)).status_code == 429
    assert realtime.secret_requests == [] and realtime.call_requests == []


async def test_a_mint_refused_once_the_org_is_known_full_never_reaches_openai(
    app: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime = fake[0]
    _, key = await _org(app.client, cap=1)
    assert (await _mint(app.client, key)).status_code == 201  # the org's one slot: no room after it
    for _ in range(3):
        assert (await _mint(app.client, key)).status_code == 429
    assert len(realtime.secret_requests) == 1


async def test_with_room_the_mint_goes_out_beside_the_slot_and_a_refusal_corrects_it(
    app: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime = fake[0]
    org_id, key = await _org(app.client, cap=2)
    assert (await _mint(app.client, key)).status_code == 201  # one of two: room left
    await _elsewhere(app, org_id, cap=2)
    # Sent before the refusal was known: the one OpenAI request a full cap costs; it is never returned.
    refused = await _mint(app.client, key)
    assert refused.status_code == 429 and "client_secret" not in refused.text
    assert len(realtime.secret_requests) == 2
    assert (await _mint(app.client, key)).status_code == 429
    assert len(realtime.secret_requests) == 2


async def test_an_openai_call_created_for_a_refused_offer_is_hung_up(
    app: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    realtime = fake[0]
    org_id, key = await _org(app.client, cap=2)
    first = await _offer(app.client, key)
    assert first.status_code == 201, first.text
    running = set(realtime.calls)  # the first offer's OpenAI call
    await _elsewhere(app, org_id, cap=2)
    assert (await _offer(app.client, key)).status_code == 429
    assert len(realtime.call_requests) == 2
    async with asyncio.timeout(5):
        while not realtime.hangup_requests:
            await asyncio.sleep(0.02)
    [hung_up] = realtime.hangup_requests
    assert hung_up not in running
    assert (await _offer(app.client, key)).status_code == 429
    assert len(realtime.call_requests) == 2
