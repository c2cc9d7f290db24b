"""Request and response bodies of the call lifecycle."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, Field, field_validator

from app.orgs.config import E164
from app.validation import Moment, RequestModel, check_json_text, check_tree

Channel = Literal["browser", "phone"]
Speaker = Literal["caller", "agent"]
Urgency = Literal["emergency", "urgent", "routine"]
CallStatus = Literal["active", "ending", "completed", "abandoned", "failed", "finalize_failed", "voicemail"]

MAX_METADATA_BYTES = 4096


def _check_metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    check_tree(value)  # before orjson, which refuses integers past 64 bits
    if len(orjson.dumps(value)) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata must serialize to at most {MAX_METADATA_BYTES} bytes")
    return value


class CallStart(RequestModel):
    channel: Channel = "browser"
    from_number: E164 | None = None
    caller_name: str | None = Field(None, max_length=200)
    metadata: dict[str, Any] | None = None

    _metadata = field_validator("metadata")(_check_metadata)


class CallStarted(BaseModel):
    call_id: uuid.UUID
    status: CallStatus
    started_at: datetime


class TurnIn(RequestModel):
    speaker: Speaker
    text: str = Field(min_length=1, max_length=8000)
    at: Moment | None = None
    seq: int | None = Field(None, ge=0, le=1_000_000)
    # The language the transcription model reported for this turn, when it reported one.
    language: str | None = Field(
        None, min_length=2, max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
    )


class TranscriptAppend(RequestModel):
    turns: list[TurnIn] = Field(min_length=1, max_length=500)


class Escalation(BaseModel):
    category: Literal["emergency", "human_request"]
    reason: str
    matched: str | None
    instructions: str


class DetectionOut(BaseModel):
    """The strongest category detection fired on the appended caller lines (high priority included)."""

    category: Literal["emergency", "high_priority", "human_request"]
    reason: str
    matched: str | None
    language: str | None


class TranscriptAppended(BaseModel):
    accepted: list[int]
    escalation: Escalation | None
    detection: DetectionOut | None = None


class ToolCallIn(RequestModel):
    name: str = Field(min_length=1, max_length=64)
    arguments: dict[str, Any] | str = Field(default_factory=dict)
    tool_call_id: str | None = Field(None, min_length=1, max_length=128)

    @field_validator("arguments")
    @classmethod
    def _bounded_json_text(cls, value: dict[str, Any] | str) -> dict[str, Any] | str:
        if isinstance(value, str):
            check_json_text(value)
        return value


class ToolCallOut(BaseModel):
    output: dict[str, Any]
    repeated: bool = False


class CallEnd(RequestModel):
    call_id: uuid.UUID
    reason: str | None = Field(None, max_length=64)


class TransferRequested(BaseModel):
    """A transfer asked of a live call. `live`: its owner hands it to the escalation phone after a short
    hand-off line; `callback`: it cannot be handed over (a browser call, no escalation phone, nobody
    running it), so the caller is told a person will call back, and the request is on the timeline."""

    call_id: uuid.UUID
    transfer: Literal["live", "callback"]


class CallerInfo(RequestModel):
    name: str | None = Field(None, max_length=200)
    phone: E164 | None = None


class SessionRequest(RequestModel):
    call_id: uuid.UUID | None = None
    caller: CallerInfo | None = None
    metadata: dict[str, Any] | None = None

    _metadata = field_validator("metadata")(_check_metadata)


class ClientSecret(BaseModel):
    value: str
    expires_at: int


class SessionMinted(BaseModel):
    call_id: uuid.UUID
    client_secret: ClientSecret
    model: str
    session: dict[str, Any]
    next_seq: int = Field(description="The seq the next transcript turn gets; a resumed call continues here.")


class Turn(BaseModel):
    seq: int
    speaker: Speaker
    text: str
    at: datetime


class Intake(BaseModel):
    data: dict[str, Any]
    urgency: Urgency | None
    summary: str | None
    completed_at: datetime


class CallEvent(BaseModel):
    seq: int
    type: str
    at: datetime
    data: dict[str, Any]


class CallSummary(BaseModel):
    call_id: uuid.UUID
    channel: Channel
    status: CallStatus
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float | None
    escalated: bool
    escalation_reason: str | None
    escalation_urgency: str | None
    urgency: str | None
    end_reason: str | None
    from_number: str | None
    caller_name: str | None
    config_version: int
    prompt_hash: str
    turn_count: int
    live: bool
    # Issue 11: an overflowed call's voicemail, and what retention or an erasure removed (and when).
    recording_url: str | None = None
    transcript_purged_at: datetime | None = None
    content_erased_at: datetime | None = None


class CallDetail(CallSummary):
    metadata: dict[str, Any]
    transcript: list[Turn]
    intake: Intake | None
    events: list[CallEvent]
    # Issue 10: post-call analysis {status: pending | completed | failed | disabled, ...}; None if live.
    analysis: dict[str, Any] | None = None


class CallPage(BaseModel):
    items: list[CallSummary]
    next_cursor: str | None
