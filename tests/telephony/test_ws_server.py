"""RelayWebSocketProtocol: the frames it splits itself arrive as uvicorn's own protocol delivers them, in
order, however TCP cuts them; everything else is still websockets' (control frames, fragments, limits,
close codes); its hook and its direct send keep that order. A real uvicorn on loopback and a raw client."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from app.telephony.ws_server import RelayWebSocketProtocol, relay_socket
from tests.fakes.server import LoopbackServer
from tests.fakes.twilio import FRAME_BYTES
from tests.telephony.conftest import RigFactory

MAX_SIZE = 1 << 17


@dataclass
class Recorder:
    """What each connection's app saw, in order: `asgi:` through receive, `hook:` through the hook."""

    logs: dict[str, list[str]] = field(default_factory=dict)
    done: dict[str, asyncio.Event] = field(default_factory=dict)

    async def socket(self, ws: WebSocket) -> None:
        name = ws.query_params["id"]
        log = self.logs.setdefault(name, [])
        self.done.setdefault(name, asyncio.Event())
        await ws.accept()
        relay = relay_socket(ws.scope)
        if relay is None:
            log.append("no relay socket")
        elif ws.query_params.get("hook") == "1":
            relay.text_hook = lambda text: text.startswith("fast") and (log.append("hook:" + text) or True)
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("text") is not None:
                    log.append("asgi:" + message["text"])
                    if message["text"] == "reply" and relay is not None:  # both ways, in the order asked
                        assert relay.send_text_now("one")
                        await ws.send_text("two")
                        assert relay.send_text_now("three")
                else:
                    log.append("bytes:" + message["bytes"].hex())
        finally:
            self.done[name].set()

    async def read_log(self, request: Request) -> JSONResponse:
        return JSONResponse(self.logs.get(request.query_params["id"], []))


@contextlib.asynccontextmanager
async def relay_server(ws: Any = RelayWebSocketProtocol) -> AsyncIterator[tuple[LoopbackServer, Recorder]]:
    recorder = Recorder()
    app = Starlette(
        routes=[WebSocketRoute("/ws", recorder.socket), Route("/log", recorder.read_log)],
    )
    server = LoopbackServer(app, ws_max_size=MAX_SIZE, ws=ws)
    await server.start()
    try:
        yield server, recorder
    finally:
        await server.stop()


def client_frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True) -> bytes:
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head = bytes((first, mask_bit | length))
    elif length < 65536:
        head = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, length)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class RawClient:
    """A WebSocket client that writes frames as given bytes, so a test decides where TCP cuts them."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, server: LoopbackServer, query: str) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_frame(self) -> tuple[int, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(length)

    async def close_code(self) -> int:
        """Read until the server's close frame; its status code."""
        async with asyncio.timeout(5):
            while True:
                opcode, payload = await self.read_frame()
                if opcode == 0x8:
                    return int.from_bytes(payload[:2], "big")

    def abort(self) -> None:
        self.writer.close()


async def read_log(server: LoopbackServer, name: str) -> list[str]:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        return list((await client.get("/log", params={"id": name})).json())


# A message: ("text", str) one frame; ("split", str) a text in three fragments; ("bytes", hex); ("ping", "").
_SIZES = st.sampled_from([0, 1, 125, 126, 127, 65535, 65536, 70000])
_TEXT = st.one_of(
    st.text(max_size=40), _SIZES.map(lambda n: "x" * n), st.text(max_size=10).map("fast{}".format)
)
_MESSAGE = st.one_of(
    st.tuples(st.just("text"), _TEXT),
    st.tuples(st.just("split"), st.text(min_size=3, max_size=30)),
    st.tuples(st.just("bytes"), st.binary(max_size=20).map(bytes.hex)),
    st.tuples(st.just("ping"), st.just("")),
)


