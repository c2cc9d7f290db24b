"""What the phone relay does per message and per line, kept from coming back: bench_bridge measures the cost,
these tests pin the behaviour that makes it cheap (and that it stays correct while cheap)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from app.realtime.upstream import Upstream, text_frame
from app.telephony import protocol
from tests.telephony.conftest import PhoneRig


class _Sink:
    """A real websockets server on loopback that keeps every text message, and can stop reading."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.reading = asyncio.Event()
        self.reading.set()
        self.connection: ServerConnection | None = None

    async def handler(self, ws: ServerConnection) -> None:
        self.connection = ws
        while True:
            await self.reading.wait()
            try:
                message = await ws.recv()
            except ConnectionClosed:
                return
            assert isinstance(message, str)
            self.messages.append(message)


@contextlib.asynccontextmanager
async def _upstream() -> AsyncIterator[tuple[Upstream, _Sink]]:
    sink = _Sink()
    # max_queue 1: a sink that stops reading stops taking data from the socket soon after.
    async with serve(sink.handler, "127.0.0.1", 0, compression=None, max_queue=1, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}", compression=None, max_size=None)
        try:
            yield Upstream(ws), sink
        finally:
            await ws.close()


async def _until(predicate: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


@pytest.fixture
def library_sends(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many sends went through websockets' own per-message path (its send_context)."""
    counted = [0]
    original = ClientConnection.send_context

    def counting(self: ClientConnection, **kwargs: Any) -> Any:
        counted[0] += 1
        return original(self, **kwargs)

    monkeypatch.setattr(ClientConnection, "send_context", counting)
    return counted


async def test_upstream_frames_skip_the_library_send_path_while_open(library_sends: list[int]) -> None:
    async with _upstream() as (upstream, sink):
        library_sends[0] = 0  # the opening handshake took the library's path
        sent = [f'{{"type":"input_audio_buffer.append","audio":"{n:04d}"}}' for n in range(200)]
        for text in sent:
            await upstream.send(text)
        await _until(lambda: len(sink.messages) == len(sent))
        library = library_sends[0]  # before the closing handshake, which does take the library's path

    assert sink.messages == sent
    assert library == 0


@pytest.mark.parametrize("length", [0, 1, 125, 126, 65535, 65536, 70000])
def test_an_upstream_frame_is_what_the_library_reads(length: int) -> None:
    payload = bytes(range(256)) * (length // 256) + bytes(range(length % 256))
    frames = [text_frame(payload) for _ in range(3)]
    for raw in frames:
        reader = StreamReader()
        reader.feed_data(raw)
        parser = Frame.parse(reader.read_exact, mask=True)  # as a server reads a client's frame
        with pytest.raises(StopIteration) as done:
            next(parser)
        frame = done.value.value
        assert (frame.opcode, frame.fin, frame.data) == (Opcode.TEXT, True, payload)
    assert len({raw[:14] for raw in frames}) == 3 or length == 0  # a fresh mask per frame


def test_a_forked_child_never_takes_its_parents_next_masks() -> None:
    text_frame(b"x")  # the pool is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, text_frame(b"x")[2:6])
        os._exit(0)
    os.waitpid(pid, 0)
    child_mask = os.read(read, 4)
    os.close(read)
    os.close(write)
    assert child_mask != text_frame(b"x")[2:6]  # the parent's next mask, from the same pool


async def test_upstream_frames_with_an_extension_take_the_library_path(library_sends: list[int]) -> None:
    sink = _Sink()
    async with serve(sink.handler, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}", compression="deflate")
        try:
            assert ws.protocol.extensions  # permessage-deflate negotiated
            upstream = Upstream(ws)
            library_sends[0] = 0
            sent = [f"message {n}" for n in range(20)]
            for text in sent:
                await upstream.send(text)
            await _until(lambda: len(sink.messages) == len(sent))
            library = library_sends[0]  # before the closing handshake, which does take the library's path
        finally:
            await ws.close()

    assert sink.messages == sent
    assert library == len(sent)


async def test_upstream_send_waits_for_a_full_buffer_and_loses_nothing(library_sends: list[int]) -> None:
    big = "x" * 65536
    count = 1000  # 64 MB: far more than the socket and the transport's high-water mark hold
    sent = 0

    async def fill(upstream: Upstream) -> None:
        nonlocal sent
        while sent < count:
            await upstream.send(f"{sent:06d}{big}")
            sent += 1

    async with _upstream() as (upstream, sink):
        await upstream.send("first")
        await _until(lambda: sink.messages == ["first"])
        sink.reading.clear()
        filler = asyncio.create_task(fill(upstream))
        await _until(lambda: upstream.ws.paused)  # flow control engaged
        stalled_at = sent
        await asyncio.sleep(0.1)
        assert not filler.done() and sent == stalled_at  # a paused transport is waited for
        sink.reading.set()
        async with asyncio.timeout(30):
            await filler
        await _until(lambda: len(sink.messages) == count + 1, timeout=30)

    assert sink.messages[1:] == [f"{n:06d}{big}" for n in range(count)]
    assert library_sends[0] >= 1


async def test_upstream_send_after_the_peer_closed_raises_connection_closed() -> None:
    async with _upstream() as (upstream, sink):
        await upstream.send("hello")
        await _until(lambda: sink.connection is not None and sink.messages == ["hello"])
        assert sink.connection is not None
        await sink.connection.close()
        await _until(lambda: upstream.ws.protocol.state.name != "OPEN")
        with pytest.raises(ConnectionClosed):
            await upstream.send("too late")


class _CountingFactory:
    """The app's session factory, counting the sessions made (the relay's lines should make one)."""

    def __init__(self, inner: async_sessionmaker[AsyncSession]) -> None:
        self.inner = inner
        self.made = 0

    def __call__(self, **kwargs: Any) -> AsyncSession:
        self.made += 1
        return self.inner(**kwargs)


async def test_a_calls_transcript_lines_share_one_database_session(rig: PhoneRig) -> None:
    state = rig.app.state
    counting = _CountingFactory(state.session_factory)
    state.session_factory = counting
    call = await rig.place_call()
    live = state.live_store

    async def lines() -> int:
        snapshot = await live.snapshot(call.call_id)
        return len(snapshot.turns) if snapshot is not None else 0

    # The greeting's line, once heard.
    await call.stream.wait_until(lambda: len(call.stream.marks_echoed) == 3, what="greeting played")
    async with asyncio.timeout(5):
        while await lines() < 1:
            await asyncio.sleep(0.01)
    before = counting.made
    for n in range(4):
        await call.conn.caller_says(f"my tooth hurts, line {n}")
    async with asyncio.timeout(5):
        while await lines() < 5:
            await asyncio.sleep(0.01)

    assert counting.made - before <= 1  # one per line would be 4
    await call.stream.stop()
    detail = await rig.stored(call.call_id)
    assert [t["text"] for t in detail["transcript"] if t["speaker"] == "caller"] == [
        f"my tooth hurts, line {n}" for n in range(4)
    ]


@pytest.mark.parametrize(
    "raw",
    [
        # Twilio's documented echo, and the fake caller's (orjson, no spaces).
        '{"event":"mark","sequenceNumber":"4","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",'
        '"mark":{"name":"item_Ab1:800"}}',
        '{"event":"mark","sequenceNumber":"12","streamSid":"MZabc","mark":{"name":"item_x:2400"}}',
        # Escapes and other shapes: not sliced, parsed.
        '{"event":"mark","streamSid":"MZabc","mark":{"name":"item\\"q:8"}}',
        '{"event":"mark","streamSid":"MZabc","mark":{"name":"caf\\u00e9:8"}}',
        '{"event": "mark", "streamSid": "MZabc", "mark": {"name": "spaced:8"}}',
        '{"event":"media","streamSid":"MZabc","media":{"payload":"AAAA"}}',
        '{"event":"stop","streamSid":"MZabc"}',
    ],
)
def test_a_sliced_mark_name_is_what_the_parser_reads(raw: str) -> None:
    parsed = protocol.parse(raw)
    sliced = protocol.mark_name(raw)
    if sliced is not None:
        assert isinstance(parsed, protocol.Mark) and parsed.mark.name == sliced
    else:
        assert not raw.startswith('{"event":"mark","sequenceNumber":"')  # the shapes Twilio sends are sliced
