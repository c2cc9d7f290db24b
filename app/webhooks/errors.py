"""Webhook errors: AppError subclasses (see app/errors.py for the tree)."""

from __future__ import annotations

from app.errors import Conflict, NotFound, ValidationFailed


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    message = "no such webhook endpoint"


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    message = "no such webhook delivery"


class WebhookUrlInvalid(ValidationFailed):
    code = "webhook_url_invalid"
    message = "the webhook URL is invalid"


class WebhookTargetForbidden(ValidationFailed):
    code = "webhook_target_forbidden"
    message = "the webhook URL resolves to an address that may not be called"


class WebhookDisabled(Conflict):
    code = "webhook_disabled"
    message = "the webhook endpoint is disabled; enable it first"