def encode(messages: list[tuple[str, str]]) -> tuple[bytes, list[str], int]:
    """The frames of `messages`; what the app should log without a hook; the pongs expected."""
    wire, expected, pings = b"", [], 0
    for kind, value in messages:
        if kind == "text":
            wire += client_frame(0x1, value.encode())
            expected.append("asgi:" + value)
        elif kind == "split":
            data = value.encode()
            third = len(data) // 3
            wire += client_frame(0x1, data[:third], fin=False)
            wire += client_frame(0x9, b"between")  # a control frame inside a fragmented message
            wire += client_frame(0x0, data[third : 2 * third], fin=False)
            wire += client_frame(0x0, data[2 * third :])
            expected.append("asgi:" + value)
            pings += 1
        elif kind == "bytes":
            wire += client_frame(0x2, bytes.fromhex(value))
            expected.append("bytes:" + value)
        else:
            wire += client_frame(0x9, b"ping")
            pings += 1
    return wire, expected, pings


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    messages=st.lists(_MESSAGE, min_size=1, max_size=8),
    cuts=st.lists(st.floats(min_value=0, max_value=1), max_size=6),
    hook=st.booleans(),
)
async def test_messages_arrive_whole_and_in_order_however_tcp_cuts_them(
    messages: list[tuple[str, str]], cuts: list[float], hook: bool
) -> None:
    wire, expected, pings = encode(messages)
    points = sorted({int(c * len(wire)) for c in cuts} | {0, len(wire)})
    name = os.urandom(6).hex()
    async with relay_server() as (server, recorder):
        client = await RawClient.open(server, f"id={name}&hook={int(hook)}")
        for start, stop in itertools.pairwise(points):
            await client.write(wire[start:stop])
            await asyncio.sleep(0)
        await client.write(client_frame(0x8, struct.pack("!H", 1000)))
        pongs = 0
        async with asyncio.timeout(10):
            while True:
                opcode, _ = await client.read_frame()
                if opcode == 0xA:
                    pongs += 1
                elif opcode == 0x8:
                    break
        client.abort()
        await asyncio.wait_for(recorder.done[name].wait(), 5)
        log = await read_log(server, name)
        # With a hook, a "fast" text goes to it when nothing waits before it, else through receive.
        assert [e.replace("hook:", "asgi:", 1) for e in log] == expected
        assert all(e.startswith("hook:fast") for e in log if e.startswith("hook:"))
        assert hook or not any(e.startswith("hook:") for e in log)
        assert pongs == pings


async def test_a_frame_over_the_size_limit_closes_1009_before_its_payload_arrives() -> None:
    async with relay_server() as (server, _):
        client = await RawClient.open(server, "id=big")
        frame = client_frame(0x1, b"x" * (MAX_SIZE + 1))
        await client.write(frame[:20])  # the header says too big: the payload is never waited for
        assert await client.close_code() == 1009
        client.abort()


async def test_invalid_utf8_in_a_text_frame_closes_1007() -> None:
    async with relay_server() as (server, recorder):
        client = await RawClient.open(server, "id=utf8")
        await client.write(client_frame(0x1, b"ok") + client_frame(0x1, b"\xff\xfe"))
        assert await client.close_code() == 1007
        client.abort()
        await asyncio.wait_for(recorder.done["utf8"].wait(), 5)
        assert await read_log(server, "utf8") == ["asgi:ok"]


async def test_an_unmasked_client_frame_closes_1002() -> None:
    async with relay_server() as (server, _):
        client = await RawClient.open(server, "id=unmasked")
        await client.write(client_frame(0x1, b"plain", masked=False))
        assert await client.close_code() == 1002
        client.abort()


async def test_direct_sends_and_asgi_sends_reach_the_client_in_the_order_they_were_made() -> None:
    async with relay_server() as (server, _):
        client = await RawClient.open(server, "id=sends")
        await client.write(client_frame(0x1, b"reply"))
        got = [(await client.read_frame())[1] for _ in range(3)]
        assert got == [b"one", b"two", b"three"]
        client.abort()


async def test_the_hook_is_never_offered_a_message_while_one_is_queued_before_it() -> None:
    """A declined text is queued; until the app has taken it, later texts are queued behind it too."""
    async with relay_server() as (server, recorder):
        client = await RawClient.open(server, "id=queued&hook=1")
        # One write: all three frames are split in one data_received, before the app task runs.
        await client.write(
            client_frame(0x1, b"slow") + client_frame(0x1, b"fast-1") + client_frame(0x1, b"end")
        )
        await client.write(client_frame(0x8, struct.pack("!H", 1000)))
        assert await client.close_code() == 1000
        client.abort()
        await asyncio.wait_for(recorder.done["queued"].wait(), 5)
        assert await read_log(server, "queued") == ["asgi:slow", "asgi:fast-1", "asgi:end"]


async def test_uvicorns_own_protocol_offers_no_relay_socket() -> None:
    async with relay_server(ws="websockets-sansio") as (server, recorder):
        client = await RawClient.open(server, "id=plain")
        await client.write(client_frame(0x1, b"hello") + client_frame(0x8, struct.pack("!H", 1000)))
        assert await client.close_code() == 1000
        client.abort()
        await asyncio.wait_for(recorder.done["plain"].wait(), 5)
        assert await read_log(server, "plain") == ["no relay socket", "asgi:hello"]


async def test_a_phone_call_on_uvicorns_own_protocol_still_relays_byte_for_byte(
    rig_factory: RigFactory,
) -> None:
    async with rig_factory(ws="websockets-sansio") as rig:
        call = await rig.place_call()
        audio = bytes((3 + i * 7) % 256 for i in range(FRAME_BYTES * 25))
        await call.stream.play(audio, realtime=False)
        await call.conn.wait_for(lambda: call.conn.append_count >= 25)
        assert bytes(call.conn.input_audio) == audio
        await call.stream.wait_until(lambda: len(call.stream.marks_echoed) == 3, what="all marks echoed")
        assert call.stream.protocol_errors == []
