"""examples/realtime_integration_example.py, run as a subprocess against the real app and the fake OpenAI."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from app.settings import OpenAISettings
from simulator.realtime import FakeRealtime
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.server import serve
from tests.fixtures.factories import create_org_with_key, key_headers

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "realtime_integration_example.py"
OPENAI_KEY = "sk-test-example-0123456789abcdef"
# The demo org's intake fields (database/seed.sql), which the example sends by default.
DEMO_INTAKE_FIELDS: list[dict[str, Any]] = [
    {"name": "caller_name", "label": "Your name", "type": "string", "required": True},
    {"name": "callback_phone", "label": "Best number to call you back", "type": "phone", "required": True},
    {
        "name": "visit_type",
        "label": "Visit type",
        "type": "enum",
        "required": False,
        "options": ["new", "existing"],
    },
    {"name": "reason", "label": "Reason for the call", "type": "string", "required": True},
]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Stack:
    app: RunningApp
    fake: FakeRealtime
    key: str


@pytest.fixture
async def stack(services: None, make_settings: SettingsFactory) -> AsyncIterator[Stack]:
    fake = FakeRealtime(api_key=OPENAI_KEY)
    async with serve(fake.app) as upstream:
        openai = OpenAISettings(api_key=SecretStr(OPENAI_KEY), base_url=f"{upstream.http_url}/v1")
        async with run_app(make_settings(openai=openai)) as app:
            _, key = await create_org_with_key(app.client, intake_fields=DEMO_INTAKE_FIELDS)
            yield Stack(app, fake, key)


async def run_example(stack: Stack, *args: str, key: str | None = None) -> Result:
    env = {**os.environ, "CALLINTAKE_URL": stack.app.server.http_url, "CALLINTAKE_API_KEY": key or stack.key}
    # Async, so the app under test keeps serving on this event loop while the script talks to it.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())


async def only_call(stack: Stack) -> dict[str, Any]:
    headers = key_headers(stack.key)
    listed = await stack.app.client.get("/api/calls", headers=headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert len(items) == 1
    response = await stack.app.client.get(f"/api/calls/{items[0]['call_id']}", headers=headers)
    assert response.status_code == 200, response.text
    call: dict[str, Any] = response.json()
    return call


async def test_example_stores_finished_call_with_intake_when_caller_is_routine(stack: Stack) -> None:
    result = await run_example(stack)

    assert result.returncode == 0, result.stderr
    call = await only_call(stack)
    assert call["live"] is False
    assert call["status"] == "completed"
    assert call["end_reason"] == "agent_end_call"
    assert [turn["speaker"] for turn in call["transcript"]] == ["agent", "caller", "agent"]
    assert call["intake"]["data"] == {
        "caller_name": "Ana Diaz",
        "callback_phone": "+15555550123",
        "reason": "Book a cleaning next week",
        "visit_type": "new",
    }
    assert call["intake"]["urgency"] == "routine"
    assert call["escalated"] is False
    assert call["metadata"] == {"source": "realtime_integration_example"}
    assert call["call_id"] in result.stdout


async def test_example_prints_secret_prefix_only_when_session_minted(stack: Stack) -> None:
    result = await run_example(stack)

    assert result.returncode == 0, result.stderr
    assert len(stack.fake.minted) == 1
    (secret,) = stack.fake.minted
    assert secret[:6] in result.stdout
    assert secret not in result.stdout + result.stderr
    assert "+15555550123" not in result.stdout


async def test_example_escalates_without_intake_when_caller_asks_for_person(stack: Stack) -> None:
    result = await run_example(stack, "--caller-line", "Can I talk to a person please?")

    assert result.returncode == 0, result.stderr
    assert "escalation: human_request" in result.stdout
    call = await only_call(stack)
    assert call["live"] is False
    assert call["escalated"] is True
    assert call["escalation_urgency"] == "urgent"
    assert call["intake"] is None


async def test_example_exits_nonzero_with_error_code_when_intake_fields_mismatch(stack: Stack) -> None:
    result = await run_example(stack, "--fields", '{"patient_name": "Ana"}')

    assert result.returncode == 1
    assert "422 invalid_tool_arguments" in result.stderr
    assert "patient_name: is not an allowed property" in result.stderr


async def test_example_ends_call_when_a_step_fails(stack: Stack) -> None:
    result = await run_example(stack, "--fields", '{"patient_name": "Ana"}')

    assert result.returncode == 1
    call = await only_call(stack)
    assert call["live"] is False
    assert call["end_reason"] == "client_error"
    assert call["intake"] is None


async def test_example_exits_nonzero_with_error_code_when_key_is_unknown(stack: Stack) -> None:
    unknown = "cik_000000000000_" + "A" * 43  # well-formed, never issued

    result = await run_example(stack, key=unknown)

    assert result.returncode == 1
    assert "401 invalid_credentials" in result.stderr
    assert result.stdout == ""


async def test_example_unified_path_runs_the_call_on_the_server(stack: Stack) -> None:
    result = await run_example(stack, "--path", "unified")

    assert result.returncode == 0, result.stderr
    call = await only_call(stack)
    assert (call["live"], call["channel"], call["end_reason"]) == (False, "browser", "caller_hung_up")
    assert call["caller_name"] == "Example caller"
    types = [event["type"] for event in call["events"]]
    assert "webrtc_call_created" in types and "sideband_attached" in types
    assert stack.fake.minted == set()  # no client secret was ever minted
    assert len(stack.fake.calls) == 1 and "answer SDP" in result.stdout
    assert f"/v1/realtime/calls/{next(iter(stack.fake.calls))}" not in result.stdout


async def test_example_unified_path_reports_a_refused_offer(stack: Stack) -> None:
    result = await run_example(stack, "--path", "unified", key="cik_000000000000_" + "A" * 43)

    assert result.returncode == 1 and "401 invalid_credentials" in result.stderr
