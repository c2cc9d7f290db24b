"""session_spec: one session per org, config version and minute, and always the session build_session
makes for the moment itself."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.calls import service
from app.calls.service import OrgContext, session_spec
from app.safety import policy
from app.safety.examples import EMERGENCY_EXAMPLES
from app.safety.prompt import build_session
from app.settings import Settings
from tests.fixtures.factories import EXAMPLE_CONFIG

SETTINGS = Settings()
# Monday 2026-11-23 in Chicago (UTC-6): open 08:00-12:00 and 13:00-17:00, so 23:00 UTC is 17:00 local.
CLOSING = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
# Holidays and hour edges the clock can cross within a day or two of CLOSING.
CONFIG: dict[str, Any] = {
    **EXAMPLE_CONFIG,
    "holidays": [
        {"date": "2026-11-24", "name": "Staff day", "hours": [{"open": "10:00", "close": "10:01"}]},
        {"date": "2026-11-26", "hours": []},
    ],
}


def _org(version: int = 1, config: dict[str, Any] | None = None) -> OrgContext:
    return OrgContext.build(uuid.uuid4(), "Bright Smiles Dental", config or CONFIG, version)


def _fresh(org: OrgContext, now: datetime) -> Any:
    return build_session(
        org.config,
        now,
        org_name=org.org_name,
        default_model=SETTINGS.openai.realtime_model,
        default_voice=SETTINGS.openai.realtime_voice,
        emergency_phrases=EMERGENCY_EXAMPLES,
    )


def test_calls_in_one_minute_share_one_session() -> None:
    org = _org()
    first = session_spec(org, SETTINGS, CLOSING - timedelta(seconds=60))
    assert session_spec(org, SETTINGS, CLOSING - timedelta(seconds=1)) is first
    assert first.open_state.is_open


def test_the_next_minute_is_built_again() -> None:
    org = _org()
    before = session_spec(org, SETTINGS, CLOSING - timedelta(seconds=1))
    after = session_spec(org, SETTINGS, CLOSING)
    assert before.open_state.is_open and not after.open_state.is_open
    assert before.prompt_hash != after.prompt_hash
    # A clock that steps back finds the earlier minute built again, not the later one's session.
    assert session_spec(org, SETTINGS, CLOSING - timedelta(seconds=30)).open_state.is_open


def test_a_new_config_version_is_built_again() -> None:
    org = _org(version=1)
    old = session_spec(org, SETTINGS, CLOSING)
    changed = {**CONFIG, "services_offered": ["whitening"]}
    new = session_spec(OrgContext.build(org.org_id, org.org_name, changed, 2), SETTINGS, CLOSING)
    assert new is not old
    assert "whitening" in new.instructions and "whitening" not in old.instructions


def test_a_browser_call_never_gets_the_phone_session_of_the_same_minute() -> None:
    """A browser call runs its org's config without live transfer: in the same minute as a phone call of
    that org it gets its own session (a call back, no transfer), and every browser call shares that."""
    org = _org()
    browser = dataclasses.replace(org, config=policy.without_live_transfer(org.config))
    phone_spec = session_spec(org, SETTINGS, CLOSING)
    browser_spec = session_spec(browser, SETTINGS, CLOSING)
    assert browser_spec.instructions == _fresh(browser, CLOSING).instructions
    assert phone_spec.instructions == _fresh(org, CLOSING).instructions
    assert phone_spec.instructions != browser_spec.instructions
    assert "connecting them with a person now" in phone_spec.instructions
    assert "connecting them with a person now" not in browser_spec.instructions
    assert "no live transfer is available" in browser_spec.instructions
    again = dataclasses.replace(org, config=policy.without_live_transfer(org.config))
    assert session_spec(again, SETTINGS, CLOSING + timedelta(seconds=5)) is browser_spec
    assert session_spec(org, SETTINGS, CLOSING + timedelta(seconds=5)) is phone_spec


def test_the_cache_stays_bounded() -> None:
    service._SPEC_CACHE.clear()
    for _ in range(10_001):
        session_spec(_org(), SETTINGS, CLOSING)
    assert len(service._SPEC_CACHE) <= 10_000


@settings(max_examples=150, deadline=None)
@given(
    offset=st.integers(min_value=-2 * 86_400_000_000, max_value=3 * 86_400_000_000),
    earlier=st.integers(min_value=0, max_value=59_999_999),
)
def test_the_session_is_the_one_built_for_that_moment(offset: int, earlier: int) -> None:
    """Whatever moment in the minute built the cached session, a call at any other moment of that minute
    hears exactly what build_session gives for its own moment: same instructions, tools and hash."""
    org = _org()
    now = CLOSING + timedelta(microseconds=offset)
    minute = now.replace(second=0, microsecond=0)
    session_spec(org, SETTINGS, minute + timedelta(microseconds=earlier))  # another call, same minute
    cached, fresh = session_spec(org, SETTINGS, now), _fresh(org, now)
    assert cached.instructions == fresh.instructions
    assert cached.prompt_hash == fresh.prompt_hash
    assert cached.tools == fresh.tools
    assert cached.open_state.is_open == fresh.open_state.is_open
    assert cached.open_state.next_open == fresh.open_state.next_open
