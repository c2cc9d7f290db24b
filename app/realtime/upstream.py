"""The server-side OpenAI Realtime WebSocket: a phone call's session (connect, configure, greet), or the
sideband of a browser's WebRTC call (attach by call id).

GA only: `{OPENAI_BASE_URL as ws(s)}/realtime?model=...`, `Authorization: Bearer`, no OpenAI-Beta header
(it now gets `beta_api_shape_disabled`). Failures become the realtime UpstreamError tree, so callers can
tell "try again" from "give up". The API key goes only into the handshake header.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.protocol import Event, State

from app import metrics
from app.errors import UpstreamError
from app.realtime import errors, events
from app.settings import OpenAISettings

try:  # the library's C masking, as its own frames use; the pure one where it is not built
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover
    from websockets.utils import apply_mask

log = logging.getLogger("callintake.realtime")

# Audio deltas are a few KB and session events tens of KB; a frame near this size is not something we want.
MAX_MESSAGE_BYTES = 1 << 20
GREETING_EVENT_ID = "greeting"


def realtime_url(base_url: str, model: str | None = None, *, call_id: str | None = None) -> str:
    """The Realtime WebSocket: `?model=` opens a session, `?call_id=` attaches a sideband to a call."""
    scheme, _, rest = base_url.rstrip("/").partition("://")
    query = urlencode({"call_id": call_id} if call_id is not None else {"model": model})
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/realtime?{query}"


class RelayClientConnection(ClientConnection):
    """websockets' client connection with a synchronous lane for the phone relay's agent audio: a whole
    text message is offered to `text_hook` when nothing is queued before it (the bridge plays an audio
    delta from there without a task switch); declined, or with no hook, it is queued as the library
    queues it."""

    text_hook: Callable[[str], bool] | None = None

    def process_event(self, event: Event) -> None:
        hook = self.text_hook
        if (
            hook is not None
            and isinstance(event, Frame)
            and event.opcode is Opcode.TEXT
            and event.fin
            and not len(self.recv_messages.frames)
        ):
            try:
                if hook(str(event.data, "utf-8")):
                    return
            except UnicodeDecodeError:  # the library's recv raises it where the app reads
                pass
            except Exception as exc:  # a hook raises only before it plays: the message is queued
                log.error("relay_hook_failed", extra={"error_type": type(exc).__name__})
        super().process_event(event)


async def _connect(settings: OpenAISettings, url: str) -> ClientConnection:
    if settings.api_key is None:
        raise errors.OpenAINotConfigured()
    try:
        return await connect(
            url,
            additional_headers={"Authorization": f"Bearer {settings.api_key.get_secret_value()}"},
            open_timeout=settings.connect_timeout_seconds,
            close_timeout=2,  # at the end of a call, do not wait long for OpenAI's closing handshake
            max_size=MAX_MESSAGE_BYTES,
            compression=None,  # base64 audio barely compresses; deflate would cost more CPU than it saves
            user_agent_header="callintake",
            create_connection=RelayClientConnection,
        )
    except (InvalidHandshake, OSError, TimeoutError) as exc:
        mapped = _mapped(exc)
        log.warning("openai_connect_failed", extra={"code": mapped.code, "error_type": type(exc).__name__})
        metrics.upstream_error("openai", metrics.error_kind(mapped.code))  # issue 12
        raise mapped from exc


async def attach_sideband(settings: OpenAISettings, openai_call_id: str) -> Upstream:
    """The sideband of a WebRTC call, with the standard key (an ephemeral one gets a 404)."""
    return Upstream(await _connect(settings, realtime_url(settings.base_url, call_id=openai_call_id)))


_MASK_POOL_BYTES = 4096


class _Masks:
    """Frame masks from the OS's strong source (RFC 6455 §5.3), read 4 KB at a time rather than with a
    syscall per frame as the library does. A forked child starts with an empty pool, never its parent's."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self._pool = b""
        self._at = 0

    def take(self) -> bytes:
        at = self._at
        if at + 4 > len(self._pool):
            self._pool, at = os.urandom(_MASK_POOL_BYTES), 0
        self._at = at + 4
        return self._pool[at : at + 4]


