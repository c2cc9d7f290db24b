"""A webhook receiver on loopback: records every POST (headers and raw body) and answers as scripted.

It can be stopped and started again on the same port (a receiver that is down for a while), delay
its answer (a send in flight), or answer with any status and headers (410, 429 + Retry-After ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> Any:
        """The payload if the signature verifies with `secret` (standardwebhooks' own verifier)."""
        return Webhook(secret).verify(self.body, self.headers)

    def verifies(self, secret: str) -> bool:
        try:
            self.verify(secret)
        except (WebhookVerificationError, ValueError):  # a malformed header raises ValueError
            return False
        return True


# (status, headers, delay seconds) for one request.
Answer = tuple[int, dict[str, str], float]
Responder = Callable[[Received], Answer]


def _ok(_: Received) -> Answer:
    return 200, {}, 0.0


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.responder: Responder = _ok
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._arrived = asyncio.Condition()
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST", "GET"])])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def _handle(self, request: Request) -> Response:
        item = Received(request.url.path, dict(request.headers), (await request.body()).decode())
        async with self._arrived:
            self.received.append(item)
            self._arrived.notify_all()
        status, headers, delay = self.responder(item)
        if delay:
            await asyncio.sleep(delay)
        return Response(b"ok" if status < 300 else b"no", status_code=status, headers=headers)

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=5)
        self._server = self._task = None

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Until at least `count` requests arrived (TimeoutError otherwise)."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)

    def message_ids(self) -> list[str]:
        return [item.message_id for item in self.received]


@contextlib.asynccontextmanager
async def running_receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


def _main() -> None:
    """`python -m tests.fakes.webhook_receiver`: answers 200 and records arrival times (for benchmarks).

    GET /log returns [[webhook-id, arrival epoch seconds], ...].
    """
    import argparse
    import time

    import orjson

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    log: list[tuple[str, float]] = []

    async def receive(request: Request) -> Response:
        await request.body()
        log.append((request.headers.get("webhook-id", ""), time.time()))
        return Response(b"ok")

    async def read_log(_: Request) -> Response:
        return Response(orjson.dumps(log), media_type="application/json")

    app = Starlette(routes=[Route("/hooks", receive, methods=["POST"]), Route("/log", read_log)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    print(f"RECEIVER_URL=http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])


if __name__ == "__main__":
    _main()
