"""Transcription that does not force one language: the org's optional `languages` list, and the
`audio.input.transcription` block built from it for each transcription model (reference §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from app.orgs.config import OrgConfig
from app.realtime.events import InputTranscriptionCompleted
from app.realtime.session import realtime_session, transcription_config
from app.safety.prompt import build_session

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)


def _config(**fields: Any) -> OrgConfig:
    return OrgConfig.model_validate({"timezone": "America/New_York", **fields})


def test_single_language_org_pins_transcription_language() -> None:
    assert transcription_config("gpt-transcribe", "en-US") == {"model": "gpt-transcribe", "language": "en"}
    assert transcription_config("whisper-1", "es", ["es"]) == {"model": "whisper-1", "language": "es"}


def test_several_languages_go_as_a_list_to_models_that_take_one() -> None:
    block = transcription_config("gpt-live-transcribe", "en-US", ["en-US", "es-MX", "vi"])
    assert block == {"model": "gpt-live-transcribe", "languages": ["en", "es", "vi"]}
    assert "language" not in block


def test_several_languages_let_other_models_detect_with_a_prompt_hint() -> None:
    block = transcription_config("gpt-4o-transcribe", "en-US", ["en-US", "vi", "ht"])
    assert "language" not in block and "languages" not in block
    assert "Vietnamese" in block["prompt"] and "Haitian Creole" in block["prompt"]


def test_session_carries_org_languages_into_transcription() -> None:
    config = _config(language="en-US", languages=["en-US", "vi"])
    spec = build_session(config, NOW, org_name="Clinic")
    session = realtime_session(spec, transcription_model="gpt-transcribe")
    block = session["audio"]["input"]["transcription"]
    assert block == {"model": "gpt-transcribe", "languages": ["en", "vi"]}


def test_org_without_languages_keeps_todays_pinned_language() -> None:
    spec = build_session(_config(language="es-MX"), NOW, org_name="Clinic")
    session = realtime_session(spec, transcription_model="gpt-transcribe")
    assert session["audio"]["input"]["transcription"] == {"model": "gpt-transcribe", "language": "es"}


@pytest.mark.parametrize(
    "languages",
    [
        ["es", "en-US"],  # must start with the org's language
        ["en-US", "not a tag"],
        ["en-US", "en-us"],  # repeated
        ["en-US", *[f"q{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(20)]],  # too many
    ],
)
def test_invalid_languages_refused(languages: list[str]) -> None:
    with pytest.raises(ValidationError):
        _config(language="en-US", languages=languages)


def test_valid_languages_accepted() -> None:
    assert _config(language="en-US", languages=["en-US", "es", "zh-Hant", "vi"]).languages[1] == "es"


@pytest.mark.parametrize(
    ("languages", "language"),
    [(["vi"], "vi"), ([{"language": "ko"}], "ko"), ([{"code": "ht"}], "ht"), (None, None), ([], None)],
)
def test_transcription_event_reports_language_when_vendor_does(languages: Any, language: str | None) -> None:
    event = InputTranscriptionCompleted.model_validate(
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "item_1",
            "transcript": "xin chào",
            "languages": languages,
        }
    )
    assert event.language == language
