"""OpenAI Realtime (GA) events over the server WebSocket: the server events we act on, typed, and the
client events we send, serialised.

`response.output_audio.delta` is the hot path (several a second per call): `audio_delta` slices its
item id and base64 audio out of the compact JSON without parsing; any other shape goes through `parse`.
Unknown event types parse to None and are skipped.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

AUDIO_DELTA = "response.output_audio.delta"
_DELTA_PREFIX = '{"type":"response.output_audio.delta"'
_ITEM_KEY = '"item_id":"'
_DELTA_KEY = '"delta":"'


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SessionCreated(_Event):
    type: Literal["session.created"]
    session: dict[str, Any] | None = None


class SessionUpdated(_Event):
    type: Literal["session.updated"]
    session: dict[str, Any] | None = None


class OutputAudioBuffer(_Event):
    """WebRTC/SIP only: the caller's audio buffer started or stopped playing, or was cleared."""

    type: Literal["output_audio_buffer.started", "output_audio_buffer.stopped", "output_audio_buffer.cleared"]
    response_id: str | None = None


class ErrorDetail(_Event):
    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None
    event_id: str | None = None


class Error(_Event):
    type: Literal["error"]
    error: ErrorDetail


class SpeechStarted(_Event):
    type: Literal["input_audio_buffer.speech_started"]
    item_id: str | None = None
    audio_start_ms: int | None = None


class InputTranscriptionCompleted(_Event):
    type: Literal["conversation.item.input_audio_transcription.completed"]
    item_id: str
    transcript: str
    # What the transcription model says it heard, when it says (shape not pinned down by the SDK:
    # codes, or objects with a `language` or `code`); `language` reads the first one.
    languages: list[Any] | None = None

    @property
    def language(self) -> str | None:
        for item in self.languages or ():
            code = item.get("language") or item.get("code") if isinstance(item, dict) else item
            if isinstance(code, str) and 0 < len(code) <= 35:
                return code
        return None


class AudioDelta(_Event):
    type: Literal["response.output_audio.delta"]
    item_id: str
    delta: str


class OutputTranscriptDone(_Event):
    type: Literal["response.output_audio_transcript.done"]
    item_id: str
    transcript: str


class FunctionCallArgumentsDone(_Event):
    type: Literal["response.function_call_arguments.done"]
    call_id: str
    name: str
    arguments: str
    response_id: str | None = None


class ResponseBody(_Event):
    id: str
    status: str | None = None
    metadata: dict[str, str] | None = None


class ResponseCreated(_Event):
    type: Literal["response.created"]
    response: ResponseBody


class ResponseDone(_Event):
    type: Literal["response.done"]
    response: ResponseBody


ServerEvent = Annotated[
    SessionCreated
    | SessionUpdated
    | Error
    | SpeechStarted
    | InputTranscriptionCompleted
    | AudioDelta
    | OutputTranscriptDone
    | FunctionCallArgumentsDone
    | ResponseCreated
    | ResponseDone
    | OutputAudioBuffer,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[ServerEvent] = TypeAdapter(ServerEvent)
KNOWN_TYPES = frozenset(
    {
        "session.created",
        "session.updated",
        "error",
        "input_audio_buffer.speech_started",
        "conversation.item.input_audio_transcription.completed",
        AUDIO_DELTA,
        "response.output_audio_transcript.done",
        "response.function_call_arguments.done",
        "response.created",
        "response.done",
        "output_audio_buffer.started",
        "output_audio_buffer.stopped",
        "output_audio_buffer.cleared",
    }
)


def parse(raw: str | bytes) -> ServerEvent | str | None:
    """The typed event; the type name (str) for an event we do not act on; None for a malformed frame."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    if kind not in KNOWN_TYPES:
        return kind if isinstance(kind, str) else None
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError:
        return None


def audio_delta(raw: str) -> tuple[str, str] | None:
    """(item_id, base64 delta) of a compact audio delta by slicing; None if `raw` is not one."""
    if not raw.startswith(_DELTA_PREFIX):
        return None
    start = raw.find(_ITEM_KEY)
    if start < 0:
        return None
    start += len(_ITEM_KEY)
    end = raw.find('"', start)
    dstart = raw.find(_DELTA_KEY, end)
    if end < 0 or dstart < 0:
        return None
    dstart += len(_DELTA_KEY)
    dend = raw.find('"', dstart)
    if dend < 0:
        return None
    delta = raw[dstart:dend]
    # An escaped character means a non-canonical encoder: the caller falls back to a real parse.
    return (raw[start:end], delta) if "\\" not in delta else None


def base64_size(b64: str) -> int:
    """Decoded length of canonical base64 text, without decoding it."""
    n = len(b64)
    if n == 0:
        return 0
    return n * 3 // 4 - (2 if b64.endswith("==") else 1 if b64.endswith("=") else 0)


# -- client events ---------------------------------------------------------------------------------


def dumps(event: dict[str, Any]) -> str:
    return orjson.dumps(event).decode()


def append_audio(payload: str) -> str:
    # payload is a JSON string body taken verbatim from Twilio's frame: valid here unchanged.
    return '{"type":"input_audio_buffer.append","audio":"' + payload + '"}'


def session_update(session: dict[str, Any]) -> str:
    return dumps({"type": "session.update", "session": session})


def response_create(*, event_id: str, metadata: dict[str, str] | None = None) -> str:
    event: dict[str, Any] = {"type": "response.create", "event_id": event_id}
    if metadata:
        event["response"] = {"metadata": metadata}
    return dumps(event)


def response_cancel() -> str:
    return '{"type":"response.cancel"}'


def output_audio_buffer_clear() -> str:
    return '{"type":"output_audio_buffer.clear"}'


def truncate(item_id: str, audio_end_ms: int) -> str:
    return dumps(
        {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": audio_end_ms,
        }
    )


def function_call_output(call_id: str, output: dict[str, Any]) -> str:
    item = {"type": "function_call_output", "call_id": call_id, "output": dumps(output)}
    return dumps({"type": "conversation.item.create", "item": item})


def system_message(text: str) -> str:
    item = {"type": "message", "role": "system", "content": [{"type": "input_text", "text": text}]}
    return dumps({"type": "conversation.item.create", "item": item})
