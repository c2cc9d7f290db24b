"""Whether an org is open at a given moment, judged on the wall clock of the org's own time zone.

Holidays replace the weekday hours for their date; ranges are [open, close) and "24:00" ends the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from app.orgs.config import Holiday, HoursRange, OrgConfig

OpenReason = Literal["business_hours", "outside_hours", "closed_today", "holiday", "holiday_hours"]

NEXT_OPEN_HORIZON = timedelta(days=14)
_MINUTES_PER_DAY = 24 * 60
# Longest wall-clock jump in the tz database is a few hours; 24 h bounds the search whatever happens.
_MAX_GAP_MINUTES = _MINUTES_PER_DAY


@dataclass(frozen=True, slots=True)
class OpenState:
    is_open: bool
    reason: OpenReason
    local_time: datetime
    holiday_name: str | None
    # The next closed -> open transition after `now` (when open: the reopening after this stretch).
    next_open: datetime | None


def open_state(config: OrgConfig, now: datetime) -> OpenState:
    """Open or closed at `now` (tz-aware), with the reason and the next opening within 14 days."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    tz = ZoneInfo(config.timezone)
    local = now.astimezone(tz)
    holidays = {holiday.date: holiday for holiday in config.holidays}
    ranges, holiday = _day_hours(config, holidays, local.date())
    moment = local.time()
    is_open = any(r.contains(moment) for r in ranges)
    reason: OpenReason
    if holiday is not None:
        reason = "holiday_hours" if is_open else "holiday"
    elif is_open:
        reason = "business_hours"
    else:
        reason = "outside_hours" if ranges else "closed_today"
    return OpenState(
        is_open=is_open,
        reason=reason,
        local_time=local,
        holiday_name=holiday.name if holiday is not None else None,
        next_open=_next_open(config, holidays, local, tz),
    )


def hours_for_date(config: OrgConfig, day: date) -> list[HoursRange]:
    """The open ranges that apply on a local date: the holiday's own hours, else the weekday's."""
    ranges, _ = _day_hours(config, {h.date: h for h in config.holidays}, day)
    return ranges


def _day_hours(
    config: OrgConfig, holidays: dict[date, Holiday], day: date
) -> tuple[list[HoursRange], Holiday | None]:
    holiday = holidays.get(day)
    if holiday is not None:
        return holiday.hours, holiday
    return config.business_hours.for_weekday(day.weekday()), None


def _next_open(
    config: OrgConfig, holidays: dict[date, Holiday], local: datetime, tz: ZoneInfo
) -> datetime | None:
    # Positions are wall-clock minutes counted from local midnight today. A range that starts exactly
    # where the previous one ends (12:00-13:00 then 13:00-17:00, or 24:00 then 00:00 the next day)
    # continues an open stretch and is not an opening.
    now_minute = local.hour * 60 + local.minute
    previous_end: int | None = None
    for offset in range(NEXT_OPEN_HORIZON.days + 1):
        day = local.date() + timedelta(days=offset)
        ranges, _ = _day_hours(config, holidays, day)
        for r in ranges:
            start = offset * _MINUTES_PER_DAY + r.open_minutes
            continues = start == previous_end
            previous_end = offset * _MINUTES_PER_DAY + r.close_minutes
            if start > now_minute and not continues:
                opening = _local_moment(day, r.open_minutes, tz)
                return opening if opening - local <= NEXT_OPEN_HORIZON else None
    return None


def _local_moment(day: date, minute: int, tz: ZoneInfo) -> datetime:
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    for step in range(_MAX_GAP_MINUTES + 1):
        candidate = (naive + timedelta(minutes=step)).replace(tzinfo=tz)
        if _exists(candidate):
            # A wall time skipped by a spring-forward jump opens when the clock lands past it.
            return candidate
    return naive.replace(tzinfo=tz)


def _exists(moment: datetime) -> bool:
    tz = moment.tzinfo
    return moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == moment.replace(tzinfo=None)
