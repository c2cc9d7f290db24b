"""DELETE /api/calls/{id}/content: content gone from the tables, tombstone kept, tenants isolated."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fixtures.factories import create_key, key_headers
from tests.privacy.conftest import Org, new_org, rows


async def finished_call(client: httpx.AsyncClient, org: Org) -> str:
    started = await client.post(
        "/api/call/start",
        json={"channel": "browser", "from_number": "+15551230001", "caller_name": "Maria"},
        headers=org.headers,
    )
    call_id: str = started.json()["call_id"]
    turns = [
        {"speaker": "caller", "text": "my number is five five five one two three four"},
        {"speaker": "agent", "text": "Thanks, and your name?"},
    ]
    said = await client.post(f"/api/calls/{call_id}/transcript", json={"turns": turns}, headers=org.headers)
    assert said.status_code == 200, said.text
    intake = await client.post(
        f"/api/calls/{call_id}/tool-calls",
        json={
            "name": "complete_intake",
            "arguments": {"caller_name": "Maria", "urgency_level": "routine", "summary": "cleaning"},
        },
        headers=org.headers,
    )
    assert intake.status_code == 200, intake.text
    ended = await client.post("/api/call/end", json={"call_id": call_id}, headers=org.headers)
    assert ended.status_code == 200, ended.text
    return call_id


async def _content_rows(engine: AsyncEngine, call_id: str) -> dict[str, int]:
    counts = {}
    for table in ("call_transcripts", "call_events", "call_intakes", "call_analyses"):
        [(n,)] = await rows(engine, f"SELECT count(*) FROM {table} WHERE call_id = :c", c=call_id)
        counts[table] = n
    return counts


async def test_erase_deletes_transcript_intake_and_events_and_keeps_a_tombstone(
    pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient)
    call_id = await finished_call(pclient, org)
    before = await _content_rows(clean_db, call_id)
    assert before["call_transcripts"] == 2 and before["call_intakes"] == 1 and before["call_events"] >= 2
    response = await pclient.delete(f"/api/calls/{call_id}/content", headers=org.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["deleted"] == before and body["repeated"] is False
    assert set((await _content_rows(clean_db, call_id)).values()) == {0}
    [(erased_at, erased_by, from_number, caller_name, status)] = await rows(
        clean_db,
        "SELECT content_erased_at, content_erased_by, from_number, caller_name, status"
        " FROM calls WHERE id = :c",
        c=call_id,
    )
    assert erased_at is not None and erased_by == body["content_erased_by"]
    assert (from_number, caller_name, status) == (None, None, "completed")
    [(action, deleted)] = await rows(
        clean_db, "SELECT action, deleted FROM privacy_audit WHERE call_id = :c", c=call_id
    )
    assert action == "erasure" and deleted == before
    detail = (await pclient.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["transcript"] == [] and detail["intake"] is None and detail["events"] == []


async def test_erase_again_is_repeated_and_changes_nothing(pclient: httpx.AsyncClient) -> None:
    org = await new_org(pclient)
    call_id = await finished_call(pclient, org)
    first = (await pclient.delete(f"/api/calls/{call_id}/content", headers=org.headers)).json()
    second = await pclient.delete(f"/api/calls/{call_id}/content", headers=org.headers)
    assert second.status_code == 200
    assert second.json()["repeated"] is True
    assert second.json()["content_erased_at"] == first["content_erased_at"]


async def test_erase_another_orgs_call_is_404_and_erases_nothing(
    pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org, other = await new_org(pclient), await new_org(pclient)
    call_id = await finished_call(pclient, org)
    response = await pclient.delete(f"/api/calls/{call_id}/content", headers=other.headers)
    assert response.status_code == 404
    assert (await _content_rows(clean_db, call_id))["call_transcripts"] == 2


async def test_erase_a_live_call_is_409(pclient: httpx.AsyncClient) -> None:
    org = await new_org(pclient)
    started = await pclient.post("/api/call/start", json={"channel": "browser"}, headers=org.headers)
    response = await pclient.delete(f"/api/calls/{started.json()['call_id']}/content", headers=org.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "call_still_live"


async def test_erase_needs_calls_write(pclient: httpx.AsyncClient) -> None:
    org = await new_org(pclient)
    call_id = await finished_call(pclient, org)
    reader = await create_key(pclient, org.id, ["calls:read"])
    response = await pclient.delete(f"/api/calls/{call_id}/content", headers=key_headers(reader))
    assert response.status_code == 403


async def test_erase_unknown_or_malformed_id_is_404(pclient: httpx.AsyncClient) -> None:
    org = await new_org(pclient)
    for call_id in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = await pclient.delete(f"/api/calls/{call_id}/content", headers=org.headers)
        assert response.status_code == 404
