"""TwiML for a phone call over its org's concurrency cap, decided in the voice webhook before an agent starts.

- `forward_to_escalation`: <Dial> the escalation phone. Answered and billed, but the caller reaches a
  person; the one to recommend for medical orgs, since an emergency cannot be detected before answering.
- `voicemail`: the org's greeting, a short prompt and <Record>; the recording's URL arrives through
  `recordingStatusCallback` (app/telephony/recording.py).
- `busy`: <Reject reason="busy"/> as the only verb, which Twilio does not answer and does not bill.

Never operator text: the caller hears what a receptionist would say. Pure: no I/O.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from app.orgs.config import OverflowPolicy

RECORDING_STATUS_PATH = "/twilio/recording-status"
VOICEMAIL_DONE_PATH = "/twilio/voicemail-done"
OVERFLOW_DIAL_PATH = "/twilio/overflow-dial"

ALL_LINES_BUSY = "All of our lines are busy right now."
LEAVE_A_MESSAGE = (
    "Please leave your name, your number and a short message after the tone, and we will call you back. "
    "If anyone is in danger, hang up and call your local emergency number."
)
CONNECTING_TO_STAFF = "All of our lines are busy. Connecting you with a member of our staff."
MESSAGE_TAKEN = "Thank you, we got your message. Goodbye."
NO_MESSAGE = "We did not get a message. Please call again later. Goodbye."
MAX_MESSAGE_SECONDS = 120


def _say(response: VoiceResponse, text: str, language: str | None) -> None:
    if language:
        response.say(text, language=language)
    else:
        response.say(text)


def forward(number: str, *, timeout: int, action: str, language: str | None = None) -> str:
    response = VoiceResponse()
    _say(response, CONNECTING_TO_STAFF, language)
    response.dial(timeout=timeout, action=action, method="POST").number(number)
    return str(response)


def voicemail(
    *, greeting: str, recording_status_callback: str, action: str, language: str | None = None
) -> str:
    """Greeting, prompt, then <Record>; `action` answers once the caller stops (hangs up or goes silent)."""
    response = VoiceResponse()
    _say(response, f"{greeting} {ALL_LINES_BUSY}", language)
    _say(response, LEAVE_A_MESSAGE, language)
    response.record(
        max_length=MAX_MESSAGE_SECONDS,
        play_beep=True,
        timeout=5,
        action=action,
        method="POST",
        recording_status_callback=recording_status_callback,
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    # Reached only when <Record> heard nothing (Twilio then skips the action).
    _say(response, NO_MESSAGE, language)
    response.hangup()
    return str(response)


def voicemail_done(*, recorded: bool, language: str | None = None) -> str:
    response = VoiceResponse()
    _say(response, MESSAGE_TAKEN if recorded else NO_MESSAGE, language)
    response.hangup()
    return str(response)


def busy() -> str:
    response = VoiceResponse()
    response.reject(reason="busy")
    return str(response)


def overflow_twiml(
    policy: OverflowPolicy,
    *,
    escalation_phone: str | None,
    greeting: str,
    language: str | None,
    base_url: str,
    dial_timeout: int,
) -> str:
    """The document for `policy`; forward without a phone (config forbids it) falls back to voicemail."""
    base = base_url.rstrip("/")
    if policy is OverflowPolicy.busy:
        return busy()
    if policy is OverflowPolicy.forward_to_escalation and escalation_phone:
        return forward(
            escalation_phone, timeout=dial_timeout, action=base + OVERFLOW_DIAL_PATH, language=language
        )
    return voicemail(
        greeting=greeting,
        recording_status_callback=base + RECORDING_STATUS_PATH,
        action=base + VOICEMAIL_DONE_PATH,
        language=language,
    )
