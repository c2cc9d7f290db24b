"""The one way a call ends: `end_call`, used by every end path, with one error policy and one lock time-out.

End paths and their `source`: REST `POST /api/call/end` ("api"), the sweeper ("sweeper"), a Twilio
status callback ("twilio_status"), an after-hours forward ("forward"), a phone bridge ("bridge") and a
browser sideband ("sideband").

Post-commit work is queued inside the finalize transaction, never after it, through end hooks:

    async def write_outbox(session: AsyncSession, ended: EndedCall) -> None:
        session.add(OutboxEvent(...))          # same transaction as the calls row

    register_end_hook(write_outbox, state=state)   # at app start-up: this app's end_call only

A hook runs only when the call is first inserted (never on a repeated end), with the session of the
transaction that inserts it, and must not commit. If a hook raises, nothing of the call is stored: an
outage is retried like any other, any other error counts as a failed finalize (retried, then
dead-lettered). Hooks do not run for a dead-lettered call (status `finalize_failed`).

Error policy (the same for every path):
- `CallNotFound` (404): no such call for this org (only when `org_id` is given).
- `EndDeferred` (503): `PersistenceUnavailable` (PostgreSQL unreachable) or `FinalizeInProgress`
  (another finalizer holds the call past the lock time-out). The end is recorded in the live call
  (status `ending`, its reason and final status), so the sweeper completes it: a request answers 503,
  a background path may log and move on.
- `FinalizeFailed` (500): a bug; counted on the live call, its end recorded like above, retried by
  the sweeper with backoff and dead-lettered after `CALL_FINALIZE_MAX_ATTEMPTS` failures.
- Redis errors propagate (503 `live_store_unavailable` at the edge).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Literal

from app.calls import errors
from app.calls.finalize import DEAD_LETTER_STATUS, EndedCall, EndHook, finalize_call
from app.calls.schemas import CallDetail
from app.calls.slots import release_slot
from app.state import AppState

__all__ = ["DEAD_LETTER_STATUS", "EndHook", "EndSource", "EndedCall", "end_call", "register_end_hook"]

log = logging.getLogger("callintake.calls")

EndSource = Literal["api", "sweeper", "twilio_status", "forward", "bridge", "sideband"]

_HOOKS: list[EndHook] = []
_STATE_KEY = "calls.end_hooks"


def register_end_hook(hook: EndHook, *, state: AppState | None = None) -> Callable[[], None]:
    """Run `hook(session, ended)` in every finalize transaction from now on; returns its remover.

    With `state`, for that app only (what an app's start-up should do: two apps in one process, as in
    tests, then do not run each other's hooks); without, for every app in the process.
    """
    hooks: list[EndHook] = _HOOKS if state is None else state.extras.setdefault(_STATE_KEY, [])
    hooks.append(hook)

    def remove() -> None:
        if hook in hooks:
            hooks.remove(hook)

    return remove


def _hooks(state: AppState) -> tuple[EndHook, ...]:
    return (*_HOOKS, *state.extras.get(_STATE_KEY, ()))


async def end_call(
    state: AppState,
    *,
    call_id: uuid.UUID | str,
    org_id: uuid.UUID | None,
    source: EndSource,
    reason: str | None = None,
    status: str | None = None,
) -> CallDetail | None:
    """End the call and store it once; returns the stored call (a repeated end returns the same one).

    `org_id` is the tenant asking (REST, a channel that knows its org) or None (the sweeper, a
    webhook): None ends the call under its own org and returns None when nothing is live and nothing
    was asked for. `reason` and `status` (completed, abandoned, failed; default completed) are kept
    from an earlier recorded end when not given. Errors: see the module docstring.
    """
    key = uuid.UUID(str(call_id))
    settings = state.settings.calls
    try:
        live = await state.live_store.get_call(str(key), ("org_id",))
    except ValueError:  # an unreadable org: finalize dead-letters the call, no slot to find
        live = None
    try:
        detail = await finalize_call(
            state.session_factory,
            state.live_store,
            call_id=key,
            org_id=org_id,
            end_reason=reason,
            status=status,
            lock_seconds=settings.finalize_lock_seconds,
            hooks=_hooks(state),
            max_attempts=settings.finalize_max_attempts,
            source=source,
        )
    except (errors.EndDeferred, errors.FinalizeFailed):
        # Whoever stores the call later (the sweeper) stores it with this end's reason and status.
        await _record_end(state, str(key), reason=reason, status=status)
        log.warning("call_end_deferred", extra={"call": str(key), "source": source})
        raise
    if live is not None:
        await release_slot(state, org_id=live.org_id, call_id=key)  # idempotent, never raises
    return detail


async def _record_end(state: AppState, call_id: str, *, reason: str | None, status: str | None) -> None:
    """Leave the end where the sweeper finds it; a call closing or gone needs nothing more."""
    fields: dict[str, object] = {"status": "ending"}
    if reason:
        fields["end_reason"] = reason
    if status:
        fields["end_status"] = status
    try:
        await state.live_store.update_call(call_id, **fields)
    except errors.CallEnding:
        pass  # another finalizer holds it and will store it
    except Exception as exc:  # Redis down too: the sweeper ends it as idle
        log.warning("call_end_not_recorded", extra={"call": call_id, "error_type": type(exc).__name__})
