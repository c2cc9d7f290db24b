"""The live stream's typed events, documented in OpenAPI (the `data:` of each SSE message).

Our own shapes, not AG-UI's: AG-UI events carry no SSE `id:` (no resume), its verifier rejects a
stream joined mid-call unless every open message is re-opened, and it models one agent run, while
an org stream multiplexes many calls. Ours are whole turns and state changes, each with `call_id`,
and `snapshot` plays the part of AG-UI's join prelude. An AG-UI adapter can be built from these.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from app.calls.schemas import CallDetail, CallSummary


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow")

    call_id: uuid.UUID
    at: datetime


class CallStartedEvent(_Event):
    type: Literal["call.started"]
    channel: str


class TranscriptTurnEvent(_Event):
    type: Literal["transcript.turn"]
    seq: int
    speaker: Literal["caller", "agent"]
    text: str


class DetectionEvent(_Event):
    type: Literal["call.detection"]
    category: str
    action: str
    turn_seq: int | None = None


class EscalatedEvent(_Event):
    type: Literal["call.escalated"]
    source: str
    urgency: str | None


class IntakeCompletedEvent(_Event):
    type: Literal["intake.completed"]
    urgency: str | None
    fields: list[str] = Field(default_factory=list)
    intake: dict[str, Any] | None = None


class ToolCalledEvent(_Event):
    type: Literal["tool.called"]
    name: str
    tool_call_id: str | None


class CallEndingEvent(_Event):
    type: Literal["call.ending"]


class TransferFinishedEvent(_Event):
    type: Literal["call.transfer_finished"]
    outcome: str | None = None


class CallEndedEvent(_Event):
    type: Literal["call.ended"]
    status: str
    end_reason: str | None


class OrgSnapshot(BaseModel):
    """First on every org stream (join) and instead of a gap when Last-Event-ID is older than kept."""

    type: Literal["snapshot"]
    reason: Literal["join", "gap"]
    calls: list[CallSummary]


class CallSnapshot(BaseModel):
    type: Literal["snapshot"]
    reason: Literal["join", "gap"]
    call: CallDetail | None


LiveEventModel = (
    CallStartedEvent
    | TranscriptTurnEvent
    | DetectionEvent
    | EscalatedEvent
    | IntakeCompletedEvent
    | ToolCalledEvent
    | CallEndingEvent
    | TransferFinishedEvent
    | CallEndedEvent
)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema with its local $defs inlined, so it can sit inside an OpenAPI response."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.split("/")[-1]])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


def stream_responses(snapshot: type[BaseModel], *, per_call: bool = False) -> dict[int | str, dict[str, Any]]:
    data = _inline(TypeAdapter(snapshot | LiveEventModel).json_schema())  # type: ignore[arg-type]
    description = (
        "Server-sent events. Each message has `id:` (resume with Last-Event-ID), `event:` (the type) "
        "and `data:` (JSON, one of the shapes in `x-event-data`); `: heartbeat` comments keep the "
        "connection open. The first message is a `snapshot` unless Last-Event-ID is replayed; an id "
        "older than what is kept (or malformed) gets a `snapshot` with reason `gap` instead. A client "
        "too slow to keep up is disconnected and resumes by id."
    )
    if per_call:
        description += (
            " The stream ends after `call.ended` (or right after a snapshot that shows the call "
            "ended). An ended call's stream replays what is kept (a day) and ends."
        )
    responses: dict[int | str, dict[str, Any]] = {
        200: {
            "description": description,
            "content": {"text/event-stream": {"schema": {"type": "string"}, "x-event-data": data}},
        }
    }
    if per_call:
        responses[204] = {
            "description": "The call has ended and nothing is kept after Last-Event-ID: nothing more "
            "will come (EventSource stops reconnecting on 204)."
        }
        responses[410] = {
            "description": "`call_stream_expired`: the call has ended and none of its live events are "
            "kept any more; read GET /api/calls/{call_id}."
        }
    return responses


class StreamToken(BaseModel):
    token: str = Field(description="Send as ?token= to GET /api/org/events or /api/calls/{id}/events only.")
    expires_at: datetime
