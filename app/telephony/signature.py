"""X-Twilio-Signature checks against the configured public URL (never the Host header, which proxies rewrite).

Webhooks are signed over `PUBLIC_BASE_URL + path` and their form params; the media-stream upgrade over
the `wss://` form of the same URL with no params (Twilio signs the URL it connected to).
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

from app.telephony.errors import TwilioNotConfigured, TwilioSignatureInvalid

SIGNATURE_HEADER = "x-twilio-signature"


class TwilioSignatures:
    def __init__(self, auth_token: str | None, public_base_url: str) -> None:
        self._validator = RequestValidator(auth_token) if auth_token else None
        self.public_base_url = public_base_url.rstrip("/")
        scheme, sep, rest = self.public_base_url.partition("://")
        self.public_ws_base = ("wss" if scheme == "https" else "ws") + sep + rest

    @property
    def configured(self) -> bool:
        return self._validator is not None

    def http_url(self, path: str) -> str:
        return self.public_base_url + path

    def ws_url(self, path: str) -> str:
        return self.public_ws_base + path

    def valid(self, url: str, params: Mapping[str, str], signature: str | None) -> bool:
        if self._validator is None or not signature:
            return False
        return bool(self._validator.validate(url, dict(params), signature))

    def require(self, path: str, params: Mapping[str, str], signature: str | None) -> None:
        """Raise unless a webhook to `path` carries Twilio's signature over `params`."""
        if self._validator is None:
            raise TwilioNotConfigured()
        if not self.valid(self.http_url(path), params, signature):
            raise TwilioSignatureInvalid()
