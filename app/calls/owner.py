"""Who runs each live call, and how a command reaches it from any worker.

A live call has one owner: the process whose channel (phone bridge or sideband) runs it, holding a
lease `call:{<id>}:owner` that it renews every third of `CALL_OWNER_LEASE_SECONDS`. The lease
expires by the Redis server's own clock (`SET PX` / `PEXPIRE`), so app clocks never matter.

Commands (`end`, `transfer`, `hangup`, `supersede`) go over Redis pub/sub, channel `call:{<id>}:cmd`.
One script checks the lease and publishes, and PUBLISH counts the receivers, so `send` knows whether
the owner got the command or nobody did (then the caller does the work itself). Only a lease holder
subscribes, one subscriber connection per process for all its calls (a stream per call would need a
blocking read, so a connection, per call). The gap between taking the lease and subscribing, or a
subscriber reconnecting, is covered by `send` retrying while the lease is held and nobody listens.
(On Redis Cluster PUBLISH counts one node's subscribers only: move to SPUBLISH/SSUBSCRIBE there.)

An owner that dies leaves its call in the `calls:owners` index (score: lease expiry in server ms);
`orphans()` lists the calls whose lease ran out unreleased, for the sweeper to finalize.
`MemoryCallOwners` (owner_memory.py) is the embedded default: one process, same interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from redis import exceptions as redis_errors

from app.errors import Conflict
from app.settings import Settings

if TYPE_CHECKING:
    from app.state import AppState

log = logging.getLogger("callintake.owner")

EXTRAS_KEY = "call_owners"
LostReason = Literal["taken", "unavailable"]


class CallOwned(Conflict):
    code = "call_owned_elsewhere"
    message = "another live worker runs this call"


# -- commands ------------------------------------------------------------------------------------


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, max_length=64)


class EndCommand(_Command):
    """End the call and finalize it with this reason and status (a REST end, a Twilio status)."""

    kind: Literal["end"] = "end"
    reason: str | None = Field(None, max_length=64)
    status: Literal["completed", "abandoned", "failed"] = "completed"


class TransferCommand(_Command):
    """Hand the call to a person (`POST /api/calls/{id}/transfer`): the owner's agent says the hand-off line
    and transfers a phone call, or promises a browser caller a call back (safety/policy.py)."""

    kind: Literal["transfer"] = "transfer"


class HangupCommand(_Command):
    """Hang up the caller's line at the vendor, then end the call."""

    kind: Literal["hangup"] = "hangup"
    reason: str = Field("hangup", max_length=64)


class SupersedeCommand(_Command):
    """Stop running the call without ending it: a newer channel (a resumed WebRTC call) takes it over."""

    kind: Literal["supersede"] = "supersede"


Command = Annotated[
    EndCommand | TransferCommand | HangupCommand | SupersedeCommand, Field(discriminator="kind")
]
CommandHandler = Callable[[Command], Awaitable[None]]
_COMMAND: TypeAdapter[Command] = TypeAdapter(Command)
_OUTAGES = (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError, TimeoutError)


def _raise_swallowed_cancel() -> None:
    # Python 3.11's asyncio.wait_for (inside redis-py) can return a result and drop a cancellation
    # that lands as its inner call completes; a loop would then never stop.
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()


# -- the lease -----------------------------------------------------------------------------------


@dataclass(eq=False)
class OwnerLease:
    """The caller's hold on one call. `lost` is set (once) if renewal failed or someone took it."""

    call_id: str
    token: str
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    lost_reason: LostReason | None = None

    @property
    def held(self) -> bool:
        return not self.lost.is_set()


