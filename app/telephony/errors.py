"""Errors of the Twilio edge: webhooks that are not Twilio's, and a service without Twilio credentials."""

from __future__ import annotations

from app.errors import Forbidden, ServiceUnavailable, ValidationFailed


class TwilioSignatureInvalid(Forbidden):
    code = "twilio_signature_invalid"
    message = "the request is not signed by Twilio"


class TwilioNotConfigured(ServiceUnavailable):
    code = "twilio_not_configured"
    message = "TWILIO_AUTH_TOKEN is not set"


class TwilioParamsInvalid(ValidationFailed):
    code = "twilio_params_invalid"
    message = "the Twilio request lacks a required parameter"
