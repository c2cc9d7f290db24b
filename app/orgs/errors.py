"""Errors of the orgs domain: tenants, keys, numbers and config."""

from __future__ import annotations

from app.errors import AppError, Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized


class OrgNotFound(NotFound):
    code = "org_not_found"
    message = "organization not found"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    message = "API key not found"


class PhoneNumberNotFound(NotFound):
    code = "phone_number_not_found"
    message = "phone number not found"


class SlugTaken(Conflict):
    code = "slug_taken"
    message = "an organization with this slug already exists"


class PhoneNumberTaken(Conflict):
    code = "phone_number_taken"
    message = "this phone number is already assigned"


class ConfigVersionConflict(AppError):
    status_code = 412
    code = "config_version_conflict"
    message = "the config changed since the version in If-Match"


class InvalidIfMatch(AppError):
    status_code = 400
    code = "invalid_if_match"
    message = 'If-Match must be an ETag such as "3" or *'


class InvalidConfig(AppError):
    status_code = 422
    code = "invalid_config"
    message = "the organization config is invalid"


class AdminNotConfigured(ServiceUnavailable):
    code = "admin_not_configured"
    message = "platform administration is disabled: PLATFORM_ADMIN_KEY is not set"


class MissingCredentials(Unauthorized):
    code = "missing_credentials"
    message = "send Authorization: Bearer <key>"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = "the key is unknown, malformed or revoked"


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    message = "the API key lacks the scope this route needs"