def new_token() -> str:
    # Names the holder in logs and in Redis (host and pid, never call data).
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class CallOwners(ABC):
    """Owner leases and the command path. Subclasses supply the storage primitives below."""

    def __init__(self, *, lease_seconds: float) -> None:
        self.lease_seconds = lease_seconds

    # primitives ---------------------------------------------------------------------------------

    @abstractmethod
    async def _acquire(self, call_id: str, token: str) -> bool: ...

    @abstractmethod
    async def _renew(self, call_id: str, token: str) -> bool:
        """Extend the lease; False if it is no longer ours. Raises on an outage."""

    @abstractmethod
    async def _release(self, call_id: str, token: str) -> None: ...

    @abstractmethod
    async def _subscribe(self, call_id: str) -> asyncio.Queue[str]:
        """Start receiving the call's commands (raw JSON) before returning."""

    @abstractmethod
    async def _unsubscribe(self, call_id: str, inbox: asyncio.Queue[str]) -> None:
        """Stop receiving into `inbox` (only that one: a newer owner in this process keeps its own)."""

    @abstractmethod
    async def send(self, call_id: str, command: Command) -> bool:
        """Deliver to the call's owner; True if it received it, False if no owner did (act yourself)."""

    @abstractmethod
    async def owner_alive(self, call_id: str) -> bool:
        """Whether a live lease holds the call (the sweeper leaves such a call alone)."""

    @abstractmethod
    async def orphans(self, limit: int = 100) -> list[str]:
        """Calls whose owner's lease expired without a release: the owner died mid-call."""

    @abstractmethod
    async def forget(self, call_id: str) -> None:
        """Drop a call from the orphan index once it has been finalized."""

    async def aclose(self) -> None:
        return None

    # the owner's side ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def own(
        self,
        call_id: str,
        *,
        on_command: CommandHandler,
        on_lost: Callable[[LostReason], None] | None = None,
        wait_seconds: float = 0.0,
    ) -> AsyncIterator[OwnerLease]:
        """Hold the call's lease for the block; run `on_command` for each command, one at a time.

        Raises CallOwned if another live owner still holds it after `wait_seconds` (a takeover, such
        as a resume, sends the old owner a SupersedeCommand and then waits for it to let go).
        Finalize inside the block: leaving it releases the lease, which is what a worker waiting in
        `wait_released` takes as "finalized". `on_command` should ask the channel to act and return
        (the block's exit cancels it).
        """
        lease = OwnerLease(call_id, new_token())
        deadline = time.monotonic() + wait_seconds
        while not await self._acquire(call_id, lease.token):
            if time.monotonic() >= deadline:
                log.info("owner_refused", extra={"call": call_id})
                raise CallOwned()
            await asyncio.sleep(0.05)
        tasks: list[asyncio.Task[None]] = []
        inbox: asyncio.Queue[str] | None = None
        try:
            inbox = await self._subscribe(call_id)
            tasks.append(
                asyncio.create_task(self._dispatch(lease, inbox, on_command), name=f"owner-cmd-{call_id}")
            )
            tasks.append(
                asyncio.create_task(self._keep(lease, inbox, on_lost), name=f"owner-lease-{call_id}")
            )
            log.info("owner_acquired", extra={"call": call_id})
            yield lease
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._let_go(lease, inbox)

    async def _let_go(self, lease: OwnerLease, inbox: asyncio.Queue[str] | None) -> None:
        # Deaf first, then free: once the lease is free a new owner may subscribe, and nothing of
        # ours may linger on the channel. A command sent in between is retried until the release.
        if inbox is not None:
            with contextlib.suppress(*_OUTAGES):
                await self._unsubscribe(lease.call_id, inbox)
        if lease.held:
            try:
                await self._release(lease.call_id, lease.token)
            except _OUTAGES as exc:
                # The lease runs out by itself; the sweeper then finds an already finalized call.
                log.warning(
                    "owner_release_failed", extra={"call": lease.call_id, "error_type": type(exc).__name__}
                )
            else:
                log.info("owner_released", extra={"call": lease.call_id})

    async def _keep(
        self, lease: OwnerLease, inbox: asyncio.Queue[str], on_lost: Callable[[LostReason], None] | None
    ) -> None:
        interval = self.lease_seconds / 3
        # The lease runs from when Redis applied the last renewal, which is after we sent it.
        secured_at = time.monotonic()
        reason: LostReason
        while True:
            await asyncio.sleep(interval)
            sent_at = time.monotonic()
            try:
                async with asyncio.timeout(interval):
                    still_ours = await self._renew(lease.call_id, lease.token)
            except _OUTAGES as exc:
                _raise_swallowed_cancel()
                if time.monotonic() - secured_at < self.lease_seconds:
                    log.warning(
                        "owner_renew_failed", extra={"call": lease.call_id, "error_type": type(exc).__name__}
                    )
                    continue
                reason = "unavailable"
                break
            _raise_swallowed_cancel()
            if not still_ours:
                reason = "taken"
                break
            secured_at = sent_at
        lease.lost_reason = reason
        lease.lost.set()
        log.error("owner_lost", extra={"call": lease.call_id, "reason": reason})
        if on_lost is not None:
            try:
                on_lost(reason)
            except Exception as exc:  # the owner's callback failing must not hide the loss
                log.error(
                    "owner_lost_callback_failed",
                    extra={"call": lease.call_id, "error_type": type(exc).__name__},
                )
        # A lost lease stops taking commands: they now belong to whoever holds the call next.
        with contextlib.suppress(*_OUTAGES):
            await self._unsubscribe(lease.call_id, inbox)

    async def _dispatch(
        self, lease: OwnerLease, inbox: asyncio.Queue[str], on_command: CommandHandler
    ) -> None:
        while True:
            raw = await inbox.get()
            if not lease.held:
                continue
            try:
                command = _COMMAND.validate_json(raw)
            except ValidationError:
                log.warning("owner_command_unknown", extra={"call": lease.call_id})
                continue
            log.info("owner_command", extra={"call": lease.call_id, "kind": command.kind})
            try:
                await on_command(command)
            except Exception as exc:  # one bad command must not stop the ones after it
                log.error(
                    "owner_command_failed", extra={"call": lease.call_id, "error_type": type(exc).__name__}
                )

    # everyone else's side -----------------------------------------------------------------------

    async def wait_released(self, call_id: str, seconds: float, *, poll_seconds: float = 0.05) -> bool:
        """Until no owner holds the call (its owner finalized and let go); False on timeout."""
        deadline = time.monotonic() + seconds
        while await self.owner_alive(call_id):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(poll_seconds)
        return True


