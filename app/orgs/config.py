"""The validated organization config: hours, policy, keywords, intake fields, voice.

Every rule here answers a 422 that names the bad field; nothing else in the service re-checks it.
"""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_BCP47_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|\d{3}))?(-[A-Za-z0-9]{5,8})*$")
_IDENT_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# complete_intake adds these two properties itself, so an org field may not take their names.
RESERVED_FIELD_NAMES = frozenset({"urgency_level", "summary"})

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _check_e164(value: str) -> str:
    if not E164_RE.match(value):
        raise ValueError("must be an E.164 phone number such as +15555550100")
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


def _check_phrase(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    return value


E164 = Annotated[str, AfterValidator(_check_e164)]
TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
Phrase = Annotated[str, Field(max_length=200), AfterValidator(_check_phrase)]


class AfterHoursPolicy(StrEnum):
    take_message = "take_message"
    emergencies_only = "emergencies_only"
    forward_to_escalation = "forward_to_escalation"
    closed_message = "closed_message"


class HoursRange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    open: str
    close: str

    @field_validator("open", "close")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM_RE.match(value):
            raise ValueError("must be HH:MM in 24-hour time")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> HoursRange:
        if self.open_minutes >= self.close_minutes:
            raise ValueError("open must be before close")
        return self

    @property
    def open_minutes(self) -> int:
        return _minutes(self.open)

    @property
    def close_minutes(self) -> int:
        return _minutes(self.close)

    def contains(self, moment: time) -> bool:
        minute = moment.hour * 60 + moment.minute
        return self.open_minutes <= minute < self.close_minutes


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _check_no_overlap(ranges: list[HoursRange]) -> list[HoursRange]:
    ordered = sorted(ranges, key=lambda r: r.open_minutes)
    for before, after in pairwise(ordered):
        if after.open_minutes < before.close_minutes:
            raise ValueError(f"ranges {before.open}-{before.close} and {after.open}-{after.close} overlap")
    return ordered


DayHours = Annotated[list[HoursRange], AfterValidator(_check_no_overlap)]


class BusinessHours(BaseModel):
    """Open ranges per weekday; a weekday that is absent or empty is closed."""

    model_config = ConfigDict(extra="forbid")

    monday: DayHours = Field(default_factory=list)
    tuesday: DayHours = Field(default_factory=list)
    wednesday: DayHours = Field(default_factory=list)
    thursday: DayHours = Field(default_factory=list)
    friday: DayHours = Field(default_factory=list)
    saturday: DayHours = Field(default_factory=list)
    sunday: DayHours = Field(default_factory=list)

    def for_weekday(self, weekday: int) -> list[HoursRange]:
        ranges: list[HoursRange] = getattr(self, WEEKDAYS[weekday])
        return ranges


class Holiday(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    name: str | None = Field(None, max_length=120)
    hours: DayHours = Field(default_factory=list)


IntakeFieldType = Literal["string", "phone", "date", "email", "enum", "boolean", "number"]


class IntakeField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    label: str = Field(min_length=1, max_length=200)
    type: IntakeFieldType = "string"
    required: bool = False
    options: list[Phrase] | None = None

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENT_RE.match(value):
            raise ValueError("must be a lower-case identifier (letters, digits, underscores)")
        if value in RESERVED_FIELD_NAMES:
            raise ValueError(f"{value!r} is reserved by the complete_intake tool")
        return value

    @model_validator(mode="after")
    def _options_match_type(self) -> IntakeField:
        if self.type == "enum":
            if not self.options:
                raise ValueError("an enum field needs a non-empty options list")
            if len(set(self.options)) != len(self.options):
                raise ValueError("options must be unique")
        elif self.options is not None:
            raise ValueError("options are only allowed on enum fields")
        return self


class RealtimeVoiceConfig(BaseModel):
    """Model and voice; None means the service default from settings."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(None, min_length=1, max_length=100)
    voice: str | None = Field(None, min_length=1, max_length=100)


class OrgConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: TimeZoneName
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    holidays: list[Holiday] = Field(default_factory=list, max_length=366)
    after_hours_policy: AfterHoursPolicy = AfterHoursPolicy.take_message
    services_offered: list[Phrase] = Field(default_factory=list, max_length=100)
    escalation_phone: E164 | None = None
    emergency_number: str | None = Field(None, pattern=r"^[0-9]{2,6}$")
    emergency_keywords: list[Phrase] = Field(default_factory=list, max_length=200)
    high_priority_keywords: list[Phrase] = Field(default_factory=list, max_length=200)
    intake_fields: list[IntakeField] = Field(default_factory=list, max_length=50)
    greeting: str = Field("Thank you for calling.", min_length=1, max_length=1000)
    recording_disclosure: str | None = Field(None, max_length=1000)
    language: str = "en-US"
    realtime: RealtimeVoiceConfig = Field(default_factory=RealtimeVoiceConfig)

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        if not _BCP47_RE.match(value):
            raise ValueError("must be a BCP 47 language tag such as en-US or es")
        return value

    @field_validator("intake_fields")
    @classmethod
    def _unique_names(cls, fields: list[IntakeField]) -> list[IntakeField]:
        seen: set[str] = set()
        for field in fields:
            if field.name in seen:
                raise ValueError(f"intake field name {field.name!r} is used twice")
            seen.add(field.name)
        return fields

    @field_validator("holidays")
    @classmethod
    def _unique_dates(cls, holidays: list[Holiday]) -> list[Holiday]:
        dates = [h.date for h in holidays]
        if len(set(dates)) != len(dates):
            raise ValueError("each holiday date may appear only once")
        return holidays

    @model_validator(mode="after")
    def _forwarding_needs_a_number(self) -> OrgConfig:
        if self.after_hours_policy is AfterHoursPolicy.forward_to_escalation and not self.escalation_phone:
            raise ValueError("after_hours_policy forward_to_escalation needs an escalation_phone")
        return self

    def dump(self) -> dict[str, object]:
        """The JSON form stored in the database."""
        return self.model_dump(mode="json")
