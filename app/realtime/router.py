"""POST /api/realtime/session: start (or resume) a browser call and mint its OpenAI client secret."""

from __future__ import annotations

import logging

from fastapi import APIRouter, status

from app.calls import errors as call_errors
from app.calls import service
from app.calls.schemas import ClientSecret, SessionMinted, SessionRequest
from app.deps import DbSession, SessionCreator, StateDep
from app.errors import AppError
from app.realtime.client import RealtimeClient
from app.realtime.session import client_secret_body

router = APIRouter(tags=["realtime"])
log = logging.getLogger("callintake.realtime")


@router.post("/api/realtime/session", status_code=status.HTTP_201_CREATED, response_model=SessionMinted)
async def create_session(
    principal: SessionCreator, state: StateDep, session: DbSession, body: SessionRequest | None = None
) -> SessionMinted:
    body = body or SessionRequest()
    client: RealtimeClient = state.extras["realtime_client"]
    org = service.OrgContext.from_principal(principal)
    live = state.live_store
    now = service.utcnow()
    if body.call_id is not None:
        meta = await service.live_meta(session, live, org_id=org.org_id, call_id=body.call_id)
        if meta.get("channel") != "browser":
            raise call_errors.CallNotFound()
        call_id = body.call_id
        next_seq = int(meta.get("next_seq") or 0)
        spec = service.session_spec(org, state.settings, now)
    else:
        caller = body.caller
        started = await service.start_call(
            live,
            org=org,
            settings=state.settings,
            channel="browser",
            from_number=caller.phone if caller else None,
            caller_name=caller.name if caller else None,
            metadata=body.metadata,
            now=now,
        )
        call_id, spec, next_seq = started.call_id, started.spec, 0
    request_body = client_secret_body(
        spec,
        ttl_seconds=state.settings.openai.client_secret_ttl_seconds,
        transcription_model=state.settings.openai.transcription_model,
    )
    try:
        minted = await client.create_client_secret(request_body)
    except AppError as exc:
        await live.add_event(
            str(call_id), {"type": "session_mint_failed", "at": now.isoformat(), "data": {"code": exc.code}}
        )
        # The call stays live so the frontend can retry with its call_id; the sweeper ends it otherwise.
        details = exc.details if isinstance(exc.details, dict) else {}
        exc.details = {**details, "call_id": str(call_id)}
        raise
    await live.add_event(
        str(call_id), {"type": "session_minted", "at": now.isoformat(), "data": {"model": spec.model}}
    )
    return SessionMinted(
        call_id=call_id,
        client_secret=ClientSecret(value=minted["value"], expires_at=minted["expires_at"]),
        model=spec.model,
        session=minted.get("session") or {},
        next_seq=next_seq,
    )
