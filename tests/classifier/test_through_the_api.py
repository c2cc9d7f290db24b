"""The second opinion through the public API: it raises what the local detector missed, never lowers
it, and never holds the transcript answer past its budget or fails it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.settings import OpenAISettings
from tests.calls.conftest import Org, say, start
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.openai_responses import API_KEY, FakeResponses
from tests.fakes.server import LoopbackServer
from tests.fixtures.factories import create_org_with_key

# A line the local detector lets pass; the fake classifier calls it an emergency.
SUBTLE = "she looks kind of grey and sweaty"


def _answer(line: str) -> dict[str, Any]:
    if "grey and sweaty" in line:
        return {"category": "emergency", "confidence": 0.95, "evidence": "grey and sweaty"}
    return {"category": "routine", "confidence": 0.9, "evidence": ""}


@pytest.fixture
def fake() -> FakeResponses:
    return FakeResponses(answer=_answer)


@pytest.fixture
async def classified(
    services: None, make_settings: SettingsFactory, fake: FakeResponses
) -> AsyncIterator[RunningApp]:
    server = LoopbackServer(fake.app())
    await server.start()
    try:
        openai = OpenAISettings(
            api_key=SecretStr(API_KEY),
            base_url=f"{server.http_url}/v1",
            classifier_enabled=True,
            classifier_budget_ms=2000,
        )
        async with run_app(make_settings(openai=openai)) as running:
            yield running
    finally:
        await server.stop()


async def _org(client: httpx.AsyncClient) -> Org:
    org_id, key = await create_org_with_key(client)
    return Org(org_id, key)


async def _events(client: httpx.AsyncClient, org: Org, call_id: str, type_: str) -> list[dict[str, Any]]:
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    return [e["data"] for e in detail["events"] if e["type"] == type_]


async def test_second_opinion_escalates_a_line_the_local_detector_missed(classified: RunningApp) -> None:
    client = classified.client
    org = await _org(client)
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", SUBTLE))
    assert result["escalation"]["category"] == "emergency"
    assert result["detection"]["category"] == "emergency"
    [detection] = await _events(client, org, call_id, "detection")
    assert detection["source"] == "classifier"
    assert detection["action"] == "escalated"
    [escalated] = await _events(client, org, call_id, "escalated")
    assert escalated["source"] == "classifier"
    detail = (await client.get(f"/api/calls/{call_id}", headers=org.headers)).json()
    assert detail["escalated"] is True and detail["urgency"] == "emergency"


async def test_second_opinion_never_lowers_a_local_emergency(
    classified: RunningApp, fake: FakeResponses
) -> None:
    client = classified.client
    org = await _org(client)
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", "my husband is not breathing"))
    assert result["escalation"]["category"] == "emergency"  # the fake says routine for this line
    [detection] = await _events(client, org, call_id, "detection")
    assert detection["source"] != "classifier"
    assert len(fake.requests) == 1  # it was asked, and its routine verdict changed nothing


async def test_agent_lines_are_never_sent_to_the_classifier(
    classified: RunningApp, fake: FakeResponses
) -> None:
    client = classified.client
    org = await _org(client)
    call_id = await start(client, org)
    await say(client, org, call_id, ("agent", SUBTLE))
    assert fake.requests == []


async def test_failing_classifier_leaves_the_answer_as_the_local_detector_gave_it(
    classified: RunningApp, fake: FakeResponses
) -> None:
    fake.fail_status = 500
    client = classified.client
    org = await _org(client)
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", SUBTLE))
    assert result["escalation"] is None
    assert await _events(client, org, call_id, "detection") == []
    opinion = classified.state.extras["second_opinion"]
    assert opinion.classifier.stats["status_500"] == 1


async def test_slow_classifier_is_applied_after_the_answer(
    classified: RunningApp, fake: FakeResponses
) -> None:
    fake.delay = 3.0  # past the 2 s budget
    client = classified.client
    org = await _org(client)
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", SUBTLE))
    assert result["escalation"] is None  # the answer did not wait past its budget
    await classified.state.extras["second_opinion"].drain()
    [escalated] = await _events(client, org, call_id, "escalated")
    assert escalated["source"] == "classifier"


async def test_without_the_setting_no_line_leaves_the_service(
    client: httpx.AsyncClient, app: RunningApp
) -> None:
    org = await _org(client)
    call_id = await start(client, org)
    result = await say(client, org, call_id, ("caller", SUBTLE))
    assert result["escalation"] is None
    assert not app.state.extras["second_opinion"].enabled
