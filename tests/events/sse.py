"""A small SSE reader over an httpx streaming response, for the stream tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson


@dataclass
class Message:
    id: str | None = None
    event: str | None = None
    data: str = ""
    comment: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        return orjson.loads(self.data)


@dataclass
class SSEReader:
    response: httpx.Response
    _lines: AsyncIterator[str] = field(init=False)

    def __post_init__(self) -> None:
        self._lines = self.response.aiter_lines()

    async def next(self, timeout: float = 5.0, *, comments: bool = False) -> Message:
        async with asyncio.timeout(timeout):
            while True:
                message = await self._one()
                if message.comment is None or comments:
                    return message

    async def take(self, count: int, timeout: float = 5.0) -> list[Message]:
        return [await self.next(timeout) for _ in range(count)]

    async def until(self, event: str, timeout: float = 5.0) -> list[Message]:
        """Messages up to and including the first of type `event`."""
        seen = []
        async with asyncio.timeout(timeout):
            while True:
                message = await self.next(timeout)
                seen.append(message)
                if message.event == event:
                    return seen

    async def _one(self) -> Message:
        message = Message()
        data: list[str] = []
        started = False
        async for line in self._lines:
            if line == "":
                if started:
                    message.data = "\n".join(data)
                    return message
                continue
            started = True
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "":
                message.comment = value
            elif name == "id":
                message.id = value
            elif name == "event":
                message.event = value
            elif name == "data":
                data.append(value)
            elif name == "retry":
                message.retry = int(value)
        raise EOFError("the stream ended")