_masks = _Masks()


def text_frame(payload: bytes) -> bytes:
    """One masked, final text frame (a client's), as websockets' Frame.serialize builds it with no
    extensions."""
    length = len(payload)
    if length < 126:
        head = bytes((0x81, 0x80 | length))
    elif length < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, length)
    mask = _masks.take()
    return head + mask + apply_mask(payload, mask)


class Upstream:
    """An open, configured Realtime session. `send` takes pre-serialised client events."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def set_text_hook(self, hook: Callable[[str], bool] | None) -> bool:
        """Offer whole text messages to `hook` first (RelayClientConnection); False if this connection
        has no such lane."""
        if not isinstance(self.ws, RelayClientConnection):
            return False
        self.ws.text_hook = hook
        return True

    def send_now(self, text: str) -> bool:
        """One text frame written now, or False (nothing written) when it must take the library's path.

        The phone relay sends ~55 a second per call, so when the connection is open, not mid-fragment,
        not paused by flow control and without extensions, the frame is built here (`text_frame`) and
        goes straight to the transport: what `ClientConnection.send` does, without its per-message async
        context manager, the library's Frame object and a getrandom() syscall per mask. A failed write
        raises, as the transport's own does."""
        ws = self.ws
        protocol = ws.protocol
        if (
            protocol.state is not State.OPEN
            or ws.send_in_progress is not None
            or ws.paused
            or protocol.extensions
            or protocol.expect_continuation_frame
        ):
            return False
        transport = ws.transport
        if transport.is_closing():
            return False
        transport.write(text_frame(text.encode()))
        return True

    async def send(self, text: str) -> None:
        """One text frame: `send_now`, or the library's path, which waits for a paused transport to
        drain and raises ConnectionClosed once the connection is closing."""
        try:
            if self.send_now(text):
                return
        except Exception:  # as the library does: a failed write ends the connection
            ws = self.ws
            ws.transport.abort()
            await asyncio.shield(ws.connection_lost_waiter)
            raise ws.close_exc from None
        await self.ws.send(text)

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self.ws.__aiter__()

    async def close(self, code: int = 1000) -> None:
        await self.ws.close(code)


def _mapped(exc: BaseException) -> UpstreamError:
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        details = {"upstream_status": status}
        if status == 404:
            return errors.SidebandCallNotFound(details=details)
        if status in (401, 403):
            return errors.UpstreamAuthFailed(details=details)
        if status == 429:
            return errors.UpstreamRateLimited(details=details)
        if status >= 500:
            return errors.UpstreamUnavailable(details=details)
        return errors.UpstreamRejected(details=details)
    if isinstance(exc, TimeoutError):
        return errors.UpstreamTimeout()
    return errors.UpstreamUnavailable()


async def _configure(ws: ClientConnection, session: dict[str, Any], seconds: float) -> None:
    await ws.send(events.session_update(session))
    async with asyncio.timeout(seconds):
        async for raw in ws:
            event = events.parse(raw)
            if isinstance(event, events.SessionUpdated):
                return
            if isinstance(event, events.Error):
                raise errors.UpstreamRejected(details={"upstream_code": event.error.code})
    raise errors.UpstreamUnavailable()  # closed before answering


async def open_session(settings: OpenAISettings, *, session: dict[str, Any], greet: bool) -> Upstream:
    """Connect, send `session.update`, wait for `session.updated`, then (if `greet`) ask for the greeting."""
    ws = await _connect(settings, realtime_url(settings.base_url, str(session["model"])))
    try:
        await _configure(ws, session, settings.read_timeout_seconds)
        if greet:
            await ws.send(events.response_create(event_id=GREETING_EVENT_ID))
    except BaseException as exc:
        await ws.close()
        if isinstance(exc, UpstreamError):
            log.warning("openai_session_rejected", extra={"code": exc.code})
            raise
        if isinstance(exc, (ConnectionClosed, OSError, TimeoutError)):
            raise _mapped(exc) from exc
        raise
    return Upstream(ws)
