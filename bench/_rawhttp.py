"""A light HTTP/1.1 load generator for the benches: one keep-alive connection per worker, requests
encoded once up front, responses parsed by httptools (the parser uvicorn itself uses).

Why not httpx: at 180 requests/s httpx's pool and its h11 parser cost this process ~4.5 ms of CPU per
request (80% of the core it shares with the fake OpenAI), so the client, not the app, set the pace. Here
a request costs ~0.1-0.2 ms. A connection idle for longer than `max_idle` is replaced before it is
reused: uvicorn closes idle keep-alive connections after 5 s, and a request written just as it does so
is reset (the "keep-alive race"), which is a client artefact, not a server error.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

import httptools

SERVER_KEEP_ALIVE_SECONDS = 5.0  # uvicorn's default timeout_keep_alive


@dataclass(frozen=True, slots=True)
class Request:
    """One request as bytes, sendable any number of times on a connection to its host."""

    host: str
    port: int
    raw: bytes

    @classmethod
    def build(
        cls, method: str, url: str, *, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Request:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return cls(parts.hostname or "127.0.0.1", parts.port or 80, head + body)


@dataclass(slots=True)
class Response:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    keep_alive: bool = True


class ConnectionLost(Exception):
    """The server closed or reset the connection before the whole response arrived."""

    def __init__(self, detail: str, *, got_bytes: bool, reused: bool, idle: float) -> None:
        super().__init__(detail)
        self.detail, self.got_bytes, self.reused, self.idle = detail, got_bytes, reused, idle


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.response = Response()
        self.parser = httptools.HttpResponseParser(self)
        self.received = 0
        self.closed = False
        self._name = b""
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(f"unparseable response: {exc}")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(f"{type(exc).__name__}: {exc}" if exc else "closed by the server (EOF)")

    def _fail(self, detail: str) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(detail))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.response.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.response.status = self.parser.get_status_code()
        self.response.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.response.body = b"".join(self._body)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(self.response)


class Connection:
    """One keep-alive connection to one host; one request at a time."""

    def __init__(self, host: str, port: int, *, max_idle: float = SERVER_KEEP_ALIVE_SECONDS - 1.0) -> None:
        self.host, self.port, self.max_idle = host, port, max_idle
        self._protocol: _Protocol | None = None
        self._used = 0
        self._last = 0.0
        self.replaced_idle = 0  # connections replaced before reuse because they had idled too long

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(_Protocol, self.host, self.port)
        self._used = 0
        return protocol

    async def send(self, request: Request) -> Response:
        now = time.monotonic()
        protocol = self._protocol
        if protocol is not None and not protocol.closed and self._used and now - self._last > self.max_idle:
            self.replaced_idle += 1
            self.close()
            protocol = None
        if protocol is None or protocol.closed:
            protocol = self._protocol = await self._connect()
        reused, idle = self._used > 0, now - self._last if self._used else 0.0
        protocol.response, protocol._body, protocol.received = Response(), [], 0
        protocol.waiter = asyncio.get_running_loop().create_future()
        assert protocol.transport is not None
        protocol.transport.write(request.raw)
        try:
            response = await protocol.waiter
        except ConnectionError as exc:
            self.close()
            raise ConnectionLost(
                str(exc), got_bytes=protocol.received > 0, reused=reused, idle=idle
            ) from None
        finally:
            protocol.waiter = None
        self._used += 1
        self._last = time.monotonic()
        if not response.keep_alive:
            self.close()
        return response

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None


class Client:
    """Connections by (host, port) for sequential use: the same keep-alive connection each time."""

    def __init__(self) -> None:
        self._connections: dict[tuple[str, int], Connection] = {}

    def connection(self, host: str, port: int) -> Connection:
        found = self._connections.get((host, port))
        if found is None:
            found = self._connections[(host, port)] = Connection(host, port)
        return found

    async def send(self, request: Request) -> Response:
        return await self.connection(request.host, request.port).send(request)

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
