"""open_state: open/closed on the org's wall clock, holidays, DST days and the next opening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.orgs.config import OrgConfig
from app.safety.hours import open_state

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_HOURS = [{"open": "08:00", "close": "12:00"}, {"open": "13:00", "close": "17:00"}]


def _config(**overrides: Any) -> OrgConfig:
    data: dict[str, Any] = {
        "timezone": "America/Chicago",
        "business_hours": {"monday": MONDAY_HOURS, "saturday": []},
        "holidays": [{"date": "2026-12-25", "hours": []}],
    }
    data.update(overrides)
    return OrgConfig.model_validate(data)


def _chicago(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CHICAGO)


def test_open_state_is_open_inside_range() -> None:
    state = open_state(_config(), _chicago(2026, 11, 23, 10, 0))

    assert state.is_open
    assert state.reason == "business_hours"
    assert state.holiday_name is None


def test_open_state_is_open_in_last_minute_before_close() -> None:
    assert open_state(_config(), _chicago(2026, 11, 23, 11, 59, 59)).is_open


def test_open_state_is_closed_at_close_boundary() -> None:
    state = open_state(_config(), _chicago(2026, 11, 23, 12, 0))

    assert not state.is_open
    assert state.reason == "outside_hours"


def test_open_state_is_closed_today_when_weekday_absent() -> None:
    state = open_state(_config(), _chicago(2026, 11, 24, 10, 0))  # a Tuesday, not in business_hours

    assert not state.is_open
    assert state.reason == "closed_today"


def test_open_state_is_closed_today_when_weekday_empty() -> None:
    state = open_state(_config(), _chicago(2026, 11, 28, 10, 0))  # a Saturday, listed with no ranges

    assert state.reason == "closed_today"


def test_open_state_is_holiday_when_holiday_has_no_hours() -> None:
    config = _config(holidays=[{"date": "2026-11-23", "name": "Staff training", "hours": []}])

    state = open_state(config, _chicago(2026, 11, 23, 10, 0))  # a Monday that would be open

    assert not state.is_open
    assert state.reason == "holiday"
    assert state.holiday_name == "Staff training"


def test_open_state_uses_holiday_hours_when_inside_them() -> None:
    config = _config(holidays=[{"date": "2026-11-23", "hours": [{"open": "09:00", "close": "11:00"}]}])

    state = open_state(config, _chicago(2026, 11, 23, 10, 30))

    assert state.is_open
    assert state.reason == "holiday_hours"


def test_open_state_is_holiday_when_outside_holiday_hours_but_inside_weekday_hours() -> None:
    config = _config(holidays=[{"date": "2026-11-23", "hours": [{"open": "09:00", "close": "11:00"}]}])

    state = open_state(config, _chicago(2026, 11, 23, 14, 0))  # normal Monday hours would say open

    assert not state.is_open
    assert state.reason == "holiday"


def test_open_state_uses_daylight_offset_on_spring_forward_day() -> None:
    # 2026-03-08 is the US spring-forward Sunday: from 03:00 local, Chicago is UTC-5, not UTC-6.
    config = _config(business_hours={"sunday": [{"open": "09:00", "close": "17:00"}]})

    at_0930_cdt = open_state(config, datetime(2026, 3, 8, 14, 30, tzinfo=UTC))
    at_0830_cdt = open_state(config, datetime(2026, 3, 8, 13, 30, tzinfo=UTC))

    assert at_0930_cdt.is_open
    assert (at_0930_cdt.local_time.hour, at_0930_cdt.local_time.minute) == (9, 30)
    assert at_0930_cdt.local_time.utcoffset() == timedelta(hours=-5)
    assert not at_0830_cdt.is_open


def test_open_state_uses_standard_offset_on_fall_back_day() -> None:
    config = _config(business_hours={"sunday": [{"open": "09:00", "close": "17:00"}]})

    at_0830_cst = open_state(config, datetime(2026, 11, 1, 14, 30, tzinfo=UTC))
    at_0900_cst = open_state(config, datetime(2026, 11, 1, 15, 0, tzinfo=UTC))

    assert not at_0830_cst.is_open
    assert at_0900_cst.is_open


def test_open_state_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        open_state(_config(), datetime(2026, 11, 23, 10, 0))


def test_open_state_converts_utc_to_org_time() -> None:
    state = open_state(_config(), datetime(2026, 11, 23, 16, 5, tzinfo=UTC))

    assert state.is_open
    assert state.local_time.tzinfo == CHICAGO
    assert (state.local_time.weekday(), state.local_time.hour, state.local_time.minute) == (0, 10, 5)


def test_open_state_judges_local_date_not_utc_date() -> None:
    # 03:00 UTC on Tuesday is still Monday 21:00 in Chicago: closed, and the local date is Monday.
    state = open_state(_config(), datetime(2026, 11, 24, 3, 0, tzinfo=UTC))

    assert state.reason == "outside_hours"
    assert state.local_time.weekday() == 0


def test_next_open_is_after_lunch_when_closed_at_noon() -> None:
    state = open_state(_config(), _chicago(2026, 11, 23, 12, 30))

    assert state.next_open == _chicago(2026, 11, 23, 13, 0)


def test_next_open_is_next_monday_when_closed_on_saturday() -> None:
    state = open_state(_config(), _chicago(2026, 11, 28, 10, 0))

    assert state.next_open == _chicago(2026, 11, 30, 8, 0)
    assert state.next_open is not None and state.next_open.tzinfo == CHICAGO


def test_next_open_is_reopening_after_current_stretch_when_open() -> None:
    state = open_state(_config(), _chicago(2026, 11, 23, 10, 0))

    assert state.next_open == _chicago(2026, 11, 23, 13, 0)


def test_next_open_skips_range_that_continues_current_one() -> None:
    config = _config(
        business_hours={"monday": [{"open": "08:00", "close": "12:00"}, {"open": "12:00", "close": "17:00"}]}
    )

    state = open_state(config, _chicago(2026, 11, 23, 10, 0))

    assert state.next_open == _chicago(2026, 11, 30, 8, 0)


def test_next_open_skips_holiday_closure() -> None:
    config = _config(holidays=[{"date": "2026-11-30", "hours": []}])

    state = open_state(config, _chicago(2026, 11, 28, 10, 0))

    assert state.next_open == _chicago(2026, 12, 7, 8, 0)


def test_next_open_keeps_daylight_offset_across_spring_forward() -> None:
    config = _config(business_hours={"sunday": [{"open": "09:00", "close": "17:00"}]})

    state = open_state(config, _chicago(2026, 3, 7, 18, 0))  # Saturday evening, still CST

    assert state.next_open is not None
    assert state.next_open.astimezone(UTC) == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)


def test_next_open_is_clock_jump_when_opening_time_is_skipped() -> None:
    # 02:30 does not exist in Chicago on 2026-03-08; the clock jumps from 02:00 CST to 03:00 CDT.
    config = _config(business_hours={"sunday": [{"open": "02:30", "close": "10:00"}]})

    state = open_state(config, datetime(2026, 3, 8, 7, 0, tzinfo=UTC))  # 01:00 CST

    assert state.next_open is not None
    assert state.next_open.astimezone(UTC) == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)


def test_next_open_is_none_when_never_open() -> None:
    state = open_state(_config(business_hours={}), _chicago(2026, 11, 23, 10, 0))

    assert state.next_open is None


def test_next_open_is_none_when_beyond_fourteen_days() -> None:
    config = _config(
        business_hours={}, holidays=[{"date": "2026-12-20", "hours": [{"open": "09:00", "close": "10:00"}]}]
    )

    assert open_state(config, _chicago(2026, 11, 23, 10, 0)).next_open is None
    assert open_state(config, _chicago(2026, 12, 7, 10, 0)).next_open == _chicago(2026, 12, 20, 9, 0)


def test_open_state_is_open_until_midnight_with_24_00_close() -> None:
    config = _config(business_hours={"friday": [{"open": "20:00", "close": "24:00"}]})

    assert open_state(config, _chicago(2026, 11, 27, 23, 59)).is_open
    assert not open_state(config, _chicago(2026, 11, 28, 0, 0)).is_open
