"""The GA Realtime session object built from a SessionSpec, for client secrets and session.update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.safety.prompt import SessionSpec

PCMU: dict[str, str] = {"type": "audio/pcmu"}


def realtime_session(
    spec: SessionSpec,
    *,
    transcription_model: str,
    audio_format: dict[str, Any] | None = None,
    phone: bool = False,
) -> dict[str, Any]:
    """A `session` object (`type: "realtime"`). Phone calls send μ-law both ways, untouched."""
    turn_detection: dict[str, Any] = {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "create_response": True,
        "interrupt_response": True,
    }
    if phone:
        # Re-prompt a silent caller instead of waiting forever on a phone line.
        turn_detection["idle_timeout_ms"] = 8000
    audio_input: dict[str, Any] = {
        "transcription": transcription_config(transcription_model, spec.language, spec.languages),
        "turn_detection": turn_detection,
    }
    audio_output: dict[str, Any] = {"voice": spec.voice}
    if audio_format is not None:
        audio_input = {"format": audio_format, **audio_input}
        audio_output = {"format": audio_format, **audio_output}
    return {
        "type": "realtime",
        "model": spec.model,
        "instructions": spec.instructions,
        "output_modalities": ["audio"],
        "audio": {"input": audio_input, "output": audio_output},
        "tools": spec.tools,
        "tool_choice": "auto",
    }


# Models that take a list of expected languages (reference §4); the others take one `language` or none.
_MULTI_LANGUAGE_MODELS = frozenset({"gpt-transcribe", "gpt-live-transcribe"})
_LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "pt": "Portuguese", "zh": "Chinese",
    "vi": "Vietnamese", "ru": "Russian", "ht": "Haitian Creole", "ko": "Korean", "de": "German",
    "ar": "Arabic", "tl": "Tagalog", "it": "Italian", "pl": "Polish", "ja": "Japanese", "hi": "Hindi",
}  # fmt: skip


def transcription_config(model: str, language: str, languages: Sequence[str] = ()) -> dict[str, Any]:
    """`audio.input.transcription`: one language pinned only when the org expects one. With several,
    a model that takes `languages` gets the list; any other detects the language itself (no
    `language`) with a prompt naming the expected ones, so no caller is transcribed as the wrong one."""
    codes = list(dict.fromkeys(tag.split("-")[0].lower() for tag in (language, *languages)))
    if len(codes) == 1:
        return {"model": model, "language": codes[0]}
    if model in _MULTI_LANGUAGE_MODELS:
        return {"model": model, "languages": codes}
    names = ", ".join(_LANGUAGE_NAMES.get(code, code) for code in codes)
    return {"model": model, "prompt": f"The caller may speak any of: {names}; they may switch languages."}


def client_secret_body(spec: SessionSpec, *, ttl_seconds: int, transcription_model: str) -> dict[str, Any]:
    return {
        "expires_after": {"anchor": "created_at", "seconds": ttl_seconds},
        "session": realtime_session(spec, transcription_model=transcription_model),
    }
