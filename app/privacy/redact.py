"""Caller-data redaction of one transcript turn: phones, emails, cards, SSNs, dates of birth -> `[kind]`.

Pure and deterministic (no model). Speech-to-text writes numbers as digits or as words, so spoken
digit runs ("five five five one two three four", "double oh seven", "nineteen eighty five") are
turned into digits in a normalized copy first; detectors run on that copy and every span they find
is mapped back onto the original text, so numbers that are not caller data keep their wording.
Turns with no digit, number word or "@"/" at " skip everything (the common case, ~2 us).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from phonenumbers import Leniency, PhoneNumberMatcher

Kind = Literal["phone", "email", "card", "ssn", "dob"]
PLACEHOLDERS: dict[str, str] = {kind: f"[{kind}]" for kind in ("phone", "email", "card", "ssn", "dob")}

_UNITS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_TEENS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
    "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}  # fmt: skip
_TENS = {
    "twenty": "2", "thirty": "3", "forty": "4", "fifty": "5",
    "sixty": "6", "seventy": "7", "eighty": "8", "ninety": "9",
}  # fmt: skip
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
_NONZERO = "one|two|three|four|five|six|seven|eight|nine"
_TEEN = "|".join(_TEENS)
_TEN = "|".join(_TENS)
# One spoken number token: "double five", "thirty-four", "twelve", "eight hundred", "7", "415".
_TOKEN = (
    rf"(?:(?:double|triple)\s+(?:{_UNIT})|(?:{_TEN})(?:[\s-](?:{_NONZERO}))?|(?:{_TEEN})"
    rf"|(?:{_UNIT})(?:\s+hundred)?|\d+)"
)
_RUN_RE = re.compile(rf"(?<![\w'])(?:{_TOKEN})(?:[\s,-]+(?:{_TOKEN}))*(?![\w'])", re.IGNORECASE)
_PART_RE = re.compile(
    rf"(?P<rep>double|triple)\s+(?P<rep_unit>{_UNIT})|(?P<ten>{_TEN})(?:[\s-](?P<ten_unit>{_NONZERO}))?"
    rf"|(?P<teen>{_TEEN})|(?P<unit>{_UNIT})(?P<hundred>\s+hundred)?|(?P<digits>\d+)",
    re.IGNORECASE,
)
# Only runs long enough to be caller data are rewritten; "two kids" or "at five" stay words.
_MIN_RUN_DIGITS = 4

_TRIGGER_RE = re.compile(rf"\d|@|\bat\b|\b(?:{_UNIT}|{_TEEN}|{_TEN}|double|triple)\b", re.IGNORECASE)

_TLD = r"(?:com|net|org|edu|gov|io|co|us|uk|ca|info|biz|me|ai|app|dev|mail|email)"
_LOCAL_WORD = r"(?:[a-z0-9](?:\s[a-z0-9])+(?![a-z0-9])|[a-z0-9]+)"
_SEP = r"(?:\s*(?:\.|_|-|\+)\s*|\s+(?:dot|underscore|dash|hyphen|plus)\s+)"
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_SPOKEN_EMAIL_RE = re.compile(
    rf"(?<![\w@]){_LOCAL_WORD}(?:{_SEP}{_LOCAL_WORD})*\s+(?:at|@)\s+[a-z0-9-]+"
    rf"(?:(?:\s+dot\s+|\s*\.\s*)[a-z0-9-]+)*(?:\s+dot\s+|\s*\.\s*){_TLD}\b",
    re.IGNORECASE,
)
_CARD_RE = re.compile(r"(?<![\d.,$])\d(?:[ -]?\d){12,18}(?![\d])")
_SSN_DASHED_RE = re.compile(r"(?<![\d$.,])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d])")
_NINE_DIGITS_RE = re.compile(r"(?<![\d$.,])\d{9}(?!\d)")
_SSN_CONTEXT_RE = re.compile(r"\b(?:social|ssn|s\.s\.n|security number)", re.IGNORECASE)
# North American numbers written any common way; international ones are left to phonenumbers.
_US_PHONE_RE = re.compile(
    r"(?<![\d$.,:/])(?:\+?1[-. ]?)?(?:\(\s*[2-9]\d{2}\s*\)|[2-9]\d{2})[-. ]?\d{3}[-. ]?\d{4}(?![\d:/])"
    r"|(?<![\d$.,:/])[2-9]\d{2}[-. ]?\d{4}(?![\d:/.,]\d|\d)"
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORD_UNIT = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
_ORDINAL = (
    rf"(?:(?:twenty|thirty)[\s-](?:{_ORD_UNIT})|{_ORD_UNIT}|tenth|eleventh|twelfth|thirteenth|fourteenth"
    r"|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL})"
_NUMWORD = rf"(?:{_UNIT}|{_TEEN}|{_TEN}|hundred|thousand|and)"
_YEAR = rf"(?:\d{{4}}|'?\d{{2}}|(?:{_NUMWORD}[\s-]+){{0,4}}{_NUMWORD})"
_DATE_RE = re.compile(
    rf"\b(?:{_MONTH}\s+(?:the\s+)?{_DAY}(?:,?\s+(?:of\s+)?{_YEAR})?"
    rf"|(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
    r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2}|\d{8})(?![\w/])",
    re.IGNORECASE,
)
_DOB_CONTEXT_RE = re.compile(r"\b(?:born|birth|birthday|birthdate|dob|d\.o\.b)\b", re.IGNORECASE)
_DOB_WINDOW = 60


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    start: int
    end: int


class _Normalized:
    """The text with spoken digit runs as digits, and a map from its offsets back to the original."""

    __slots__ = ("norm_starts", "segments", "text")

    def __init__(self, text: str) -> None:
        pieces: list[str] = []
        # (norm_start, norm_end, orig_start, orig_end, rewritten)
        self.segments: list[tuple[int, int, int, int, bool]] = []
        at = norm = 0
        for match in _RUN_RE.finditer(text):
            run = match.group()
            if run.isdigit() or not any(c.isalpha() for c in run):
                continue  # written digits stay as written; the detectors read separators themselves
            digits = _run_digits(run)
            if len(digits) < _MIN_RUN_DIGITS:
                continue
            start, end = match.span()
            if start > at:
                pieces.append(text[at:start])
                self.segments.append((norm, norm + start - at, at, start, False))
                norm += start - at
            pieces.append(digits)
            self.segments.append((norm, norm + len(digits), start, end, True))
            norm += len(digits)
            at = end
        if at < len(text):
            pieces.append(text[at:])
            self.segments.append((norm, norm + len(text) - at, at, len(text), False))
        self.text = "".join(pieces)
        self.norm_starts = [segment[0] for segment in self.segments]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of a normalized one; a span touching a rewritten run takes all of it."""
        return self._map(start, end=False), self._map(end, end=True)

    def _map(self, pos: int, *, end: bool) -> int:
        index = bisect.bisect_right(self.norm_starts, pos - 1 if end else pos) - 1
        n_start, _n_end, o_start, o_end, rewritten = self.segments[max(index, 0)]
        if rewritten:
            return o_end if end else o_start
        return o_start + (pos - n_start)


