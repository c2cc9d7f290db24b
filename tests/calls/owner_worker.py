"""Test helpers for call owners: a command handler that records, and a worker process that owns one
call and prints each command it gets (a test kills it with SIGKILL):

    python -m tests.calls.owner_worker REDIS_URL CALL_ID LEASE_SECONDS
"""

from __future__ import annotations

import asyncio
import sys

from app.calls.owner import Command
from app.calls.owner_redis import RedisCallOwners


class Recorder:
    """An owner's command handler that keeps what it got."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.arrived = asyncio.Event()

    async def __call__(self, command: Command) -> None:
        self.commands.append(command)
        self.arrived.set()

    async def next(self, seconds: float = 3.0) -> Command:
        async with asyncio.timeout(seconds):
            await self.arrived.wait()
        self.arrived.clear()
        return self.commands[-1]


async def main(url: str, call_id: str, lease_seconds: float) -> None:
    owners = RedisCallOwners.from_url(url, lease_seconds=lease_seconds)

    async def on_command(command: Command) -> None:
        print(f"command {command.kind} {command.id}", flush=True)

    async with owners.own(call_id, on_command=on_command):
        print("owned", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
