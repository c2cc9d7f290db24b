"""uvicorn's sans-I/O WebSocket protocol with a synchronous lane for the phone relay.

At 100 calls a worker receives 5,000 Twilio media frames a second. On uvicorn's own protocol each one
goes through websockets' generator parser, an ASGI message dict, a queue, a pause and resume of reading
and a wake of the bridge's task before a line of ours runs. Here, once the handshake is done:
- frames are split by this class. A final, masked text frame within the size limit (every frame Twilio
  sends) is unmasked and decoded here; any other frame (control, fragment, binary, oversize, bad UTF-8,
  anything after a close) goes whole to websockets' parser, so it only ever sees whole frames and keeps
  its own checks and close handshake;
- a text frame goes first to the connection's `text_hook`, if the app set one and nothing is queued
  before it: the bridge relays a media frame from there without a task switch. Otherwise, or when the
  hook declines, it is queued as uvicorn queues it.
- `send_text_now` writes a text frame at once when nothing is waiting to be sent before it.

The app finds the connection in the ASGI scope (`extensions[EXTENSION]`). Served another way
(`uvicorn main:app` with uvicorn's default protocol), the scope has no entry and the bridge takes the
ASGI path: slower, the same behaviour. A connection that negotiated an extension, or received data
before its handshake was done, keeps uvicorn's path throughout.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Mapping
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

try:  # the library's C unmasking; the pure one where it is not built
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover
    from websockets.utils import apply_mask

log = logging.getLogger("callintake.telephony")

EXTENSION = "callintake.relay_socket"
TextHook = Callable[[str], bool]

_FIN_TEXT = 0x81  # FIN set, no RSV bits, opcode 1


def server_text_frame(payload: bytes) -> bytes:
    """One final, unmasked text frame (a server's)."""
    length = len(payload)
    if length < 126:
        return bytes((_FIN_TEXT, length)) + payload
    if length < 65536:
        return struct.pack("!BBH", _FIN_TEXT, 126, length) + payload
    return struct.pack("!BBQ", _FIN_TEXT, 127, length) + payload


class RelayWebSocketProtocol(WebSocketsSansIOProtocol):
    """See the module docstring. Pass as `uvicorn.Config(ws=...)`; main.py does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.text_hook: TextHook | None = None
        self._framing: bool | None = None  # None until the first data after the handshake decides
        self._request_seen = False
        self._partial = bytearray()
        self._sends_waiting = 0

    # -- receiving ---------------------------------------------------------------------------------

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        self._request_seen = True
        if self.conn.reader.buffer:  # frames sent with the request: the library keeps this stream
            self._framing = False
        if self.handshake_initiated and not self.close_sent:
            extensions: dict[str, Any] = self.scope["extensions"]  # ASGI types it as dict[object, object]
            extensions[EXTENSION] = self  # run_asgi has not started: it sees this

    def data_received(self, data: bytes) -> None:
        framing = self._framing
        if framing is None:
            if not self.handshake_complete:
                if self._request_seen:  # data before our 101: the library keeps this stream
                    self._framing = False
                super().data_received(data)
                return
            conn = self.conn
            framing = self._framing = (
                conn.state is State.OPEN
                and not conn.extensions
                and not conn.reader.buffer
                and conn.parser_exc is None
            )
        if not framing:
            super().data_received(data)
            return
        partial = self._partial
        if partial:
            partial += data
            buf: bytes | bytearray = partial
        else:
            buf = data
        end = len(buf)
        at = self._split(buf, end)
        if at is None:  # handed to the library from some frame on
            return
        if at == end:
            if partial:
                partial.clear()
        elif partial:
            del partial[:at]
        else:
            partial += buf[at:]

    def _split(self, buf: bytes | bytearray, end: int) -> int | None:
        """Deliver every whole frame in `buf`; the offset of the first byte not yet used, or None once
        the rest of the stream belongs to websockets' parser."""
        conn = self.conn
        limit = conn.max_message_size
        if conn.max_fragment_size is not None:
            limit = conn.max_fragment_size if limit is None else min(limit, conn.max_fragment_size)
        at = 0
        while end - at >= 2:
            first, second = buf[at], buf[at + 1]
            length = second & 0x7F
            head = 2
            if length == 126:
                if end - at < 4:
                    break
                length = (buf[at + 2] << 8) | buf[at + 3]
                head = 4
            elif length == 127:
                if end - at < 10:
                    break
                length = int.from_bytes(buf[at + 2 : at + 10], "big")
                head = 10
            if limit is not None and length > limit:  # the library refuses it (1009) before its payload
                self._give_up(buf[at:])
                return None
            masked = second & 0x80
            if masked:
                head += 4
            stop = at + head + length
            if stop > end:
                break
            if (
                first == _FIN_TEXT
                and masked
                and conn.state is State.OPEN
                and not conn.expect_continuation_frame
            ):
                mask_at = at + head - 4
                try:
                    text = apply_mask(buf[at + head : stop], bytes(buf[mask_at : mask_at + 4])).decode()
                except UnicodeDecodeError:  # the library closes with 1007
                    super().data_received(bytes(buf[at:stop]))
                else:
                    self._deliver(text)
            else:  # one whole frame: the library's parser stays at a frame boundary
                super().data_received(bytes(buf[at:stop]))
                if self.conn.parser_exc is not None:
                    self._framing = False
                    return None
            at = stop
        return at

    def _give_up(self, rest: bytes | bytearray) -> None:
        self._framing = False
        tail = bytes(rest)
        self._partial.clear()
        super().data_received(tail)

    def _deliver(self, text: str) -> None:
        if self.close_sent:  # as uvicorn: past `websocket.close`, messages are discarded
            return
        hook = self.text_hook
        if hook is not None and self.queue.empty():
            try:
                if hook(text):
                    return
            except Exception as exc:  # a hook raises only before it relays: the message is queued
                log.error("relay_hook_failed", extra={"error_type": type(exc).__name__})
        self.queue.put_nowait({"type": "websocket.receive", "text": text})
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    # -- sending -----------------------------------------------------------------------------------

    def can_send_now(self) -> bool:
        """Whether `send_text_now` writes: not before the handshake or after a close, not while writing
        is paused or an earlier send still waits, not with an extension."""
        return not (
            self._sends_waiting
            or not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or self.initial_response is not None
            or not self.writable.is_set()
            or self.conn.state is not State.OPEN
            or self.conn.extensions
            or self.transport.is_closing()
        )

    def send_text_now(self, text: str) -> bool:
        """Write one text frame now; False (nothing written) when it must take the ASGI send."""
        if not self.can_send_now():
            return False
        self.transport.write(server_text_frame(text.encode()))
        return True

    async def send(self, message: Any) -> None:
        # Counted while suspended (writing paused), so `send_text_now` never overtakes a waiting send.
        self._sends_waiting += 1
        try:
            await super().send(message)
        finally:
            self._sends_waiting -= 1


def relay_socket(scope: Mapping[str, Any]) -> RelayWebSocketProtocol | None:
    """The connection under a WebSocket scope when it is served by `RelayWebSocketProtocol`."""
    found = scope.get("extensions", {}).get(EXTENSION)
    return found if isinstance(found, RelayWebSocketProtocol) else None
