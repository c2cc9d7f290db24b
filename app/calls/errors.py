"""Errors of the call lifecycle."""

from __future__ import annotations

from app.errors import AppError, Conflict, NotFound, ServiceUnavailable


class CallNotFound(NotFound):
    code = "call_not_found"
    message = "call not found"


class CallAlreadyEnded(Conflict):
    code = "call_already_ended"
    message = "the call has already ended"


class CallEnding(CallAlreadyEnded):
    """The call is being finalized: a write now would miss the stored record, so it is refused.

    A subclass of CallAlreadyEnded, so every writer that handles an ended call handles this too.
    """

    code = "call_ending"
    message = "the call is ending; it takes no more writes"


class CallAlreadyExists(Conflict):
    code = "call_already_exists"
    message = "a call with this id already exists"


class EndDeferred(ServiceUnavailable):
    """The end is recorded but the call is not stored yet; the sweeper (or the other finalizer) stores it.

    A request answers 503; a background end path (a status callback, a bridge) may ignore it.
    """

    code = "end_deferred"
    message = "the call will be saved shortly"


class PersistenceUnavailable(EndDeferred):
    code = "persistence_unavailable"
    message = "the call could not be saved right now; its live state is kept and will be saved later"


class FinalizeInProgress(EndDeferred):
    code = "finalize_in_progress"
    message = "the call is being saved by another request; retry shortly"


class FinalizeFailed(AppError):
    """A bug stopped the call from being stored (not an outage); it is retried, then dead-lettered."""

    status_code = 500
    code = "internal_error"
    message = "internal error"

    def __init__(self, *, attempts: int) -> None:
        super().__init__()
        self.attempts = attempts
