"""Twilio's routes: the voice webhook, call and stream status callbacks, the dial action, the media stream.

Webhook bodies are form-encoded and parsed by hand (no python-multipart); every one is signature-checked
against PUBLIC_BASE_URL before anything else happens.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response, WebSocket, status

from app.deps import DbSession, StateDep, get_state
from app.events.transfers import transfer_finished
from app.telephony import service, twiml
from app.telephony.actions import DIAL_ACTION_PATH
from app.telephony.errors import TwilioParamsInvalid
from app.telephony.runtime import TelephonyRuntime, telephony
from app.telephony.signature import SIGNATURE_HEADER
from app.telephony.stream import serve_stream

router = APIRouter(tags=["telephony"], include_in_schema=False)

MAX_WEBHOOK_BYTES = 64 * 1024


async def _signed_params(request: Request, runtime: TelephonyRuntime, path: str) -> dict[str, str]:
    body = await request.body()
    params = dict(parse_qsl(body[:MAX_WEBHOOK_BYTES].decode("utf-8", "replace"), keep_blank_values=True))
    runtime.signatures.require(path, params, request.headers.get(SIGNATURE_HEADER))
    return params


def _required(params: dict[str, str], *names: str) -> list[str]:
    values = [params.get(name, "") for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise TwilioParamsInvalid(details=[{"field": name, "message": "is required"} for name in missing])
    return values


def _xml(document: str) -> Response:
    return Response(content=document, media_type=twiml.MEDIA_TYPE)


@router.post("/twilio/voice")
async def answer_voice_webhook(request: Request, state: StateDep, session: DbSession) -> Response:
    runtime = telephony(state)
    params = await _signed_params(request, runtime, "/twilio/voice")
    call_sid, to_number = _required(params, "CallSid", "To")
    call = service.IncomingCall(call_sid=call_sid, to_number=to_number, from_number=params.get("From"))
    return _xml(await service.answer_call(session, state=state, runtime=runtime, call=call))


@router.post("/twilio/status", status_code=status.HTTP_204_NO_CONTENT)
async def receive_call_status(request: Request, state: StateDep) -> Response:
    runtime = telephony(state)
    params = await _signed_params(request, runtime, "/twilio/status")
    call_sid, call_status = _required(params, "CallSid", "CallStatus")
    await service.end_call_from_status(state, runtime, call_sid=call_sid, call_status=call_status)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(service.STREAM_STATUS_PATH, status_code=status.HTTP_204_NO_CONTENT)
async def receive_stream_status(request: Request, state: StateDep) -> Response:
    params = await _signed_params(request, telephony(state), service.STREAM_STATUS_PATH)
    (call_sid,) = _required(params, "CallSid")
    await service.record_stream_status(
        state,
        call_sid=call_sid,
        stream_event=params.get("StreamEvent", "")[:64],
        stream_error=params.get("StreamError"),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(DIAL_ACTION_PATH)
async def answer_dial_action(request: Request, state: StateDep) -> Response:
    params = await _signed_params(request, telephony(state), DIAL_ACTION_PATH)
    await transfer_finished(
        state,
        call_sid=params.get("CallSid"),
        external_kind=service.EXTERNAL_KIND,
        dial_status=params.get("DialCallStatus"),
        dial_duration=params.get("DialCallDuration"),
    )
    return _xml(twiml.after_dial(params.get("DialCallStatus")))


@router.websocket("/twilio/stream/{call_id}/{token}")
async def stream_media(websocket: WebSocket, call_id: str, token: str) -> None:
    state = get_state(websocket)
    await serve_stream(websocket, state=state, runtime=telephony(state), call_id=call_id, token=token)
