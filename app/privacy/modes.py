"""The org's privacy mode applied where caller data enters and where it is stored.

- `redact`: `redact_turn_rows` on the one write path (calls.service.append_transcript, before the live
  store and the live stream see the turns); `apply_to_finalized` again at finalize for everything else
  that quotes the caller (event data, escalation reason, intake summary). Intake fields the org asked
  for are its data and are kept.
- `no_transcripts`: turns live only in Redis for the call (detection and the agent need them); finalize
  stores no transcript rows and no caller wording in events, and the live stream carries no text.

Finalize reads the mode with `org_privacy` in its own transaction (a primary-key lookup), so nothing
new rides in the live call.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.repository import FinalizedRows
from app.orgs.config import OrgConfig, PrivacyMode
from app.privacy.redact import redact, redact_tree, region_for
from database.models import Organization

# Event data values that are codes, not words: kept in no_transcripts mode; other strings are dropped.
_CODE_KEYS = frozenset(
    {
        "status", "source", "channel", "urgency", "category", "policy", "via", "event",
        "name", "tool", "tool_call_id", "language", "config_version", "prompt_hash", "code", "kind",
        "fields", "open", "prewarmed", "error_type",
    }
)  # fmt: skip


def mode_of(value: str | None) -> PrivacyMode:
    try:
        return PrivacyMode(value or PrivacyMode.store_all.value)
    except ValueError:
        return PrivacyMode.store_all


def redact_turn_rows(config: OrgConfig, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn rows with caller data replaced by placeholders when the org redacts; unchanged otherwise."""
    if config.privacy.mode is not PrivacyMode.redact:
        return list(rows)
    region = region_for(config.language)
    return [{**row, "text": redact(row["text"], region=region)} for row in rows]


def stream_turn_text(config: OrgConfig) -> bool:
    """Whether the live event stream may carry the words of a turn (not for no_transcripts)."""
    return config.privacy.mode is not PrivacyMode.no_transcripts


def _code_values_only(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value for key, value in data.items() if key in _CODE_KEYS or not isinstance(value, str | dict)
    }


def apply_to_finalized(rows: FinalizedRows, mode: PrivacyMode | str | None, *, region: str = "US") -> None:
    """Make a finished call's rows what its org's mode allows to store, in place, before the insert."""
    mode = mode if isinstance(mode, PrivacyMode) else mode_of(mode)
    if mode is PrivacyMode.store_all:
        return
    call = rows.call
    if mode is PrivacyMode.no_transcripts:
        rows.transcripts = []
        for event in rows.events:
            event["data"] = _code_values_only(event.get("data") or {})
        return
    for turn in rows.transcripts:
        turn["text"] = redact(turn["text"], region=region)
    for event in rows.events:
        event["data"] = redact_tree(event.get("data") or {}, region=region)
    if call.get("escalation_reason"):
        call["escalation_reason"] = redact(call["escalation_reason"], region=region)
    if rows.intake is not None and rows.intake.get("summary"):
        rows.intake["summary"] = redact(rows.intake["summary"], region=region)


def redact_text(config: OrgConfig, value: str) -> str:
    """One free-text value the model wrote about the caller (intake summary, escalation reason)."""
    if config.privacy.mode is not PrivacyMode.redact or not value:
        return value
    return redact(value, region=region_for(config.language))


async def org_privacy(session: AsyncSession, org_id: uuid.UUID) -> tuple[PrivacyMode, str]:
    """The org's mode and phone region, read in the finalize transaction (a primary-key lookup)."""
    config = await session.scalar(select(Organization.config).where(Organization.id == org_id))
    if not config:
        return PrivacyMode.store_all, "US"
    privacy = config.get("privacy") or {}
    return mode_of(privacy.get("mode")), region_for(config.get("language"))