# -- construction --------------------------------------------------------------------------------


def build_call_owners(settings: Settings) -> CallOwners:
    lease = settings.calls.owner_lease_seconds
    # Imported here: both implementations import this module.
    if settings.redis_url:
        from app.calls.owner_redis import RedisCallOwners

        return RedisCallOwners.from_url(settings.redis_url, lease_seconds=lease)
    from app.calls.owner_memory import MemoryCallOwners

    return MemoryCallOwners(lease_seconds=lease)


def call_owners(state: AppState) -> CallOwners:
    owners: CallOwners = state.extras[EXTRAS_KEY]
    return owners


async def ask_owner_to_end(
    state: AppState,
    *,
    call_id: str,
    org_id: uuid.UUID | None,
    reason: str | None,
    status: str | None = None,
) -> bool:
    """Have the call's owner, on whichever worker, end it; return once the owner has finalized it.

    True when an owner took the end and let go in time. False when no owner runs the call, or it did not
    let go within CALL_OWNER_END_WAIT_SECONDS: the caller then ends the call itself (end_call is
    idempotent, so a late owner's finalize finds it stored). `org_id` (None for a webhook that found
    the call by its Twilio sid) must own the call: another tenant's end never reaches the owner.
    """
    if org_id is not None:
        call = await state.live_store.get_call(call_id, ("org_id",))
        if call is None or call.org_id != org_id:
            return False
    owners = call_owners(state)
    # Validated here, so a status outside completed/abandoned/failed fails before anything is sent.
    command = EndCommand.model_validate({"reason": reason, "status": status or "completed"})
    if not await owners.send(call_id, command):
        return False
    if await owners.wait_released(call_id, state.settings.calls.owner_end_wait_seconds):
        return True
    log.warning("owner_end_timeout", extra={"call": call_id})
    return False
