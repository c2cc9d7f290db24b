"""What the call agent needs from whatever carries a call's audio, and the end of a channel's call.

A channel carries; it never decides. `telephony/` is the Twilio channel (media pumps, marks, playback),
`realtime/sideband.py` the browser one (no audio through us). The agent (calls/agent.py) decides.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.calls import errors as call_errors
from app.calls.end import EndSource, end_call
from app.calls.live_store import LiveStore
from app.calls.service import OrgContext, utcnow
from app.classifier.second_opinion import SecondOpinion

if TYPE_CHECKING:
    from app.state import AppState

log = logging.getLogger("callintake.calls")


class CallEnded(Exception):
    """Raised inside a call's task group to end the call; the reason is recorded first."""


class TransferFailed(Exception):
    """The channel could not hand the call to a person."""


def reraise_swallowed_cancel() -> None:
    # Python 3.11's asyncio.wait_for (used inside redis-py) returns a result and drops a cancellation
    # that lands as its inner call completes; the task group would then wait on this task forever.
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()


def call_event(type_: str, **data: Any) -> dict[str, Any]:
    return {"type": type_, "at": utcnow().isoformat(), "data": data}


class Channel(Protocol):
    """One live call's transport, as the agent sees it."""

    @property
    def closing(self) -> bool:
        """The call is ending: nothing more goes upstream."""

    @property
    def responding(self) -> bool:
        """A model response is in progress."""

    @property
    def can_transfer(self) -> bool:
        """Whether `transfer` can hand the call to a person live."""

    async def send_upstream(self, text: str) -> None:
        """Send one serialised Realtime client event."""

    async def cut_playback(self) -> None:
        """Stop what the caller hears now."""

    async def wait_heard(self, seconds: float) -> bool:
        """Until the caller has heard everything sent so far; False if that took longer than `seconds`."""

    async def transfer(self) -> bool:
        """Hand the call to a person; True if the call was still active. Raises TransferFailed."""

    async def hang_up(self, reason: str) -> None:
        """End the call at the vendor (best effort), `reason` recorded first (the first reason recorded
        wins): the ends the hang-up itself causes (a stop, a socket closing) never replace it."""

    def close(self, reason: str, status: str = "completed") -> NoReturn:
        """End the call from inside its task group (the first reason recorded wins)."""


@dataclass(frozen=True, slots=True)
class CallContext:
    """What the agent writes through: the same calls.service path as the REST routes."""

    session_factory: async_sessionmaker[AsyncSession]
    live_store: LiveStore
    org: OrgContext
    call_id: str
    second_opinion: SecondOpinion | None = None


async def end_channel_call(
    state: AppState, org: OrgContext, call_id: str, *, reason: str, status: str, source: EndSource = "bridge"
) -> None:
    """End a channel's call once through `calls.end.end_call`: the one call site of every channel end
    (bridge, stream set-up, sideband). A deferred or failed end is already recorded for the sweeper."""
    try:
        await end_call(state, call_id=call_id, org_id=org.org_id, source=source, reason=reason, status=status)
    except (call_errors.EndDeferred, call_errors.FinalizeFailed) as exc:
        log.info("channel_end_deferred", extra={"call": call_id, "code": exc.code})
    except call_errors.CallNotFound:
        log.warning("finalize_call_missing", extra={"call": call_id})
