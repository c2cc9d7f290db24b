"""Upstream (OpenAI) failures, each saying whether a retry may help, mapped to 502/503/504 at the edge."""

from __future__ import annotations

from app.errors import ServiceUnavailable, UpstreamError


class OpenAINotConfigured(ServiceUnavailable):
    code = "openai_not_configured"
    message = "OPENAI_API_KEY is not set"


class UpstreamAuthFailed(UpstreamError):
    code = "upstream_auth_failed"
    message = "OpenAI rejected the service's credentials"


class UpstreamRejected(UpstreamError):
    code = "upstream_rejected"
    message = "OpenAI rejected the request"


class UpstreamRateLimited(UpstreamError):
    status_code = 503
    code = "upstream_rate_limited"
    message = "OpenAI is rate limiting this service; retry later"
    retryable = True


class UpstreamUnavailable(UpstreamError):
    code = "upstream_unavailable"
    message = "OpenAI could not be reached or failed"
    retryable = True


class UpstreamTimeout(UpstreamError):
    status_code = 504
    code = "upstream_timeout"
    message = "OpenAI did not answer in time"
    retryable = True


class SidebandCallNotFound(UpstreamError):
    """A sideband attach answered 404 `call_id_not_found`: the WebRTC call has ended (or never existed)."""

    status_code = 502
    code = "openai_call_not_found"
    message = "OpenAI no longer knows this call"
