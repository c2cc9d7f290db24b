"""POST /api/realtime/session against the fake OpenAI server: the exact GA body, errors, retries, secrecy."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text

from app.settings import OpenAISettings
from database.models import OutboxEvent
from simulator.realtime import FakeRealtime
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.server import LoopbackServer, serve
from tests.fixtures.factories import create_org_with_key, key_headers

API_KEY = "sk-test-mint-0123456789abcdef"


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeRealtime, LoopbackServer]]:
    realtime = FakeRealtime(api_key=API_KEY)
    async with serve(realtime.app) as server:
        yield realtime, server


def _openai(server: LoopbackServer, **overrides: Any) -> OpenAISettings:
    values: dict[str, Any] = {
        "api_key": SecretStr(API_KEY),
        "base_url": f"{server.http_url}/v1",
        "retry_backoff_seconds": 0.01,
        "read_timeout_seconds": 2.0,
    }
    values.update(overrides)
    return OpenAISettings(**values)


@pytest.fixture
async def minting(
    services: None, make_settings: SettingsFactory, fake: tuple[FakeRealtime, LoopbackServer]
) -> AsyncIterator[RunningApp]:
    async with run_app(make_settings(openai=_openai(fake[1]))) as running:
        yield running


async def _mint(client: httpx.AsyncClient, key: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return await client.post("/api/realtime/session", json=body, headers=key_headers(key))


async def test_mint_sends_ga_body_and_returns_secret(
    minting: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    client = minting.client
    _org_id, key = await create_org_with_key(client)
    response = await _mint(client, key, {"caller": {"name": "Ana"}, "metadata": {"page": "/"}})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["client_secret"]["value"].startswith("ek_")
    assert body["model"] == "gpt-realtime-2.1"
    assert body["session"]["id"].startswith("sess_")
    [request] = fake[0].secret_requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert "openai-beta" not in request.headers
    sent = request.json
    assert sent["expires_after"] == {"anchor": "created_at", "seconds": 600}
    session = sent["session"]
    assert session["type"] == "realtime"
    assert session["model"] == "gpt-realtime-2.1"
    assert session["tool_choice"] == "auto"
    assert session["audio"]["output"]["voice"] == "marin"
    assert session["audio"]["input"]["transcription"]["model"] == "gpt-transcribe"
    assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert "not a medical professional" in session["instructions"]
    assert [t["name"] for t in session["tools"]] == ["escalate_call", "complete_intake", "end_call"]
    for tool in session["tools"]:
        assert set(tool) == {"type", "name", "description", "parameters"}
        assert tool["type"] == "function"
        assert tool["parameters"]["additionalProperties"] is False
    intake = session["tools"][1]["parameters"]
    assert intake["properties"]["visit_type"]["enum"] == ["new", "existing"]
    assert set(intake["required"]) == {"caller_name", "urgency_level", "summary"}
    detail = (await client.get(f"/api/calls/{body['call_id']}", headers=key_headers(key))).json()
    assert detail["channel"] == "browser" and detail["caller_name"] == "Ana"
    assert detail["prompt_hash"].startswith("sha256:")
    assert API_KEY not in response.text


async def test_mint_for_existing_call_reuses_it_and_gives_next_seq(minting: RunningApp) -> None:
    client = minting.client
    _, key = await create_org_with_key(client)
    first = await _mint(client, key)
    assert first.json()["next_seq"] == 0
    call_id = first.json()["call_id"]
    turns = {"turns": [{"speaker": "agent", "text": "Hello"}, {"speaker": "caller", "text": "Hi"}]}
    await client.post(f"/api/calls/{call_id}/transcript", json=turns, headers=key_headers(key))
    response = await _mint(client, key, {"call_id": call_id})
    assert response.status_code == 201
    assert response.json()["call_id"] == call_id
    assert response.json()["next_seq"] == 2


async def test_mint_for_another_orgs_call_is_404(minting: RunningApp) -> None:
    client = minting.client
    _, key_a = await create_org_with_key(client)
    _, key_b = await create_org_with_key(client)
    call_id = (await client.post("/api/call/start", json={}, headers=key_headers(key_a))).json()["call_id"]
    response = await _mint(client, key_b, {"call_id": call_id})
    assert response.status_code == 404


async def test_mint_with_bad_body_is_422(minting: RunningApp) -> None:
    _, key = await create_org_with_key(minting.client)
    response = await _mint(minting.client, key, {"caller": {"phone": "call me"}, "extra": 1})
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["error"]["details"]} == {"caller.phone", "extra"}


async def test_mint_needs_sessions_scope(minting: RunningApp) -> None:
    _, key = await create_org_with_key(minting.client, scopes=["calls:write"])
    response = await _mint(minting.client, key)
    assert response.status_code == 403


async def test_mint_without_openai_key_is_503(services: None, make_settings: SettingsFactory) -> None:
    async with run_app(make_settings()) as running:
        _, key = await create_org_with_key(running.client)
        response = await _mint(running.client, key)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "openai_not_configured"


@pytest.mark.parametrize(
    ("status", "body", "code", "expected_status"),
    [
        (401, {"error": {"code": "invalid_api_key", "message": "bad"}}, "upstream_auth_failed", 502),
        (403, {"error": {"code": "forbidden", "message": "no"}}, "upstream_auth_failed", 502),
        (400, {"error": {"code": "unknown_parameter", "message": "x"}}, "upstream_rejected", 502),
    ],
)
async def test_mint_maps_upstream_errors(
    minting: RunningApp,
    fake: tuple[FakeRealtime, LoopbackServer],
    status: int,
    body: dict[str, Any],
    code: str,
    expected_status: int,
) -> None:
    _, key = await create_org_with_key(minting.client)
    fake[0].fail_next(status, body)
    response = await _mint(minting.client, key)
    assert response.status_code == expected_status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["details"]["upstream_status"] == status
    assert error["details"]["call_id"]
    assert len(fake[0].secret_requests) == 1, "4xx must not be retried"


async def test_mint_rejected_carries_openai_error_code(
    minting: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    _, key = await create_org_with_key(minting.client)
    fake[0].fail_next(
        400, {"error": {"code": "unknown_parameter", "message": "x", "type": "invalid_request_error"}}
    )
    response = await _mint(minting.client, key)
    assert response.json()["error"]["details"]["upstream_code"] == "unknown_parameter"


async def test_mint_retries_5xx_and_429_then_succeeds(
    minting: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    _, key = await create_org_with_key(minting.client)
    fake[0].fail_next(500)
    fake[0].fail_next(429)
    response = await _mint(minting.client, key)
    assert response.status_code == 201
    assert len(fake[0].secret_requests) == 3


async def test_mint_gives_up_after_bounded_retries(
    minting: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    _, key = await create_org_with_key(minting.client)
    fake[0].fail_next(503, times=10)
    response = await _mint(minting.client, key)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unavailable"
    assert len(fake[0].secret_requests) == 3


async def test_mint_timeout_is_504(
    services: None, make_settings: SettingsFactory, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    settings = make_settings(openai=_openai(fake[1], read_timeout_seconds=0.2, max_retries=0))
    async with run_app(settings) as running:
        _, key = await create_org_with_key(running.client)
        fake[0].stall_next(2.0)
        response = await _mint(running.client, key)
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


async def test_mint_unreachable_upstream_is_502(services: None, make_settings: SettingsFactory) -> None:
    settings = make_settings(
        openai=OpenAISettings(
            api_key=SecretStr(API_KEY), base_url="http://127.0.0.1:9/v1", retry_backoff_seconds=0.01
        )
    )
    async with run_app(settings) as running:
        _, key = await create_org_with_key(running.client)
        response = await _mint(running.client, key)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unavailable"


async def test_api_key_never_logged_or_returned(
    minting: RunningApp, fake: tuple[FakeRealtime, LoopbackServer], caplog: pytest.LogCaptureFixture
) -> None:
    from app.logging import JsonFormatter

    caplog.set_level(logging.DEBUG)
    _, key = await create_org_with_key(minting.client)
    fake[0].fail_next(401, {"error": {"code": "invalid_api_key", "message": f"Incorrect API key {API_KEY}"}})
    failed = await _mint(minting.client, key)
    ok = await _mint(minting.client, key)
    rendered = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert API_KEY not in rendered and API_KEY not in failed.text and API_KEY not in ok.text
    assert "openai_mint_failed" in rendered


async def _started_rows(running: RunningApp, call_id: str) -> int:
    async with running.state.session_factory() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.call_id == uuid.UUID(call_id), OutboxEvent.type == "call.started")
        )
    return int(count or 0)


async def started_row_committed(running: RunningApp, call_id: str, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while await _started_rows(running, call_id) != 1:
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def outbox_locked(running: RunningApp) -> AsyncIterator[None]:
    """PostgreSQL holding every outbox write back (a slow or stuck database) until the block ends."""
    async with running.state.session_factory() as locker, locker.begin():
        await locker.execute(text(f"LOCK TABLE {OutboxEvent.__tablename__} IN ACCESS EXCLUSIVE MODE"))
        yield


async def test_mint_commits_the_call_started_row(minting: RunningApp) -> None:
    _, key = await create_org_with_key(minting.client)
    response = await _mint(minting.client, key)
    assert response.status_code == 201
    await started_row_committed(minting, response.json()["call_id"])


async def test_mint_answer_does_not_wait_for_the_outbox_commit(minting: RunningApp) -> None:
    # The row is queued beside the OpenAI round trip; a stuck PostgreSQL holds back only the row.
    _, key = await create_org_with_key(minting.client)
    await _mint(minting.client, key)  # the key is cached: auth needs no PostgreSQL either
    async with outbox_locked(minting):
        response = await asyncio.wait_for(_mint(minting.client, key), 5)
        assert response.status_code == 201
    await started_row_committed(minting, response.json()["call_id"])


async def test_failed_mint_still_commits_the_call_started_row(
    minting: RunningApp, fake: tuple[FakeRealtime, LoopbackServer]
) -> None:
    _, key = await create_org_with_key(minting.client)
    fake[0].fail_next(400, {"error": {"code": "unknown_parameter", "message": "x"}})
    response = await _mint(minting.client, key)
    assert response.status_code == 502
    call_id = response.json()["error"]["details"]["call_id"]
    await started_row_committed(minting, call_id)
