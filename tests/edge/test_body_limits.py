"""Item 4: body limits enforced while the body streams in, before auth and parsing (413, our shape)."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from tests.conftest import RunningApp
from tests.fixtures.factories import create_org_with_key, key_headers

MB = 1024 * 1024
UPLOAD = 50 * MB


async def _upload(
    port: int, path: str, *, total: int, headers: dict[str, str], declare: bool = False, fill: bytes = b"x"
) -> tuple[int, bytes, int]:
    """Stream `total` bytes to path; return (status, body, bytes sent when the response began)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = f"Content-Length: {total}" if declare else "Transfer-Encoding: chunked"
    head = f"POST {path} HTTP/1.1\r\nHost: edge\r\n{framing}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    writer.write(head.encode())
    sent = 0
    chunk = fill * (256 * 1024)

    async def pump() -> None:
        nonlocal sent
        with contextlib.suppress(ConnectionError, OSError):
            while sent < total:
                writer.write(chunk if declare else f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
                sent += len(chunk)
            if not declare:
                writer.write(b"0\r\n\r\n")
                await writer.drain()

    task = asyncio.create_task(pump())
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=120)
        sent_at_response = sent
        response_head = b""
        while (line := await asyncio.wait_for(reader.readline(), timeout=10)) not in (b"\r\n", b""):
            response_head += line
        length = next(
            int(h.split(b":")[1])
            for h in response_head.split(b"\r\n")
            if h.lower().startswith(b"content-length")
        )
        body = await asyncio.wait_for(reader.readexactly(length), timeout=10)
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        writer.close()
    return int(status_line.split()[1]), body, sent_at_response


def _is_413(status: int, body: bytes) -> bool:
    return status == 413 and b'"code":"body_too_large"' in body


async def test_50mb_chunked_webhook_is_refused_before_it_is_read(app: RunningApp) -> None:
    status, body, sent = await _upload(
        app.server.port,
        "/twilio/voice",
        total=UPLOAD,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert _is_413(status, body), (status, body)
    assert sent < 16 * MB, f"the server read {sent} bytes before answering"


async def test_50mb_declared_json_body_is_refused_without_reading(app: RunningApp) -> None:
    _, key = await create_org_with_key(app.client)
    status, body, sent = await _upload(
        app.server.port,
        "/api/call/start",
        total=UPLOAD,
        declare=True,
        headers={**key_headers(key), "Content-Type": "application/json"},
    )
    assert _is_413(status, body), (status, body)
    assert sent < 16 * MB


async def test_50mb_chunked_json_body_is_refused_while_streaming(app: RunningApp) -> None:
    _, key = await create_org_with_key(app.client)
    status, body, sent = await _upload(
        app.server.port,
        "/api/call/start",
        total=UPLOAD,
        fill=b"[",
        headers={**key_headers(key), "Content-Type": "application/json"},
    )
    assert _is_413(status, body), (status, body)
    assert sent < 16 * MB


async def test_unauthenticated_invalid_json_is_401_not_parsed(app: RunningApp) -> None:
    response = await app.client.post(
        "/api/call/start", content=b"{" * (512 * 1024), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "missing_credentials"


async def test_webhook_over_64kb_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/twilio/status",
        content=b"CallSid=CA1&x=" + b"a" * (65 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "body_too_large"


async def test_json_api_over_1mb_is_413_and_transcript_allows_4mb(client: httpx.AsyncClient) -> None:
    org_id, key = await create_org_with_key(client)
    big_config = b'{"greeting": "' + b"a" * (1024 * 1024) + b'"}'
    response = await client.patch(
        f"/api/org/config/{org_id}",
        content=big_config,
        headers={**key_headers(key), "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    call_id = (await client.post("/api/call/start", json={}, headers=key_headers(key))).json()["call_id"]
    turns = [{"speaker": "agent", "text": "word " * 500} for _ in range(480)]  # ~1.2 MB of JSON
    response = await client.post(
        f"/api/calls/{call_id}/transcript", json={"turns": turns}, headers=key_headers(key)
    )
    assert response.status_code == 200, response.text
    ended = await client.post("/api/call/end", json={"call_id": call_id}, headers=key_headers(key))
    assert ended.status_code == 200, ended.text