def _run_digits(run: str) -> str:
    out: list[str] = []
    for part in _PART_RE.finditer(run):
        if part["rep"]:
            out.append(_UNITS[part["rep_unit"].lower()] * (2 if part["rep"].lower() == "double" else 3))
        elif part["ten"]:
            unit = part["ten_unit"]
            out.append(_TENS[part["ten"].lower()] + (_UNITS[unit.lower()] if unit else "0"))
        elif part["teen"]:
            out.append(_TEENS[part["teen"].lower()])
        elif part["unit"]:
            out.append(_UNITS[part["unit"].lower()] + ("00" if part["hundred"] else ""))
        else:
            out.append(part["digits"])
    return "".join(out)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _valid_ssn(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


class _Claims:
    """Spans already given a kind; detectors run in priority order and never overlap earlier ones."""

    __slots__ = ("spans",)

    def __init__(self) -> None:
        self.spans: list[Finding] = []

    def add(self, kind: Kind, start: int, end: int) -> None:
        if all(end <= s.start or start >= s.end for s in self.spans):
            self.spans.append(Finding(kind, start, end))

    def masked(self, text: str) -> str:
        for span in self.spans:
            text = text[: span.start] + "x" * (span.end - span.start) + text[span.end :]
        return text


def _detect(text: str, region: str) -> Iterator[Finding]:
    claims = _Claims()
    for match in _EMAIL_RE.finditer(text):
        claims.add("email", *match.span())
    for match in _SPOKEN_EMAIL_RE.finditer(text):
        claims.add("email", *match.span())
    digit_count = sum(c.isdigit() for c in text)
    if digit_count >= 6:
        if digit_count >= 13:
            for match in _CARD_RE.finditer(text):
                digits = re.sub(r"\D", "", match.group())
                if 13 <= len(digits) <= 19 and _luhn(digits):
                    claims.add("card", *match.span())
        for match in _SSN_DASHED_RE.finditer(text):
            if _valid_ssn(match[1], match[3], match[4]):
                claims.add("ssn", *match.span())
        if _SSN_CONTEXT_RE.search(text):
            for match in _NINE_DIGITS_RE.finditer(text):
                value = match.group()
                if _valid_ssn(value[:3], value[3:5], value[5:]):
                    claims.add("ssn", *match.span())
    for context in _DOB_CONTEXT_RE.finditer(text):
        window_end = context.end() + _DOB_WINDOW
        for match in _DATE_RE.finditer(text, context.end(), min(len(text), window_end + 40)):
            if match.start() <= window_end:
                claims.add("dob", *match.span())
    if digit_count >= 7:
        for match in _US_PHONE_RE.finditer(text):
            claims.add("phone", *match.span())
        rest = claims.masked(text)
        if sum(c.isdigit() for c in rest) >= 7:
            # libphonenumber for what the US patterns did not take: +44 20 7946 0958, 0049 30 ...
            for number in PhoneNumberMatcher(rest, region, leniency=Leniency.VALID):
                claims.add("phone", number.start, number.end)
    return iter(claims.spans)


def find_pii(text: str, *, region: str = "US") -> list[Finding]:
    """Every caller-data span in `text` (original offsets), in text order."""
    if not _TRIGGER_RE.search(text):
        return []
    normalized = _Normalized(text)
    found = []
    for finding in _detect(normalized.text, region):
        start, end = normalized.original(finding.start, finding.end)
        found.append(Finding(finding.kind, start, end))
    found.sort(key=lambda f: f.start)
    merged: list[Finding] = []
    for finding in found:  # two normalized spans inside one spoken run map onto the same original
        if merged and finding.start < merged[-1].end:
            continue
        merged.append(finding)
    return merged


def redact(text: str, *, region: str = "US") -> str:
    """`text` with each caller-data span replaced by its placeholder (`[phone]`, `[email]` ...)."""
    findings = find_pii(text, region=region)
    if not findings:
        return text
    out: list[str] = []
    at = 0
    for finding in findings:
        out.append(text[at : finding.start])
        out.append(PLACEHOLDERS[finding.kind])
        at = finding.end
    out.append(text[at:])
    return "".join(out)


def redact_tree(value: Any, *, region: str = "US") -> Any:
    """Every string inside a JSON value redacted (webhook payloads, event data); keys are kept."""
    if isinstance(value, str):
        return redact(value, region=region)
    if isinstance(value, dict):
        return {key: redact_tree(item, region=region) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_tree(item, region=region) for item in value]
    return value


def region_for(language: str | None) -> str:
    """The phone region of an org's BCP 47 language ("en-GB" -> "GB"); US when it names none."""
    if language:
        for part in language.split("-")[1:]:
            if len(part) == 2 and part.isalpha():
                return part.upper()
    return "US"
