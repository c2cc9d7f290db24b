"""POST /api/calls/{id}/transfer at the edge: scope, tenant and state checks, and a call nobody runs.

A call run by a channel takes the transfer on its owner's worker (tests/telephony and tests/realtime,
test_owner_workers.py); here the call was started over REST, so no owner runs it.
"""

from __future__ import annotations

import uuid

import httpx

from tests.calls.conftest import Org, end, start
from tests.fixtures.factories import create_key, key_headers


async def transfer(client: httpx.AsyncClient, org: Org, call_id: str) -> httpx.Response:
    return await client.post(f"/api/calls/{call_id}/transfer", headers=org.headers)


async def test_transfer_of_a_call_nobody_runs_is_recorded_for_a_call_back(
    client: httpx.AsyncClient, org: Org
) -> None:
    call_id = await start(client, org)
    response = await transfer(client, org, call_id)
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()

    assert response.status_code == 202, response.text
    assert response.json() == {"call_id": call_id, "transfer": "callback"}
    requested = [e for e in detail["events"] if e["type"] == "transfer_requested"]
    assert [e["data"] for e in requested] == [{"transfer": "callback"}]
    assert detail["live"] is True


async def test_transfer_of_another_orgs_or_an_unknown_call_is_404(
    client: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    call_id = await start(client, org)
    for target, who in ((call_id, other_org), (str(uuid.uuid4()), org), ("not-a-call-id", org)):
        response = await transfer(client, who, target)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "call_not_found"
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert not [e for e in detail["events"] if e["type"] == "transfer_requested"]


async def test_transfer_of_an_ended_call_is_409(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    assert (await end(client, org, call_id)).status_code == 200
    response = await transfer(client, org, call_id)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "call_already_ended"


async def test_transfer_needs_the_calls_write_scope(client: httpx.AsyncClient, org: Org) -> None:
    call_id = await start(client, org)
    reader = await create_key(client, org.id, ["calls:read"])
    response = await client.post(f"/api/calls/{call_id}/transfer", headers=key_headers(reader))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
