"""RelayClientConnection: a whole text message goes to the hook only when nothing is queued before it;
what it declines, and what arrives behind a queued message, is read through recv in order. A real
websockets server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from app.realtime.upstream import RelayClientConnection, Upstream


class _Speaker:
    """Sends what the test puts in `outbox`, one batch at a time."""

    def __init__(self) -> None:
        self.outbox: asyncio.Queue[list[str]] = asyncio.Queue()

    async def handler(self, ws: ServerConnection) -> None:
        sending = asyncio.ensure_future(self._send(ws))
        try:
            await ws.wait_closed()
        finally:
            sending.cancel()

    async def _send(self, ws: ServerConnection) -> None:
        while True:
            batch = await self.outbox.get()
            for text in batch:
                await ws.send(text)


@pytest.fixture
async def lane() -> AsyncIterator[tuple[Upstream, _Speaker]]:
    speaker = _Speaker()
    async with serve(speaker.handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(
            f"ws://127.0.0.1:{port}", compression=None, create_connection=RelayClientConnection
        )
        try:
            yield Upstream(ws), speaker
        finally:
            await ws.close()


async def test_the_hook_takes_a_message_only_when_nothing_waits_before_it(
    lane: tuple[Upstream, _Speaker],
) -> None:
    upstream, speaker = lane
    hooked: list[str] = []
    assert upstream.set_text_hook(lambda text: text.startswith("fast") and (hooked.append(text) or True))
    speaker.outbox.put_nowait(["slow-1", "fast-1", "slow-2"])
    # "fast-1" arrived behind a queued message: it is read in order, not taken by the hook.
    got = [await asyncio.wait_for(upstream.ws.recv(), 5) for _ in range(3)]
    assert got == ["slow-1", "fast-1", "slow-2"] and hooked == []
    speaker.outbox.put_nowait(["fast-2", "slow-3"])
    assert await asyncio.wait_for(upstream.ws.recv(), 5) == "slow-3"
    assert hooked == ["fast-2"]
    assert upstream.set_text_hook(None)
    speaker.outbox.put_nowait(["fast-3"])
    assert await asyncio.wait_for(upstream.ws.recv(), 5) == "fast-3"
    assert hooked == ["fast-2"]


async def test_a_hook_that_raises_leaves_the_message_to_recv(lane: tuple[Upstream, _Speaker]) -> None:
    upstream, speaker = lane

    def broken(text: str) -> bool:
        raise RuntimeError("bug")

    upstream.set_text_hook(broken)
    speaker.outbox.put_nowait(["kept"])
    assert await asyncio.wait_for(upstream.ws.recv(), 5) == "kept"
