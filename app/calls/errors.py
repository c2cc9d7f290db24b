"""Errors of the call lifecycle."""

from __future__ import annotations

from app.errors import AppError, Conflict, NotFound, ServiceUnavailable


class CallNotFound(NotFound):
    code = "call_not_found"
    message = "call not found"


class CallAlreadyEnded(Conflict):
    code = "call_already_ended"
    message = "the call has already ended"


class CallAlreadyExists(Conflict):
    code = "call_already_exists"
    message = "a call with this id already exists"


class PersistenceUnavailable(ServiceUnavailable):
    code = "persistence_unavailable"
    message = "the call could not be saved right now; its live state is kept and will be saved later"


class FinalizeInProgress(AppError):
    status_code = 503
    code = "finalize_in_progress"
    message = "the call is being saved by another request; retry shortly"
