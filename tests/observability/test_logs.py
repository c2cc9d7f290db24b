"""Every log line of a call carries its call_id and org_id from context, on the REST path too."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from app.logging import JsonFormatter
from tests.conftest import RunningApp
from tests.observability.conftest import CALLER_NAME, CALLER_NUMBER, org_headers, start_and_end


class Lines(logging.Handler):
    """Formats each record when it is emitted, inside the context that logged it (as stderr would)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(orjson.loads(self.format(record)))


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_rest_call_log_lines_carry_call_id_and_org_id(running: RunningApp, lines: Lines) -> None:
    org_id, headers = await org_headers(running.client)
    lines.lines.clear()
    call_id = await start_and_end(running.client, headers)

    of_call = [
        line for line in lines.lines if line["event"] in {"call_started", "detection", "call_finalized"}
    ]
    assert {line["event"] for line in of_call} == {"call_started", "detection", "call_finalized"}
    requests = [line for line in lines.lines if line["event"] == "http_request"]
    assert len(requests) == 3
    for line in [*of_call, *requests]:
        assert (line.get("call_id"), line.get("org_id")) == (call_id, org_id), line
    rendered = orjson.dumps(lines.lines).decode()
    assert CALLER_NUMBER not in rendered and CALLER_NAME not in rendered


async def test_call_ids_do_not_leak_into_the_next_request(running: RunningApp, lines: Lines) -> None:
    _, headers = await org_headers(running.client)
    await start_and_end(running.client, headers)
    lines.lines.clear()
    assert (await running.client.get("/healthz")).status_code == 200
    (line,) = [line for line in lines.lines if line["event"] == "http_request"]
    assert "call_id" not in line and "org_id" not in line


async def test_a_path_call_id_that_is_not_a_uuid_is_not_logged(running: RunningApp, lines: Lines) -> None:
    _, headers = await org_headers(running.client)
    lines.lines.clear()
    response = await running.client.get("/api/calls/not-a-uuid-5557654321", headers=headers)
    assert response.status_code == 404
    assert all("call_id" not in line for line in lines.lines)
    assert "5557654321" not in orjson.dumps(lines.lines).decode()
