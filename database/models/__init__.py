"""Every table's model, imported here so `Base.metadata` knows them all (Alembic, tests)."""

from database.models.api_key import ApiKey
from database.models.call import Call
from database.models.call_event import CallEvent
from database.models.call_intake import CallIntake
from database.models.call_transcript import CallTranscript
from database.models.config_audit import ConfigAudit
from database.models.organization import Organization
from database.models.phone_number import PhoneNumber

__all__ = [
    "ApiKey",
    "Call",
    "CallEvent",
    "CallIntake",
    "CallTranscript",
    "ConfigAudit",
    "Organization",
    "PhoneNumber",
]
