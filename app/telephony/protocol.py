"""Twilio Media Streams messages: typed inbound events, plus the hot-path helpers that avoid parsing audio.

Inbound `media` frames (50 a second per call) are recognised by prefix and their payload sliced out, since
a JSON string's raw body can be embedded unchanged in another JSON string; echoed marks (one per relayed
chunk) have their name sliced the same way. Everything else is parsed into the typed models; unknown events
come back as None and are skipped.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MEDIA_PREFIX = '{"event":"media"'
_PAYLOAD_KEY = '"payload":"'
_PAYLOAD_SKIP = len(_PAYLOAD_KEY)
MARK_PREFIX = '{"event":"mark"'
_NAME_KEY = '"name":"'
_NAME_SKIP = len(_NAME_KEY)
STREAM_SID_RE = re.compile(r"^[A-Za-z0-9]{2,64}$")


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Connected(_Message):
    event: Literal["connected"]
    protocol: str | None = None
    version: str | None = None


class StartInfo(_Message):
    stream_sid: str = Field(alias="streamSid")
    account_sid: str = Field(alias="accountSid")
    call_sid: str = Field(alias="callSid")
    tracks: list[str] = Field(default_factory=list)
    custom_parameters: dict[str, str] = Field(default_factory=dict, alias="customParameters")
    media_format: dict[str, Any] | None = Field(None, alias="mediaFormat")


class Start(_Message):
    event: Literal["start"]
    stream_sid: str = Field(alias="streamSid")
    start: StartInfo


class MediaInfo(_Message):
    track: str | None = None
    payload: str


class Media(_Message):
    event: Literal["media"]
    media: MediaInfo


class MarkInfo(_Message):
    name: str


class Mark(_Message):
    event: Literal["mark"]
    mark: MarkInfo


class Dtmf(_Message):
    event: Literal["dtmf"]


class Stop(_Message):
    event: Literal["stop"]


TwilioEvent = Annotated[Connected | Start | Media | Mark | Dtmf | Stop, Field(discriminator="event")]
_ADAPTER: TypeAdapter[TwilioEvent] = TypeAdapter(TwilioEvent)


def parse(raw: str) -> TwilioEvent | None:
    """The typed message, or None for an unknown event or a malformed frame."""
    try:
        return _ADAPTER.validate_json(raw)
    except ValidationError:
        return None


def inbound_payload(raw: str) -> str | None:
    """The base64 payload of a `media` frame by slicing (no JSON parse); None if `raw` is not one."""
    if not raw.startswith(MEDIA_PREFIX):
        return None
    start = raw.find(_PAYLOAD_KEY, len(MEDIA_PREFIX))
    if start < 0:
        return None
    start += _PAYLOAD_SKIP
    end = raw.find('"', start)
    return raw[start:end] if end > start else None


def mark_name(raw: str) -> str | None:
    """The name of an echoed `mark` by slicing (Twilio echoes one per relayed audio chunk); None if `raw`
    is not a compact mark or the name holds an escape (then `parse` reads it properly)."""
    if not raw.startswith(MARK_PREFIX):
        return None
    start = raw.find(_NAME_KEY, len(MARK_PREFIX))
    if start < 0:
        return None
    start += _NAME_SKIP
    end = raw.find('"', start)
    if end < 0:
        return None
    name = raw[start:end]
    return name if "\\" not in name else None


def media(stream_sid: str, payload: str) -> str:
    # stream_sid is checked against STREAM_SID_RE at start and payload is a JSON string body: no escaping.
    return '{"event":"media","streamSid":"' + stream_sid + '","media":{"payload":"' + payload + '"}}'


def mark(stream_sid: str, name: str) -> str:
    return orjson.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}).decode()


def clear(stream_sid: str) -> str:
    return '{"event":"clear","streamSid":"' + stream_sid + '"}'
