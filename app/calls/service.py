"""Call lifecycle use cases on live state: start, transcript (with server-side detection), tools, reads.

Shared by the browser REST routes and the phone bridge, so both channels behave the same.
Never commits: live-state writes are immediate, and PostgreSQL is written only by finalize.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls import errors
from app.calls.escalation import detect_turns, escalation_instructions, raised_urgency, record_detections
from app.calls.live_store import LiveStore
from app.calls.repository import CallFilters, CallRepository
from app.calls.schemas import (
    CallDetail,
    CallSummary,
    Escalation,
    TranscriptAppended,
    TurnIn,
)
from app.calls.views import detail_from_snapshot, detail_from_stored, summary_from_row
from app.orgs.auth import OrgPrincipal
from app.orgs.config import OrgConfig
from app.pagination import decode_time_id_cursor, page_of
from app.safety.detection import Category
from app.safety.examples import EMERGENCY_EXAMPLES
from app.safety.prompt import SessionSpec, build_session
from app.safety.tools import validate_tool_arguments
from app.settings import Settings

log = logging.getLogger("callintake.calls")

_CONFIG_CACHE: dict[tuple[uuid.UUID, int], OrgConfig] = {}


@dataclass(frozen=True, slots=True)
class OrgContext:
    """The org a call belongs to, with its parsed config (cached per org and config version)."""

    org_id: uuid.UUID
    org_name: str
    config: OrgConfig
    config_version: int

    @classmethod
    def build(
        cls, org_id: uuid.UUID, org_name: str, config: dict[str, Any], config_version: int
    ) -> OrgContext:
        key = (org_id, config_version)
        parsed = _CONFIG_CACHE.get(key)
        if parsed is None:
            if len(_CONFIG_CACHE) > 10_000:
                _CONFIG_CACHE.clear()
            parsed = _CONFIG_CACHE[key] = OrgConfig.model_validate(config)
        return cls(org_id=org_id, org_name=org_name, config=parsed, config_version=config_version)

    @classmethod
    def from_principal(cls, principal: OrgPrincipal) -> OrgContext:
        return cls.build(principal.org_id, principal.org_name, principal.config, principal.config_version)


@dataclass(frozen=True, slots=True)
class StartedCall:
    call_id: uuid.UUID
    started_at: datetime
    spec: SessionSpec


def utcnow() -> datetime:
    return datetime.now(UTC)


def session_spec(org: OrgContext, settings: Settings, now: datetime) -> SessionSpec:
    return build_session(
        org.config,
        now,
        org_name=org.org_name,
        default_model=settings.openai.realtime_model,
        default_voice=settings.openai.realtime_voice,
        emergency_phrases=EMERGENCY_EXAMPLES,
    )


def _event(type_: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {"type": type_, "at": at.isoformat(), "data": data}


async def start_call(
    live: LiveStore,
    *,
    org: OrgContext,
    settings: Settings,
    channel: str,
    from_number: str | None = None,
    caller_name: str | None = None,
    metadata: dict[str, Any] | None = None,
    twilio_call_sid: str | None = None,
    call_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> StartedCall:
    """Create the call in the live store, pinning the config version and prompt hash it runs with."""
    now = now or utcnow()
    call_id = call_id or uuid.uuid4()
    spec = session_spec(org, settings, now)
    meta = {
        "org_id": str(org.org_id),
        "channel": channel,
        "status": "active",
        "started_at": now.isoformat(),
        "from_number": from_number or "",
        "caller_name": caller_name or "",
        "config_version": str(org.config_version),
        "prompt_hash": spec.prompt_hash,
        "escalated": "0",
        "escalation_reason": "",
        "escalation_urgency": "",
        "urgency": "",
        "end_reason": "",
        "twilio_call_sid": twilio_call_sid or "",
        "metadata": orjson.dumps(metadata or {}).decode(),
    }
    started_event = _event(
        "call_started",
        now,
        channel=channel,
        config_version=org.config_version,
        prompt_hash=spec.prompt_hash,
        open=spec.open_state.is_open,
    )
    if not await live.create_call(str(call_id), meta, started=now.timestamp(), events=[started_event]):
        raise errors.CallAlreadyExists()
    log.info("call_started", extra={"call": str(call_id), "channel": channel, "org": str(org.org_id)})
    return StartedCall(call_id=call_id, started_at=now, spec=spec)


async def live_meta(
    session: AsyncSession,
    live: LiveStore,
    *,
    org_id: uuid.UUID,
    call_id: uuid.UUID,
    fields: Sequence[str] | None = None,
) -> dict[str, str]:
    """The live call of this org, or 409 if it already ended, or 404 (unknown or another org's)."""
    meta = await live.get_meta(str(call_id), fields)
    if meta is not None:
        if meta.get("org_id") != str(org_id):
            raise errors.CallNotFound()
        return meta
    if await CallRepository(session, org_id).exists(call_id):
        raise errors.CallAlreadyEnded()
    raise errors.CallNotFound()


async def append_transcript(
    session: AsyncSession,
    live: LiveStore,
    *,
    org: OrgContext,
    call_id: uuid.UUID,
    turns: Sequence[TurnIn],
    now: datetime | None = None,
) -> TranscriptAppended:
    now = now or utcnow()
    meta = await live_meta(
        session, live, org_id=org.org_id, call_id=call_id, fields=("org_id", "escalated", "urgency")
    )
    rows = [
        {"speaker": t.speaker, "text": t.text, "at": (t.at or now).astimezone(UTC).isoformat(), "seq": t.seq}
        for t in turns
    ]
    accepted = await live.append_turns(str(call_id), rows)
    if accepted is None:
        raise errors.CallAlreadyEnded()
    found = detect_turns(org.config, turns, accepted)
    strongest = await record_detections(live, call_id=str(call_id), meta=meta, found=found, now=now)
    escalation = None
    if strongest is not None:
        escalation = Escalation(
            category="emergency" if strongest.category is Category.emergency else "human_request",
            reason=strongest.reason,
            matched=strongest.matched,
            instructions=escalation_instructions(strongest, org.config),
        )
    return TranscriptAppended(accepted=accepted, escalation=escalation)


def tool_output(name: str, args: dict[str, Any], config: OrgConfig) -> dict[str, Any]:
    """What the model gets back as function_call_output: plain next steps, no internal state."""
    if name == "escalate_call":
        if config.escalation_phone:
            return {
                "status": "escalated",
                "transfer": "live",
                "say": "Tell the caller you are connecting them with a person now, and stay brief.",
            }
        return {
            "status": "escalated",
            "transfer": "callback",
            "say": "Tell the caller a person will call them back as soon as possible.",
        }
    if name == "complete_intake":
        return {
            "status": "saved",
            "next": "Briefly confirm, ask if they need anything else, then say goodbye.",
        }
    return {"status": "ending", "next": "Say a short goodbye; the call ends when you finish speaking."}


async def apply_tool_call(
    session: AsyncSession,
    live: LiveStore,
    *,
    org: OrgContext,
    call_id: uuid.UUID,
    name: str,
    arguments: dict[str, Any] | str,
    tool_call_id: str | None,
    source: str = "tool",
    now: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Validate and apply one tool call once. Returns (validated args, output, repeated).

    `source` names who asked: "tool" (the model) or "detection" (the server escalating on its own).
    """
    now = now or utcnow()
    meta = await live_meta(session, live, org_id=org.org_id, call_id=call_id, fields=("org_id", "urgency"))
    args = validate_tool_arguments(name, arguments, org.config)
    output = tool_output(name, args, org.config)
    key = str(call_id)
    if tool_call_id is not None:
        previous = await live.claim_tool_call(key, tool_call_id, output)
        if previous is not None:
            return args, previous, True
    if name == "escalate_call":
        await live.update_meta(
            key,
            {
                "escalated": "1",
                "escalation_reason": args["reason"],
                "escalation_urgency": args["urgency"],
                "urgency": raised_urgency(meta.get("urgency"), args["urgency"]),
            },
        )
        await live.add_event(key, _event("escalated", now, source=source, urgency=args["urgency"]))
    elif name == "complete_intake":
        data = {k: v for k, v in args.items() if k not in ("urgency_level", "summary")}
        await live.set_intake(
            key,
            {
                "data": data,
                "urgency": args["urgency_level"],
                "summary": args["summary"],
                "completed_at": now.isoformat(),
            },
        )
        await live.update_meta(key, {"urgency": raised_urgency(meta.get("urgency"), args["urgency_level"])})
        await live.add_event(
            key, _event("intake_completed", now, urgency=args["urgency_level"], fields=sorted(data))
        )
    elif name == "end_call":
        await live.update_meta(key, {"status": "ending", "end_reason": "agent_end_call"})
        await live.add_event(key, _event("end_requested", now, reason=args["reason"]))
    log.info("tool_applied", extra={"tool": name, "call": key})
    return args, output, False


async def get_call(
    session: AsyncSession, live: LiveStore, *, org_id: uuid.UUID, call_id: uuid.UUID
) -> CallDetail:
    snapshot = await live.snapshot(str(call_id))
    if snapshot is not None:
        if snapshot.meta.get("org_id") != str(org_id):
            raise errors.CallNotFound()
        return detail_from_snapshot(snapshot)
    stored = await CallRepository(session, org_id).get(call_id)
    if stored is None:
        raise errors.CallNotFound()
    return detail_from_stored(stored)


async def list_calls(
    session: AsyncSession, *, org_id: uuid.UUID, filters: CallFilters, limit: int, cursor: str | None
) -> tuple[list[CallSummary], str | None]:
    before = decode_time_id_cursor(cursor)
    rows = await CallRepository(session, org_id).list_page(filters, limit=limit + 1, before=before)
    rows, next_cursor = page_of(rows, limit, lambda call: (call.started_at, call.id))
    return [summary_from_row(row) for row in rows], next_cursor
