"""The media-stream WebSocket from handshake to bridge: check the signed upgrade and the single-use token
before accepting, read `start`, take the pre-opened Realtime session (or open one), then run the bridge.

Nothing is opened upstream for a connection that fails the checks (it closes with 1008). If OpenAI cannot
be reached at all, the caller hears an apology and goes to the escalation phone (or is asked to call
back), and the call is recorded as failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from starlette.websockets import WebSocket, WebSocketDisconnect

from app import tracing
from app.calls.channel import end_channel_call
from app.calls.live_call import LiveCall
from app.calls.service import OrgContext, session_spec, utcnow
from app.errors import AppError
from app.logging import call_id_var, org_id_var
from app.orgs.repository import OrgRepository
from app.realtime.upstream import Upstream, open_session
from app.state import AppState
from app.telephony import actions, protocol
from app.telephony.bridge import PhoneBridge
from app.telephony.runtime import TelephonyRuntime, phone_session
from app.telephony.service import STREAM_PATH, stream_token_key
from app.telephony.signature import SIGNATURE_HEADER

log = logging.getLogger("callintake.telephony")

POLICY_VIOLATION = 1008
START_TIMEOUT = 10.0


def _event(type_: str, **data: object) -> dict[str, object]:
    return {"type": type_, "at": utcnow().isoformat(), "data": data}


class _NoStart(Exception):
    """The stream closed or stopped before its `start` message."""


async def serve_stream(
    ws: WebSocket, *, state: AppState, runtime: TelephonyRuntime, call_id: str, token: str
) -> None:
    live_call = await _authorize(ws, state=state, runtime=runtime, call_id=call_id, token=token)
    if live_call is None:
        return
    call_id_var.set(call_id)
    org_id_var.set(str(live_call.org_id))
    started_at = live_call.started_at
    twilio_call_sid = live_call.twilio_call_sid or ""
    prewarmed = runtime.claim(call_id)
    org = prewarmed.org if prewarmed is not None else await _load_org(state, live_call.org_id)
    if org is None:
        await ws.close(POLICY_VIOLATION)
        return
    retry: dict[str, object] | None = None
    if prewarmed is not None:
        opening, retry = prewarmed.opening, phone_session(prewarmed.spec, state.settings)
    else:
        # This process did not answer the webhook: open now, while Twilio sends `connected` and `start`.
        session = phone_session(session_spec(org, state.settings, started_at), state.settings)
        opening = asyncio.create_task(open_session(state.settings.openai, session=session, greet=True))
    upstream: Upstream | None = None
    mismatch = False
    try:
        await ws.accept()
        start = await _read_start(ws)
        valid_sid = protocol.STREAM_SID_RE.match(start.stream_sid) is not None
        if not valid_sid or start.start.call_sid != twilio_call_sid:
            log.warning("stream_rejected", extra={"why": "start_mismatch"})
            await ws.close(POLICY_VIOLATION)
            mismatch = True
        else:
            upstream = await _upstream(state, opening, retry_session=retry)
    except (_NoStart, TimeoutError):
        await end_channel_call(state, org, call_id, reason="stream_not_started", status="abandoned")
        return
    finally:
        if upstream is None:  # whatever happened, an upstream session nobody will use is closed
            await _discard(opening)
    if mismatch:
        # The call's single-use token is spent, so its real stream can never connect: end the call now
        # (the caller hears the apology) rather than leave it live until the sweeper takes it.
        await state.live_store.add_event(call_id, _event("stream_start_mismatch"))
        await actions.apologize(runtime, org, twilio_call_sid)
        await end_channel_call(state, org, call_id, reason="stream_start_mismatch", status="failed")
        return
    call_sid = start.start.call_sid
    if upstream is None:
        await _unreachable(ws, state=state, runtime=runtime, org=org, call_id=call_id, call_sid=call_sid)
        return
    await state.live_store.add_event(call_id, _event("stream_started", prewarmed=prewarmed is not None))
    bridge = PhoneBridge(
        state=state,
        runtime=runtime,
        org=org,
        call_id=call_id,
        call_sid=call_sid,
        stream_sid=start.stream_sid,
        started_at=started_at,
        twilio_ws=ws,
        upstream=upstream,
    )
    with tracing.call_span(call_id, channel="phone", org_id=org.org_id):  # issue 12: one span per call
        await bridge.run()


async def _authorize(
    ws: WebSocket, *, state: AppState, runtime: TelephonyRuntime, call_id: str, token: str
) -> LiveCall | None:
    """The live phone call if the upgrade is Twilio's and carries this call's unused token; else the
    socket is closed with 1008 before it is accepted (nothing is opened upstream for it)."""
    url = runtime.signatures.ws_url(STREAM_PATH.format(call_id=call_id, token=token))
    why = None
    live_call = None
    if not runtime.signatures.valid(url, {}, ws.headers.get(SIGNATURE_HEADER)):
        why = "signature"
    elif await state.live_store.take_token(stream_token_key(call_id, token)) != call_id:
        why = "token"
    else:
        try:
            live_call = await state.live_store.get_call(call_id, ("channel", "started_at", "twilio_call_sid"))
        except ValueError:  # unreadable: not a call this stream can run
            live_call = None
        if live_call is None or live_call.channel != "phone":
            why, live_call = "call_not_live", None
    if why is not None:
        log.warning("stream_rejected", extra={"why": why})
        await ws.close(POLICY_VIOLATION)
    return live_call


async def _load_org(state: AppState, org_id: uuid.UUID) -> OrgContext | None:
    async with state.session_factory() as session:
        row = await OrgRepository(session).get(org_id)
    return OrgContext.build(row.id, row.name, row.config, row.config_version) if row is not None else None


async def _read_start(ws: WebSocket) -> protocol.Start:
    async with asyncio.timeout(START_TIMEOUT):
        while True:
            try:
                message = await ws.receive()
            except (WebSocketDisconnect, RuntimeError) as exc:
                raise _NoStart() from exc
            text = message.get("text")
            if text is None:
                if message["type"] == "websocket.disconnect":
                    raise _NoStart()
                continue
            event = protocol.parse(text)
            if isinstance(event, protocol.Start):
                return event
            if isinstance(event, protocol.Stop):
                raise _NoStart()


async def _upstream(
    state: AppState, opening: asyncio.Task[Upstream], *, retry_session: dict[str, object] | None
) -> Upstream | None:
    """The opened session; a pre-opened one that failed gets one more, fresh attempt."""
    try:
        return await opening
    except AppError as exc:
        log.warning("openai_unavailable", extra={"code": exc.code, "prewarmed": retry_session is not None})
        if retry_session is None:
            return None
    try:
        return await open_session(state.settings.openai, session=retry_session, greet=True)
    except AppError:
        return None


async def _discard(opening: asyncio.Task[Upstream]) -> None:
    if not opening.done():
        opening.cancel()
    (result,) = await asyncio.gather(opening, return_exceptions=True)
    if isinstance(result, Upstream):
        await result.close()


async def _unreachable(
    ws: WebSocket, *, state: AppState, runtime: TelephonyRuntime, org: OrgContext, call_id: str, call_sid: str
) -> None:
    await state.live_store.add_event(call_id, _event("agent_unavailable"))
    await actions.apologize(runtime, org, call_sid)
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await ws.close(1000)
    await end_channel_call(state, org, call_id, reason="agent_unavailable", status="failed")
