"""Browser calls over the unified interface: the server owns the SDP exchange and runs the call.

The browser POSTs its SDP offer to us; we start (or resume) the call, build the session, forward both to
OpenAI as multipart with the standard key, keep the OpenAI call id from `Location`, attach the sideband and
return the answer SDP. The browser never holds an OpenAI credential, and the tools run here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from app.calls import errors as call_errors
from app.calls import service
from app.calls.channel import call_event
from app.calls.live_call import LiveCall
from app.calls.overflows import require_slot
from app.calls.schemas import CallerInfo
from app.calls.slots import ConcurrencyLimitReached
from app.errors import AppError, ValidationFailed
from app.realtime.client import RealtimeClient
from app.realtime.session import realtime_session
from app.realtime.sideband import SidebandCall, sidebands
from app.safety import policy
from app.safety.prompt import SessionSpec
from app.state import AppState

log = logging.getLogger("callintake.realtime")

T = TypeVar("T")

SDP_MEDIA_TYPE = "application/sdp"
MAX_SDP_BYTES = 64 * 1024


class SdpRequired(AppError):
    status_code = 415
    code = "unsupported_media_type"
    message = "the body must be an SDP offer (Content-Type: application/sdp)"


class SdpTooLarge(AppError):
    status_code = 413
    code = "body_too_large"
    message = f"the SDP offer exceeds {MAX_SDP_BYTES} bytes"


def check_offer(content_type: str | None, body: bytes) -> bytes:
    """415 / 413 / 422 before anything else happens (nothing reaches OpenAI for a bad offer)."""
    if (content_type or "").partition(";")[0].strip().lower() != SDP_MEDIA_TYPE:
        raise SdpRequired()
    if len(body) > MAX_SDP_BYTES:
        raise SdpTooLarge()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(details=[{"field": "body", "message": "is not UTF-8 text"}]) from exc
    if not text.lstrip("\ufeff").startswith("v=0") or "\x00" in text:
        raise ValidationFailed(
            details=[{"field": "body", "message": "is not an SDP offer (must start with v=0)"}]
        )
    return body


def caller_from_headers(name: str | None, phone: str | None) -> CallerInfo | None:
    """X-Caller-Name / X-Caller-Phone, validated like the `caller` of /api/realtime/session."""
    if name is None and phone is None:
        return None
    return CallerInfo.model_validate({"name": name, "phone": phone})


async def resumable(state: AppState, org: service.OrgContext, call_id: uuid.UUID, *fields: str) -> LiveCall:
    """The browser call a mint or an SDP offer resumes (404 for another org's, an unknown or a phone
    call); the session that may look it up is closed before any OpenAI round trip."""
    async with state.session_factory() as session:
        resuming = await service.live_call(
            session, state.live_store, org_id=org.org_id, call_id=call_id, fields=("channel", *fields)
        )
    if resuming.channel != "browser":
        raise call_errors.CallNotFound()
    return resuming


# Per org, whether its last admission in this process left room for one more call. Then a new start's
# OpenAI request goes out beside the slot's round trip rather than after it (issue 8: the mint's added
# latency); unknown or at the cap, the slot comes first, so a refused start does not reach OpenAI. Other
# workers filling the cap cost at most one OpenAI request here before the next refusal corrects it.
_ROOM: dict[uuid.UUID, bool] = {}
_ROOM_MAX = 10_000


def room_likely(org: service.OrgContext) -> bool:
    return _ROOM.get(org.org_id, False)


def _note_room(org_id: uuid.UUID, room: bool) -> None:
    if len(_ROOM) >= _ROOM_MAX and org_id not in _ROOM:
        _ROOM.clear()
    _ROOM[org_id] = room


async def take_slot(state: AppState, org: service.OrgContext) -> uuid.UUID:
    """A new browser call's id, holding one of the org's concurrent-call slots (or the refusal)."""
    call_id = uuid.uuid4()
    limit = org.config.limits.max_concurrent_calls
    try:
        admission = await require_slot(state, org_id=org.org_id, call_id=call_id, max_concurrent_calls=limit)
    except ConcurrencyLimitReached:
        _note_room(org.org_id, False)
        raise
    _note_room(org.org_id, limit is None or admission.active < limit)
    return call_id


async def start_browser_call(
    state: AppState,
    org: service.OrgContext,
    call_id: uuid.UUID,
    caller: CallerInfo | None,
    *,
    now: datetime,
    spec: SessionSpec | None = None,
    metadata: dict[str, Any] | None = None,
) -> service.StartedCall:
    """The browser call in the live store, announced later (beside the OpenAI round trip)."""
    return await service.start_call(
        state.live_store,
        call_id=call_id,
        org=org,
        settings=state.settings,
        channel="browser",
        from_number=caller.phone if caller else None,
        caller_name=caller.name if caller else None,
        metadata=metadata,
        now=now,
        announce=False,
        spec=spec,
    )


async def start_beside_upstream(
    state: AppState,
    org: service.OrgContext,
    caller: CallerInfo | None,
    *,
    now: datetime,
    spec: SessionSpec,
    send: Callable[[], Awaitable[T]],
    abandon: Callable[[asyncio.Future[T]], object],
    metadata: dict[str, Any] | None = None,
    confirm: Callable[[], Awaitable[object]] | None = None,
) -> tuple[service.StartedCall, asyncio.Future[T]]:
    """A new browser call's slot and live-store start, with OpenAI's request (`send`) out first: beside
    the slot's round trip when the org has room (`room_likely`), after it otherwise. `confirm` (the
    key's check, when the route started on an `EarlyPrincipal`) is awaited before the slot is taken.
    If either fails, `abandon` gets the request, which nobody will use."""
    pending = asyncio.ensure_future(send()) if room_likely(org) else None
    try:
        if confirm is not None:
            await confirm()
        new_id = await take_slot(state, org)
        if pending is None:
            pending = asyncio.ensure_future(send())
        started = await start_browser_call(state, org, new_id, caller, now=now, spec=spec, metadata=metadata)
    except BaseException:
        if pending is not None:
            abandon(pending)
        raise
    return started, pending


_UNUSED: set[asyncio.Future[None]] = set()  # hang-ups of OpenAI calls nobody runs, held until done


def _hang_up_unused(client: RealtimeClient, created: asyncio.Future[tuple[bytes, str]]) -> None:
    """An OpenAI call whose call failed to start here: nobody will run it, so it is hung up."""
    if created.cancelled() or created.exception() is not None:
        return
    hanging_up = asyncio.ensure_future(_hang_up_quietly(client, created.result()[1]))
    _UNUSED.add(hanging_up)
    hanging_up.add_done_callback(_UNUSED.discard)


async def _hang_up_quietly(client: RealtimeClient, openai_call_id: str) -> None:
    try:
        await client.hang_up_call(openai_call_id)
    except Exception as exc:  # it ends by itself: no browser will ever connect to it
        log.warning("webrtc_unused_hangup_failed", extra={"error_type": type(exc).__name__})


async def start_webrtc_call(
    state: AppState,
    *,
    org: service.OrgContext,
    offer: bytes,
    call_id: uuid.UUID | None,
    caller: CallerInfo | None,
    confirm: Callable[[], Awaitable[object]] | None = None,
) -> tuple[bytes, uuid.UUID]:
    """(answer SDP, call id). A resumed call gets a new WebRTC call; its older sideband stops. `confirm`
    as in `start_beside_upstream`, for a new call only: a resumed one is looked up first, and its caller
    confirms before that."""
    # A browser call cannot be handed to a person live: its prompt and tools promise a call back.
    org = dataclasses.replace(org, config=policy.without_live_transfer(org.config))
    live = state.live_store
    now = service.utcnow()
    resumed = call_id is not None
    started: service.StartedCall | None = None
    client: RealtimeClient = state.extras["realtime_client"]
    spec = service.session_spec(org, state.settings, now)
    body = realtime_session(spec, transcription_model=state.settings.openai.transcription_model)
    upstream: asyncio.Future[tuple[bytes, str]]
    if call_id is not None:
        started_at = (await resumable(state, org, call_id, "started_at")).started_at
        upstream = asyncio.ensure_future(client.create_call(offer, body))
    else:
        # As in the mint: the offer goes out first (beside the slot when the org has room) and the call
        # starts during OpenAI's round trip; an OpenAI call nobody will run is hung up.
        started, upstream = await start_beside_upstream(
            state,
            org,
            caller,
            now=now,
            spec=spec,
            send=lambda: client.create_call(offer, body),
            abandon=lambda pending: pending.add_done_callback(lambda done: _hang_up_unused(client, done)),
            confirm=confirm,
        )
        call_id, started_at = started.call_id, started.started_at
    key = str(call_id)
    try:
        answer, openai_call_id = await service.announced_during(live, started, upstream)
    except AppError as exc:
        await live.add_event(key, call_event("webrtc_call_failed", source="server", code=exc.code))
        # The call stays live so the browser can retry with its call_id; the sweeper ends it otherwise.
        details = exc.details if isinstance(exc.details, dict) else {}
        exc.details = {**details, "call_id": key}
        # The header too: a proxy (the Next.js route) can end the call without parsing our error body.
        exc.headers = {**(exc.headers or {}), "X-Call-Id": key}
        raise
    # The sideband records the OpenAI call id on the call as its first step, after the answer went back.
    sideband = SidebandCall(
        state=state, org=org, call_id=key, openai_call_id=openai_call_id, session=body, started_at=started_at
    )
    sidebands(state).start(sideband)
    log.info("webrtc_call_started", extra={"call": key, "resumed": resumed})
    return answer, call_id
