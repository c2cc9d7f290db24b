"""Redaction of caller data in written and spoken forms, and lines that must come through untouched."""

from __future__ import annotations

import pytest

from app.privacy.redact import find_pii, redact, redact_tree, region_for

REDACTED = [
    # phone numbers, written
    ("call me at (415) 555-0123 please", "call me at [phone] please"),
    ("it's 415.555.0123", "it's [phone]"),
    ("my cell is +1 415 555 0123.", "my cell is [phone]."),
    ("4155550123 is the best one", "[phone] is the best one"),
    ("try 212-555-0199 after five", "try [phone] after five"),
    ("the office is 555-1234", "the office is [phone]"),
    ("+44 20 7946 0958 is my london number", "[phone] is my london number"),
    # phone numbers, spoken
    ("my number is five five five one two three four", "my number is [phone]"),
    ("it is four one five, five five five, oh one two three", "it is [phone]"),
    ("Four one five five five five zero one two three thanks", "[phone] thanks"),
    ("double five five one two three four", "[phone]"),
    ("one eight hundred five five five oh one nine nine", "[phone]"),
    ("five five five twelve thirty-four", "[phone]"),
    ("415 five five five oh one two three", "[phone]"),
    # emails
    ("email john.smith@example.org now", "email [email] now"),
    ("my email is john at gmail dot com", "my email is [email]"),
    ("it's jane dot doe at yahoo dot co dot uk okay", "it's [email] okay"),
    ("j o h n at outlook dot com", "[email]"),
    ("mary underscore lee at example.com", "[email]"),
    # cards (Luhn-valid)
    ("card 4111 1111 1111 1111 exp 12/28", "card [card] exp 12/28"),
    ("the number is 5500-0000-0000-0004.", "the number is [card]."),
    ("four one one one one one one one one one one one one one one one", "[card]"),
    ("378282246310005 is the amex", "[card] is the amex"),
    # SSNs
    ("my social is 123-45-6789", "my social is [ssn]"),
    ("ssn 123 45 6789 thanks", "ssn [ssn] thanks"),
    ("social security number one two three four five six seven eight nine", "social security number [ssn]"),
    ("my social is 123456789", "my social is [ssn]"),
    # dates of birth
    ("I was born on March 5th, 1985", "I was born on [dob]"),
    ("date of birth oh three oh five nineteen eighty five", "date of birth [dob]"),
    ("my birthday is the fifth of march nineteen eighty five", "my birthday is [dob]"),
    ("dob 03/05/1985", "dob [dob]"),
    ("his date of birth is 1985-03-05, he is my son", "his date of birth is [dob], he is my son"),
    ("born December twenty first", "born [dob]"),
]

UNTOUCHED = [
    "Can I come in on March 5th at 10:30?",
    "It costs $1,250.00 and the deposit is $120.",
    "I live at 1234 Oak Street, apartment 5.",
    "I have two kids and three dogs.",
    "The appointment is 12/05/2026.",
    "Let's meet at noon at the office.",
    "My daughter is seven and has a fever of a hundred and two.",
    "We lost heat around five o'clock, in units 12 and 14.",
    "The invoice total was 2,450 dollars for 3 visits in 2025.",
    "Is it open on the twenty first of December?",
    "I'm at home, come at 9:15 tomorrow.",
    "Card ending 1111, and 4111 1111 1111 1112 was the old one.",  # the second fails the Luhn check
    "The claim is 123-45-678 something, I'm not sure.",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_redact_replaces_caller_data_with_typed_placeholder(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", UNTOUCHED)
def test_redact_leaves_non_pii_lines_unchanged(text: str) -> None:
    assert redact(text) == text


def test_redact_keeps_several_kinds_in_one_turn_apart() -> None:
    text = "Reach me on (415) 555-0123 or jane@example.com, born 03/05/1985, card 4111111111111111."
    assert redact(text) == "Reach me on [phone] or [email], born [dob], card [card]."


def test_nine_digits_without_ssn_context_is_not_an_ssn() -> None:
    assert [f.kind for f in find_pii("order 123456789 please")] == []


def test_invalid_ssn_areas_are_not_ssns() -> None:
    assert redact("my social is 000-12-3456") == "my social is 000-12-3456"
    assert redact("my social is 666-12-3456") == "my social is 666-12-3456"


def test_find_pii_returns_original_offsets_of_a_spoken_run() -> None:
    text = "it's five five five one two three four ok"
    [finding] = find_pii(text)
    assert finding.kind == "phone"
    assert text[finding.start : finding.end] == "five five five one two three four"


def test_redact_tree_redacts_strings_and_keeps_keys_and_numbers() -> None:
    payload = {"summary": "call 415-555-0123", "turns": [{"text": "john at gmail dot com", "seq": 1}], "n": 5}
    assert redact_tree(payload) == {
        "summary": "call [phone]",
        "turns": [{"text": "[email]", "seq": 1}],
        "n": 5,
    }


def test_region_for_takes_the_region_of_the_language_tag() -> None:
    assert region_for("en-GB") == "GB"
    assert region_for("es") == "US"
    assert region_for(None) == "US"


def test_uk_region_finds_a_national_uk_number() -> None:
    assert redact("ring 020 7946 0958 tomorrow", region="GB") == "ring [phone] tomorrow"
