"""Every TwiML document the service returns or pushes, built with twilio's VoiceResponse (XML-escaped)."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.twiml.voice_response import VoiceResponse

MEDIA_TYPE = "application/xml"

NOT_IN_SERVICE = "The number you have dialed is not in service. Goodbye."
AGENT_UNAVAILABLE = "Sorry, our assistant is not available right now."
CONNECTING = "Connecting you with a person now."
CALL_BACK_LATER = "Please call back in a few minutes. Goodbye."
NOBODY_ANSWERED = (
    "Sorry, no one could take your call right now. Someone will call you back as soon as possible. "
    "If anyone is in danger, hang up and call your local emergency number. Goodbye."
)
TIME_LIMIT = "We have reached the time limit for this call. Someone will follow up if needed. Goodbye."
# <Dial action> statuses after which the caller has not spoken to anyone.
UNANSWERED_DIAL_STATUSES = frozenset({"no-answer", "busy", "failed", "canceled"})


def _say(response: VoiceResponse, text: str, language: str | None) -> None:
    if language:
        response.say(text, language=language)
    else:
        response.say(text)


def not_in_service() -> str:
    response = VoiceResponse()
    response.say(NOT_IN_SERVICE)
    response.hangup()
    return str(response)


def connect_stream(
    *,
    url: str,
    status_callback: str,
    parameters: Mapping[str, str],
    disclosure: str | None,
    language: str | None,
) -> str:
    """The recording disclosure, then a bidirectional stream; Twilio runs no later verb until it closes."""
    response = VoiceResponse()
    if disclosure:
        _say(response, disclosure, language)
    connect = response.connect()
    stream = connect.stream(url=url, status_callback=status_callback, status_callback_method="POST")
    for name, value in parameters.items():
        stream.parameter(name=name, value=value)
    return str(response)


def dial(
    number: str, *, timeout: int, action: str, say_first: str | None = None, language: str | None = None
) -> str:
    """Forward to a person; `action` is asked what to do once the dial ends (see `after_dial`)."""
    response = VoiceResponse()
    if say_first:
        _say(response, say_first, language)
    response.dial(timeout=timeout, action=action, method="POST").number(number)
    return str(response)


def after_dial(dial_status: str | None) -> str:
    """Answer to the `<Dial action>` request: a fallback when nobody picked up, else just hang up."""
    response = VoiceResponse()
    if dial_status in UNANSWERED_DIAL_STATUSES:
        response.say(NOBODY_ANSWERED)
    response.hangup()
    return str(response)


def say_and_hang_up(text: str, *, language: str | None = None) -> str:
    response = VoiceResponse()
    _say(response, text, language)
    response.hangup()
    return str(response)


def empty() -> str:
    return str(VoiceResponse())
