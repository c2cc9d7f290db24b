"""Run any ASGI app as a real HTTP/WebSocket server on 127.0.0.1 with an ephemeral port.

Used for our own app and for the vendor fakes alike, so every test talks over real sockets. Our app is
served as main.py serves it (`APP_WS`, the relay's WebSocket protocol); the fakes on uvicorn's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from app.telephony.ws_server import RelayWebSocketProtocol

APP_WS = RelayWebSocketProtocol


class LoopbackServer:
    def __init__(self, app: Any, *, ws_max_size: int = 1 << 20, ws: Any = "websockets-sansio") -> None:
        self.app = app
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="on",
            ws=ws,
            ws_max_size=ws_max_size,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)
        self._sock.close()


@contextlib.asynccontextmanager
async def serve(app: Any, **kwargs: Any) -> AsyncIterator[LoopbackServer]:
    server = LoopbackServer(app, **kwargs)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
