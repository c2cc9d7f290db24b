"""The GA Realtime session object built from a SessionSpec, for client secrets and session.update."""

from __future__ import annotations

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
    language = spec.language.split("-")[0].lower()
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
        "transcription": {"model": transcription_model, "language": language},
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


def client_secret_body(spec: SessionSpec, *, ttl_seconds: int, transcription_model: str) -> dict[str, Any]:
    return {
        "expires_after": {"anchor": "created_at", "seconds": ttl_seconds},
        "session": realtime_session(spec, transcription_model=transcription_model),
    }
