"""Browser calls: POST /api/realtime/calls (the unified interface: the server runs the call) and
POST /api/realtime/session (the client-secret mint: the browser runs the call, kept for compatibility)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status

from app.calls import errors as call_errors
from app.calls import service
from app.calls.schemas import ClientSecret, SessionMinted, SessionRequest
from app.deps import EarlySessionCreator, PrincipalChanged, StateDep
from app.errors import AppError, path_uuid
from app.orgs.auth import OrgPrincipal
from app.realtime import webrtc
from app.realtime.client import RealtimeClient
from app.realtime.session import client_secret_body
from app.state import AppState

router = APIRouter(tags=["realtime"])
log = logging.getLogger("callintake.realtime")


_SDP_BODY = {
    "requestBody": {
        "required": True,
        "content": {webrtc.SDP_MEDIA_TYPE: {"schema": {"type": "string", "maxLength": webrtc.MAX_SDP_BYTES}}},
    },
    "responses": {
        "201": {
            "description": "The answer SDP; `Location` and `X-Call-Id` name the call.",
            "content": {webrtc.SDP_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        "404": {"description": "Unknown call_id (or another org's)."},
        "409": {"description": "The call_id names a call that has ended."},
        "413": {"description": "The offer is over 64 KB."},
        "415": {"description": "The body is not application/sdp."},
        "422": {"description": "The body is not an SDP offer, or a caller header is invalid."},
    },
}


@router.post(
    "/api/realtime/calls",
    status_code=status.HTTP_201_CREATED,
    response_class=Response,
    openapi_extra=_SDP_BODY,
    summary="Start (or resume) a browser call over WebRTC, run by the server",
)
async def create_webrtc_call(
    early: EarlySessionCreator,
    state: StateDep,
    request: Request,
    call_id: Annotated[
        str | None, Query(description="Resume this browser call with a new WebRTC call.")
    ] = None,
    x_caller_name: Annotated[str | None, Header()] = None,
    x_caller_phone: Annotated[str | None, Header()] = None,
) -> Response:
    """The unified interface: the browser POSTs its SDP offer here and gets OpenAI's answer back. The
    server builds the session, attaches a sideband to the call and runs it (transcripts, detection,
    tools, the end) with no OpenAI credential in the browser and nothing the browser reports trusted."""
    try:
        offer = webrtc.check_offer(request.headers.get("content-type"), await request.body())
        caller = webrtc.caller_from_headers(x_caller_name, x_caller_phone)
        resume = path_uuid(call_id, call_errors.CallNotFound) if call_id is not None else None
    except AppError:
        await early.checked()  # a bad key is told so before its bad input
        raise

    async def start(
        principal: OrgPrincipal, confirm: Callable[[], Awaitable[object]] | None = None
    ) -> tuple[bytes, uuid.UUID]:
        org = service.OrgContext.from_principal(principal)
        return await webrtc.start_webrtc_call(
            state, org=org, offer=offer, call_id=resume, caller=caller, confirm=confirm
        )

    principal, confirm = await early.to_start(early=resume is None)
    try:
        answer, started = await start(principal, confirm)
    except PrincipalChanged as changed:  # the OpenAI call made on the old config is hung up
        answer, started = await start(changed.principal)
    headers = {"Location": f"/api/calls/{started}", "X-Call-Id": str(started)}
    return Response(answer, status_code=201, media_type=webrtc.SDP_MEDIA_TYPE, headers=headers)


@router.post(
    "/api/realtime/session",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionMinted,
    description=(
        "The client-secret path, kept for compatibility: the browser gets an ephemeral key and runs the "
        "session itself, forwarding transcripts and tool calls. **This path trusts the browser**: what it "
        'leaves out or makes up is recorded as sent (events say `source: "client"`). Prefer '
        "`POST /api/realtime/calls`, where the server runs the call."
    ),
)
async def create_session(
    early: EarlySessionCreator, state: StateDep, body: SessionRequest | None = None
) -> Response:
    body = body or SessionRequest()
    principal, confirm = await early.to_start(early=body.call_id is None)
    try:
        return await _mint(state, principal, body, confirm)
    except PrincipalChanged as changed:  # the secret minted on the old config is never returned
        return await _mint(state, changed.principal, body, None)


async def _mint(
    state: AppState,
    principal: OrgPrincipal,
    body: SessionRequest,
    confirm: Callable[[], Awaitable[object]] | None,
) -> Response:
    client: RealtimeClient = state.extras["realtime_client"]
    org = service.OrgContext.from_principal(principal)
    live = state.live_store
    now = service.utcnow()
    started: service.StartedCall | None = None
    spec = service.session_spec(org, state.settings, now)
    request_body = client_secret_body(
        spec,
        ttl_seconds=state.settings.openai.client_secret_ttl_seconds,
        transcription_model=state.settings.openai.transcription_model,
    )
    upstream: Awaitable[dict[str, Any]]
    if body.call_id is not None:
        call_id = body.call_id
        next_seq = (await webrtc.resumable(state, org, call_id, "next_seq")).next_seq
        upstream = client.create_client_secret(request_body)
    else:
        # The mint goes out first and the call is started in the live store during its round trip. A
        # call that fails to start leaves at most an unused secret, which expires by itself.
        started, upstream = await webrtc.start_beside_upstream(
            state,
            org,
            body.caller,
            now=now,
            spec=spec,
            metadata=body.metadata,
            send=lambda: client.create_client_secret(request_body),
            abandon=_abandon,
            confirm=confirm,
        )
        call_id, next_seq = started.call_id, 0
    try:
        minted = await service.announced_during(live, started, upstream)
    except AppError as exc:
        await live.add_event(
            str(call_id), {"type": "session_mint_failed", "at": now.isoformat(), "data": {"code": exc.code}}
        )
        # The call stays live so the frontend can retry with its call_id; the sweeper ends it otherwise.
        details = exc.details if isinstance(exc.details, dict) else {}
        exc.details = {**details, "call_id": str(call_id)}
        raise
    service.add_event_after_answer(
        live,
        str(call_id),
        {"type": "session_minted", "at": now.isoformat(), "data": {"model": spec.model, "source": "client"}},
    )
    answer = SessionMinted(
        call_id=call_id,
        client_secret=ClientSecret(value=minted["value"], expires_at=minted["expires_at"]),
        model=spec.model,
        session=minted.get("session") or {},
        next_seq=next_seq,
    )
    # Serialized here: returned as a model, FastAPI would validate it a second time before dumping it,
    # about 0.2 ms on the mint's path for a session of a few KB. `response_model` still documents it.
    return Response(answer.model_dump_json(), status_code=201, media_type="application/json")


def _abandon(mint: asyncio.Future[Any]) -> None:
    mint.cancel()
    mint.add_done_callback(_consume)


def _consume(task: asyncio.Future[Any]) -> None:
    """A mint given up on (its call failed to start): its outcome is read so nothing logs it as lost."""
    if not task.cancelled():
        task.exception()
