"""Every table's model, imported here so `Base.metadata` knows them all (Alembic, tests)."""

from database.models.api_key import ApiKey
from database.models.call import Call
from database.models.call_analysis import CallAnalysis
from database.models.call_event import CallEvent
from database.models.call_intake import CallIntake
from database.models.call_overflow import CallOverflow
from database.models.call_quarantine import CallQuarantine
from database.models.call_transcript import CallTranscript
from database.models.config_audit import ConfigAudit
from database.models.organization import Organization
from database.models.outbox_event import OutboxEvent
from database.models.phone_number import PhoneNumber
from database.models.privacy_audit import PrivacyAudit
from database.models.webhook_attempt import WebhookAttempt
from database.models.webhook_delivery import WebhookDelivery
from database.models.webhook_endpoint import WebhookEndpoint

__all__ = [
    "ApiKey",
    "Call",
    "CallAnalysis",
    "CallEvent",
    "CallIntake",
    "CallOverflow",
    "CallQuarantine",
    "CallTranscript",
    "ConfigAudit",
    "Organization",
    "OutboxEvent",
    "PhoneNumber",
    "PrivacyAudit",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
