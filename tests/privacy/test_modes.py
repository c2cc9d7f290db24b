"""Privacy modes on a finished call's rows and on incoming turn rows (pure: no database)."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.calls.finalize import build_rows
from app.calls.live_store import LiveSnapshot
from app.orgs.config import OrgConfig, PrivacyMode
from app.privacy.modes import (
    apply_to_finalized,
    mode_of,
    org_privacy,
    redact_text,
    redact_turn_rows,
    stream_turn_text,
)
from database.engine import create_session_factory
from tests.fixtures.factories import example_config
from tests.privacy.conftest import new_org

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def snapshot() -> LiveSnapshot:
    at = NOW.isoformat()
    return LiveSnapshot(
        call_id=str(uuid.uuid4()),
        meta={
            "org_id": str(uuid.uuid4()),
            "channel": "phone",
            "status": "active",
            "started_at": at,
            "from_number": "+15551230001",
            "config_version": "1",
            "prompt_hash": "h",
            "escalated": "1",
            "escalation_reason": "caller at 415-555-0123 reports a flood",
            "metadata": "{}",
        },
        turns=[
            {"seq": 0, "speaker": "caller", "text": "call me at five five five one two three four", "at": at},
            {"seq": 1, "speaker": "agent", "text": "Thanks, noted.", "at": at},
        ],
        intake={
            "data": {"caller_phone": "+15551230001"},
            "urgency": "urgent",
            "summary": "flood, reach at jane@example.com",
            "completed_at": at,
        },
        events=[
            {
                "type": "detection",
                "at": at,
                "data": {"category": "emergency", "matched": "my number is 4155550123"},
            }
        ],
    )


def config(mode: str) -> OrgConfig:
    return OrgConfig.model_validate(example_config(privacy={"mode": mode}))


def test_redact_mode_redacts_rows_and_keeps_the_orgs_intake_fields() -> None:
    rows = build_rows(snapshot(), status="completed", end_reason="done", now=NOW)
    apply_to_finalized(rows, "redact")
    assert [t["text"] for t in rows.transcripts] == ["call me at [phone]", "Thanks, noted."]
    assert rows.events[0]["data"]["matched"] == "my number is [phone]"
    assert rows.call["escalation_reason"] == "caller at [phone] reports a flood"
    assert rows.intake is not None
    assert rows.intake["summary"] == "flood, reach at [email]"
    assert rows.intake["data"] == {"caller_phone": "+15551230001"}  # the org asked for it


def test_no_transcripts_mode_stores_no_turn_and_no_caller_words_in_events() -> None:
    rows = build_rows(snapshot(), status="completed", end_reason="done", now=NOW)
    apply_to_finalized(rows, PrivacyMode.no_transcripts)
    assert rows.transcripts == []
    assert rows.events[0]["data"] == {"category": "emergency"}
    assert rows.events[-1]["type"] == "call_ended" and rows.events[-1]["data"] == {"status": "completed"}
    assert rows.call["turn_count"] == 2 and rows.call["escalated"] is True  # metadata and escalation stay
    assert rows.intake is not None and rows.intake["urgency"] == "urgent"


def test_store_all_and_unknown_modes_change_nothing() -> None:
    rows = build_rows(snapshot(), status="completed", end_reason="done", now=NOW)
    before = copy.deepcopy(rows)
    apply_to_finalized(rows, None)
    apply_to_finalized(rows, "not-a-mode")
    assert rows == before
    assert mode_of("bogus") is PrivacyMode.store_all


def test_redact_turn_rows_only_in_redact_mode() -> None:
    turn = [{"speaker": "caller", "text": "it's john at gmail dot com", "seq": 0}]
    assert redact_turn_rows(config("redact"), turn)[0]["text"] == "it's [email]"
    assert redact_turn_rows(config("store_all"), turn)[0]["text"] == "it's john at gmail dot com"
    assert turn[0]["text"] == "it's john at gmail dot com"  # the input rows are not modified


def test_live_stream_carries_no_text_for_no_transcripts() -> None:
    assert stream_turn_text(config("store_all")) and stream_turn_text(config("redact"))
    assert not stream_turn_text(config("no_transcripts"))


def test_redact_text_only_in_redact_mode() -> None:
    assert redact_text(config("redact"), "call 415-555-0123") == "call [phone]"
    assert redact_text(config("no_transcripts"), "call 415-555-0123") == "call 415-555-0123"


async def test_org_privacy_reads_the_mode_and_region_of_the_org(
    pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient, privacy={"mode": "no_transcripts"}, language="en-GB")
    async with create_session_factory(clean_db)() as session:
        assert await org_privacy(session, uuid.UUID(org.id)) == (PrivacyMode.no_transcripts, "GB")
        assert await org_privacy(session, uuid.uuid4()) == (PrivacyMode.store_all, "US")
