"""Call owners in one process: the embedded default when no REDIS_URL is set.

Every call runs in this process, so a command is a queue put and an owner can only vanish with the
process (and every call with it): there are no orphans to sweep.
"""

from __future__ import annotations

import asyncio
import time

from app.calls.owner import CallOwners, Command


class MemoryCallOwners(CallOwners):
    def __init__(self, *, lease_seconds: float) -> None:
        super().__init__(lease_seconds=lease_seconds)
        self._leases: dict[str, tuple[str, float]] = {}
        self._inboxes: dict[str, asyncio.Queue[str]] = {}

    def _holder(self, call_id: str) -> str | None:
        entry = self._leases.get(call_id)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            del self._leases[call_id]
            return None
        return entry[0]

    async def _acquire(self, call_id: str, token: str) -> bool:
        if self._holder(call_id) is not None:
            return False
        self._leases[call_id] = (token, time.monotonic() + self.lease_seconds)
        return True

    async def _renew(self, call_id: str, token: str) -> bool:
        if self._holder(call_id) != token:
            return False
        self._leases[call_id] = (token, time.monotonic() + self.lease_seconds)
        return True

    async def _release(self, call_id: str, token: str) -> None:
        if self._holder(call_id) == token:
            del self._leases[call_id]

    async def _subscribe(self, call_id: str) -> asyncio.Queue[str]:
        inbox: asyncio.Queue[str] = asyncio.Queue()
        self._inboxes[call_id] = inbox
        return inbox

    async def _unsubscribe(self, call_id: str, inbox: asyncio.Queue[str]) -> None:
        if self._inboxes.get(call_id) is inbox:
            del self._inboxes[call_id]

    async def send(self, call_id: str, command: Command) -> bool:
        inbox = self._inboxes.get(call_id)
        if self._holder(call_id) is None or inbox is None:
            return False
        # Serialised like the Redis path, so both dispatch the same way.
        inbox.put_nowait(command.model_dump_json())
        return True

    async def owner_alive(self, call_id: str) -> bool:
        return self._holder(call_id) is not None

    async def orphans(self, limit: int = 100) -> list[str]:
        return []

    async def forget(self, call_id: str) -> None:
        return None
