"""The validated organization config: hours, policy, keywords, intake fields, voice.

Every rule here answers a 422 that names the bad field; nothing else in the service re-checks it.
"""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, Field, field_validator, model_validator

from app.validation import MAX_YEAR, MIN_YEAR, RequestModel

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


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _check_timezone(value: str) -> str:
    # Only names the tz database lists: "America" or "posix/" name folders, and ZoneInfo raises
    # OSError (not ValueError) for those, which used to surface as a 5xx.
    if value not in _zone_names():
        raise ValueError(f"unknown IANA time zone {value[:64]!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown IANA time zone {value[:64]!r}") from exc
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


class HoursRange(RequestModel):
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


class BusinessHours(RequestModel):
    """Open ranges per weekday; a weekday that is absent or empty is closed."""

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


def _check_year(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


class Holiday(RequestModel):
    date: date
    name: str | None = Field(None, max_length=120)
    hours: DayHours = Field(default_factory=list)

    _sane_year = field_validator("date")(_check_year)


IntakeFieldType = Literal["string", "phone", "date", "email", "enum", "boolean", "number"]


class IntakeField(RequestModel):
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


class RealtimeVoiceConfig(RequestModel):
    """Model and voice; None means the service default from settings."""

    model: str | None = Field(None, min_length=1, max_length=100)
    voice: str | None = Field(None, min_length=1, max_length=100)


class OverflowPolicy(StrEnum):
    """What a phone call over the org's concurrency cap gets (issue 11), decided before answering."""

    forward_to_escalation = "forward_to_escalation"  # <Dial> a person; recommended for medical orgs
    voicemail = "voicemail"  # greeting, a short prompt and <Record>
    busy = "busy"  # <Reject reason="busy"/>: not answered, not billed


class CallLimits(RequestModel):
    """Concurrency cap; null is unlimited (CALL_PLATFORM_MAX_CONCURRENT_CALLS still applies)."""

    max_concurrent_calls: int | None = Field(None, ge=1, le=10_000)
    overflow_policy: OverflowPolicy = OverflowPolicy.voicemail


class PrivacyMode(StrEnum):
    store_all = "store_all"
    redact = "redact"  # caller data replaced by [phone], [email] ... before anything durable or sent
    no_transcripts = "no_transcripts"  # metadata, escalation, intake and analysis only


class PrivacyConfig(RequestModel):
    """What of a call is kept, and for how long; null retention keeps it until erased."""

    mode: PrivacyMode = PrivacyMode.store_all
    transcript_retention_days: int | None = Field(None, ge=1, le=3650)
    intake_retention_days: int | None = Field(None, ge=1, le=3650)


class AnalysisConfig(RequestModel):
    """Post-call analysis: on by default when the service has an OpenAI key; the model overrides
    OPENAI_ANALYSIS_MODEL for this org."""

    enabled: bool = True
    model: str | None = Field(None, min_length=1, max_length=100)


class OrgConfig(RequestModel):
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
    # Languages callers are expected to speak, the org's `language` first; transcription then
    # detects among them instead of forcing one (a Vietnamese caller to an en-US org).
    languages: list[str] = Field(default_factory=list, max_length=16)
    realtime: RealtimeVoiceConfig = Field(default_factory=RealtimeVoiceConfig)
    limits: CallLimits = Field(default_factory=CallLimits)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        if not _BCP47_RE.match(value):
            raise ValueError("must be a BCP 47 language tag such as en-US or es")
        return value

    @field_validator("languages")
    @classmethod
    def _bcp47_list(cls, values: list[str]) -> list[str]:
        for value in values:
            if len(value) > 35 or not _BCP47_RE.match(value):
                raise ValueError("each must be a BCP 47 language tag such as en-US or vi")
        if len({v.lower() for v in values}) != len(values):
            raise ValueError("languages must not repeat")
        return values

    @model_validator(mode="after")
    def _language_first(self) -> OrgConfig:
        if self.languages and self.languages[0].lower() != self.language.lower():
            raise ValueError("languages must start with the org's language")
        return self

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

    @model_validator(mode="after")
    def _overflow_forward_needs_a_number(self) -> OrgConfig:
        if self.limits.overflow_policy is OverflowPolicy.forward_to_escalation and not self.escalation_phone:
            raise ValueError("limits.overflow_policy forward_to_escalation needs an escalation_phone")
        return self

    def dump(self) -> dict[str, object]:
        """The JSON form stored in the database."""
        return self.model_dump(mode="json")
