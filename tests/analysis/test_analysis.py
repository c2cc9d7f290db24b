"""Post-call analysis: queued at finalize, run against a fake Responses API, stored, then call.analyzed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from app.analysis import jobs, prompt
from app.analysis.jobs import Analyzer
from app.settings import OpenAISettings
from database.models import CallAnalysis, Organization, OutboxEvent
from tests.calls.conftest import Org, end, say, start
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.openai_responses import API_KEY, FakeResponses
from tests.fakes.server import LoopbackServer, serve
from tests.fakes.webhook_receiver import WebhookReceiver, running_receiver
from tests.fixtures.factories import create_org_with_key
from tests.webhooks.conftest import dispatcher_for, drain, hook_settings, register


def analysis_answer(_: str) -> dict[str, Any]:
    return {
        "summary": "Bo called to book a cleaning; a new patient.",
        "fields": {
            "caller_name": {"value": "Bo Smith", "confidence": 0.9, "evidence_turn_seqs": [0]},
            "visit_type": {"value": "new", "confidence": 0.8, "evidence_turn_seqs": [0]},
        },
        "disposition": "callback_needed",
        "follow_up_needed": True,
        "urgency": "routine",
    }


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeResponses, LoopbackServer]]:
    responses = FakeResponses(answer=analysis_answer)
    async with serve(responses.app()) as server:
        yield responses, server


@pytest.fixture
async def keyed_app(
    services: None, make_settings: SettingsFactory, fake: tuple[FakeResponses, LoopbackServer]
) -> AsyncIterator[RunningApp]:
    openai = OpenAISettings(api_key=API_KEY, base_url=f"{fake[1].http_url}/v1")
    async with run_app(make_settings(openai=openai, webhooks=hook_settings())) as running:
        yield running


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with running_receiver() as running:
        yield running


_OPEN: list[Analyzer] = []


def analyzer(app: RunningApp, **kwargs: Any) -> Analyzer:
    worker = Analyzer(app.state.session_factory, app.settings, retry_delays=(0.0,), **kwargs)
    _OPEN.append(worker)
    return worker


@pytest.fixture(autouse=True)
async def _close_analyzers() -> AsyncIterator[None]:
    yield
    while _OPEN:
        await _OPEN.pop().aclose()


async def ended_call(api: httpx.AsyncClient, org: Org) -> str:
    call_id = await start(api, org)
    await say(api, org, call_id, ("caller", "This is Bo Smith, I would like to book a cleaning"))
    args = {"caller_name": "Bo", "urgency_level": "routine", "summary": "cleaning"}
    await api.post(
        f"/api/calls/{call_id}/tool-calls",
        json={"name": "complete_intake", "arguments": args},
        headers=org.headers,
    )
    assert (await end(api, org, call_id)).status_code == 200
    return call_id


async def analysis_of(api: httpx.AsyncClient, org: Org, call_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/calls/{call_id}", headers=org.headers)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()["analysis"]
    return result


async def test_without_openai_key_analysis_is_disabled_and_nothing_fails(
    services: None, make_settings: SettingsFactory
) -> None:
    async with run_app(make_settings(webhooks=hook_settings())) as app:
        org = Org(*await create_org_with_key(app.client))
        call_id = await ended_call(app.client, org)
        assert await analyzer(app).run_once() == []
        assert (await analysis_of(app.client, org, call_id)) == {
            "status": "disabled",
            "analysis_version": 1,
            "model": None,
            "prompt_hash": None,
            "schema_version": 1,
            "completed_at": None,
        }


async def test_analysis_completes_with_extraction_reconciliation_and_provenance(
    keyed_app: RunningApp, fake: tuple[FakeResponses, LoopbackServer]
) -> None:
    api = keyed_app.client
    org = Org(*await create_org_with_key(api))
    call_id = await ended_call(api, org)
    assert (await analysis_of(api, org, call_id))["status"] == "pending"
    assert await analyzer(keyed_app).run_once() == ["completed"]
    analysis = await analysis_of(api, org, call_id)
    assert analysis["status"] == "completed"
    assert analysis["summary"].startswith("Bo called")
    assert analysis["fields"]["caller_name"] == {
        "value": "Bo Smith",
        "confidence": 0.9,
        "evidence_turn_seqs": [0],
    }
    assert (analysis["disposition"], analysis["follow_up_needed"], analysis["urgency"]) == (
        "callback_needed",
        True,
        "routine",
    )
    assert analysis["reconciliation"] == {
        "added": ["visit_type"],
        "different": ["caller_name"],
        "missing": [],
    }
    assert analysis["model"] == "gpt-6.1-terra" and analysis["prompt_hash"].startswith("sha256:")
    [request] = fake[0].requests
    assert request["store"] is False and request["model"] == "gpt-6.1-terra"
    schema = request["text"]["format"]["schema"]
    assert set(schema["properties"]["fields"]["properties"]) == {"caller_name", "visit_type"}
    assert "[0] caller: This is Bo Smith" in request["input"][0]["content"][0]["text"]


async def test_call_analyzed_follows_call_ended_on_webhooks(
    keyed_app: RunningApp, receiver: WebhookReceiver
) -> None:
    api = keyed_app.client
    org = Org(*await create_org_with_key(api))
    hook = await register(api, org, receiver.url, ["call.ended", "call.analyzed"])
    call_id = await ended_call(api, org)
    await drain(dispatcher_for(keyed_app))
    assert [r.verify(hook["secret"])["type"] for r in receiver.received] == ["call.ended"]
    await analyzer(keyed_app).run_once()
    await drain(dispatcher_for(keyed_app))
    analyzed = receiver.received[-1].verify(hook["secret"])
    assert analyzed["type"] == "call.analyzed" and analyzed["data"]["call_id"] == call_id
    assert analyzed["data"]["summary"].startswith("Bo called") and "fields" not in analyzed["data"]


async def test_server_errors_are_retried_up_to_three_attempts_then_failed(
    keyed_app: RunningApp, fake: tuple[FakeResponses, LoopbackServer]
) -> None:
    api = keyed_app.client
    org = Org(*await create_org_with_key(api))
    call_id = await ended_call(api, org)
    fake[0].fail_status = 500
    worker = analyzer(keyed_app)
    assert await worker.run_once() == ["pending"]
    assert await worker.run_once() == ["pending"]
    assert await worker.run_once() == ["failed"]
    assert await worker.run_once() == []
    assert len(fake[0].requests) == 3
    analysis = await analysis_of(api, org, call_id)
    assert (analysis["status"], analysis["error_kind"]) == ("failed", "http_500")


async def test_refused_request_fails_at_once(
    keyed_app: RunningApp, fake: tuple[FakeResponses, LoopbackServer]
) -> None:
    api = keyed_app.client
    org = Org(*await create_org_with_key(api))
    call_id = await ended_call(api, org)
    fake[0].fail_status = 400
    assert await analyzer(keyed_app).run_once() == ["failed"]
    assert (await analysis_of(api, org, call_id))["error_kind"] == "http_400"


async def test_two_analyzers_run_each_job_once(
    keyed_app: RunningApp, fake: tuple[FakeResponses, LoopbackServer]
) -> None:
    api = keyed_app.client
    org = Org(*await create_org_with_key(api))
    for _ in range(6):
        await ended_call(api, org)
    fake[0].delay = 0.05
    first, second = analyzer(keyed_app, concurrency=6), analyzer(keyed_app, concurrency=6)
    results = await asyncio.gather(first.run_once(), second.run_once())
    assert sorted(results[0] + results[1]) == ["completed"] * 6
    assert len(fake[0].requests) == 6
    async with keyed_app.state.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(CallAnalysis)) == 6


async def set_analysis_config(app: RunningApp, org: Org, options: dict[str, Any]) -> None:
    """`analysis` in the stored org config (OrgConfig does not accept the key yet: set after start)."""
    async with app.state.session_factory() as session, session.begin():
        org_id = uuid.UUID(org.id)
        config = await session.scalar(select(Organization.config).where(Organization.id == org_id))
        await session.execute(
            update(Organization)
            .where(Organization.id == org_id)
            .values(config={**config, "analysis": options})
        )


async def test_org_config_overrides_the_model(
    keyed_app: RunningApp, fake: tuple[FakeResponses, LoopbackServer]
) -> None:
    api = keyed_app.client
    org = Org(*await create_org_with_key(api))
    call_id = await start(api, org)
    await set_analysis_config(keyed_app, org, {"model": "gpt-6-luna"})
    assert (await end(api, org, call_id)).status_code == 200
    await analyzer(keyed_app).run_once()
    assert fake[0].requests[-1]["model"] == "gpt-6-luna"
    assert (await analysis_of(api, org, call_id))["model"] == "gpt-6-luna"


async def test_org_config_turns_analysis_off(
    keyed_app: RunningApp, fake: tuple[FakeResponses, LoopbackServer]
) -> None:
    api = keyed_app.client
    org = Org(*await create_org_with_key(api))
    call_id = await start(api, org)
    await set_analysis_config(keyed_app, org, {"enabled": False})
    assert (await end(api, org, call_id)).status_code == 200
    assert await analyzer(keyed_app).run_once() == []
    assert (await analysis_of(api, org, call_id))["status"] == "disabled"
    assert fake[0].requests == []


async def test_repeated_end_queues_one_analysis(keyed_app: RunningApp) -> None:
    api = keyed_app.client
    org = Org(*await create_org_with_key(api))
    call_id = await ended_call(api, org)
    assert (await end(api, org, call_id)).status_code == 200
    async with keyed_app.state.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(CallAnalysis)) == 1


def test_output_schema_is_strict_at_every_level() -> None:
    fields = [
        {"name": "caller_name", "label": "Name", "type": "string"},
        {"name": "visit", "label": "Visit", "type": "enum", "options": ["new", "existing"]},
        {"name": "insured", "label": "Insured", "type": "boolean"},
    ]
    schema = prompt.output_schema(fields)

    def check(node: dict[str, Any]) -> None:
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert set(node["required"]) == set(node["properties"])
            for child in node["properties"].values():
                check(child)

    check(schema)
    visit = schema["properties"]["fields"]["properties"]["visit"]["properties"]["value"]
    assert visit["enum"] == ["new", "existing", None]


def test_reconcile_names_added_different_and_missing_fields() -> None:
    extracted = {
        "a": {"value": "x"},
        "b": {"value": "Bo"},
        "c": {"value": None},
        "d": {"value": "same"},
    }
    assert prompt.reconcile(extracted, {"b": "Bob", "d": "Same "}) == {
        "added": ["a"],
        "different": ["b"],
        "missing": ["c"],
    }


async def test_analyzers_wake_on_a_queued_job_not_on_every_outbox_commit(keyed_app: RunningApp) -> None:
    # A call start writes `call.started` to the outbox; a claim per such commit cost every mint a
    # transaction. Only the finalize that queued the job wakes the analyzers.
    api = keyed_app.client
    org = Org(*await create_org_with_key(api))
    wake = asyncio.Event()
    jobs.add_waker(wake)
    try:
        call_id = await start(api, org)
        async with keyed_app.state.session_factory() as session:
            started = await session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.call_id == uuid.UUID(call_id))
            )
        assert started == 1 and not wake.is_set()
        assert (await end(api, org, call_id)).status_code == 200
        assert wake.is_set()
    finally:
        jobs.remove_waker(wake)
