"""The in-process live store: the embedded default when no REDIS_URL is set (one process, lost on restart)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.calls.errors import CallAlreadyEnded, CallEnding
from app.calls.live_call import LiveCall
from app.calls.live_store import (
    CLOSING,
    FINALIZE_FAILURES,
    FINALIZE_RETRY_AT,
    META_FIELDS,
    AppendedTurns,
    LiveSnapshot,
    LiveStore,
)


@dataclass(slots=True)
class _MemCall:
    meta: dict[str, str]
    turns: dict[int, dict[str, Any]] = field(default_factory=dict)
    intake: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: float = 0.0
    last_activity: float = 0.0
    closing: bool = False


def _meta(call: _MemCall) -> dict[str, str]:
    # The Redis store keeps next_seq in the meta hash; here it follows from the turns.
    meta = {
        **call.meta,
        "next_seq": str(max(call.turns, default=-1) + 1),
        "last_activity": repr(call.last_activity),
    }
    if call.closing:
        meta[CLOSING] = "1"
    return meta


class MemoryLiveStore(LiveStore):
    """In-process live state for the embedded default (one process, nothing survives a restart).

    Each method reads and writes without awaiting in between, so on one event loop it is as atomic
    as the Redis store's scripts; `_writable` is their guard (gone, or closing).
    """

    def __init__(self) -> None:
        self._calls: dict[str, _MemCall] = {}
        self._locks: dict[str, tuple[str, float]] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._external: dict[str, tuple[str, float]] = {}
        self._cache: dict[str, tuple[str, float]] = {}
        self._generations: dict[str, int] = {}
        self._mutex = asyncio.Lock()

    async def ping(self) -> None:
        return None

    async def persistence(self) -> str:
        return "memory"

    def _writable(self, call_id: str) -> _MemCall | None:
        call = self._calls.get(call_id)
        if call is not None and call.closing:
            raise CallEnding()
        return call

    async def close(self) -> None:
        return None

    async def create_call(
        self, call_id: str, meta: dict[str, str], *, started: float, events: Sequence[dict[str, Any]] = ()
    ) -> bool:
        async with self._mutex:
            if call_id in self._calls:
                return False
            self._calls[call_id] = _MemCall(
                meta=dict(meta), started=started, last_activity=started, events=[dict(e) for e in events]
            )
            return True

    async def _read_meta(self, call_id: str, fields: Sequence[str] | None = None) -> dict[str, str] | None:
        call = self._calls.get(call_id)
        if call is None:
            return None
        meta = _meta(call)
        if fields is None:
            return meta
        # As the Redis store's HMGET: a call is only found by its org_id.
        found = {name: meta[name] for name in fields if name in meta}
        return found if found.get("org_id") else None

    async def _write_meta(self, call_id: str, fields: dict[str, str]) -> bool:
        unknown = set(fields) - META_FIELDS
        if unknown:
            raise ValueError(f"unknown live meta fields: {sorted(unknown)}")
        call = self._writable(call_id)
        if call is None:
            return False
        call.meta.update(fields)
        call.last_activity = time.time()
        return True

    async def touch(self, call_id: str) -> bool:
        call = self._calls.get(call_id)
        if call is None or call.closing:
            return False
        call.last_activity = time.time()
        return True

    async def append_turns(self, call_id: str, turns: list[dict[str, Any]]) -> list[int] | None:
        async with self._mutex:
            call = self._writable(call_id)
            if call is None:
                return None
            return self._append(call, turns)

    async def append_turns_checked(
        self, call_id: str, turns: list[dict[str, Any]], *, org_id: uuid.UUID, fields: Sequence[str]
    ) -> AppendedTurns | None:
        async with self._mutex:
            org = str(org_id)
            found = self._calls.get(call_id)
            if found is None or found.meta.get("org_id") != org:
                return None
            call = self._writable(call_id)
            assert call is not None
            full = _meta(found)
            meta = {"org_id": org, **{name: full[name] for name in fields if name in full}}
            accepted = self._append(call, turns)
        return AppendedTurns(call=LiveCall.from_meta(meta, partial=True), accepted=accepted)

    @staticmethod
    def _append(call: _MemCall, turns: list[dict[str, Any]]) -> list[int]:
        next_seq = max(call.turns, default=-1) + 1
        accepted: list[int] = []
        for turn in turns:
            seq = turn.get("seq")
            seq = next_seq if seq is None else int(seq)
            if seq in call.turns:
                continue
            call.turns[seq] = {**turn, "seq": seq}
            accepted.append(seq)
            next_seq = max(next_seq, seq + 1)
        call.last_activity = time.time()
        return accepted

    async def set_intake(self, call_id: str, intake: dict[str, Any]) -> bool:
        call = self._writable(call_id)
        if call is None:
            return False
        call.intake = dict(intake)
        return True

    async def add_event(self, call_id: str, event: dict[str, Any]) -> bool:
        call = self._writable(call_id)
        if call is None:
            return False
        call.events.append(dict(event))
        return True

    async def snapshot(self, call_id: str) -> LiveSnapshot | None:
        call = self._calls.get(call_id)
        if call is None:
            return None
        return LiveSnapshot(
            call_id=call_id,
            meta={
                **call.meta,
                "last_activity": repr(call.last_activity),
                **({CLOSING: "1"} if call.closing else {}),
            },
            turns=[dict(call.turns[seq]) for seq in sorted(call.turns)],
            intake=dict(call.intake) if call.intake is not None else None,
            events=[dict(e) for e in call.events],
        )

    async def claim_tool_call(
        self, call_id: str, tool_call_id: str, output: dict[str, Any]
    ) -> dict[str, Any] | None:
        call = self._writable(call_id)
        if call is None:
            raise CallAlreadyEnded()
        if tool_call_id in call.tools:
            return call.tools[tool_call_id]
        call.tools[tool_call_id] = output
        return None

    async def list_stale(self, *, idle_before: float, started_before: float, limit: int = 100) -> list[str]:
        stale = [
            call_id
            for call_id, call in self._calls.items()
            if call.last_activity <= idle_before or call.started <= started_before
        ]
        return stale[:limit]

    async def begin_close(self, call_id: str) -> bool:
        call = self._calls.get(call_id)
        if call is None:
            return False
        call.closing = True
        return True

    async def reopen(self, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is not None:
            call.closing = False

    async def record_finalize_failure(self, call_id: str) -> int:
        call = self._calls.get(call_id)
        if call is None:
            return 0
        count = int(call.meta.get(FINALIZE_FAILURES, "0")) + 1
        call.meta[FINALIZE_FAILURES] = str(count)
        return count

    async def defer_finalize(self, call_id: str, until: float) -> None:
        call = self._calls.get(call_id)
        if call is not None:
            call.meta[FINALIZE_RETRY_AT] = repr(until)

    async def delete_call(self, call_id: str) -> None:
        self._calls.pop(call_id, None)

    def _alive(self, table: dict[str, tuple[str, float]], key: str) -> str | None:
        entry = table.get(key)
        if entry is None:
            return None
        if entry[1] < time.monotonic():
            del table[key]
            return None
        return entry[0]

    async def acquire_lock(self, name: str, token: str, ttl_seconds: float) -> bool:
        if self._alive(self._locks, name) is not None:
            return False
        self._locks[name] = (token, time.monotonic() + ttl_seconds)
        return True

    async def release_lock(self, name: str, token: str) -> None:
        if self._alive(self._locks, name) == token:
            del self._locks[name]

    async def put_token(self, token: str, value: str, ttl_seconds: int) -> None:
        self._tokens[token] = (value, time.monotonic() + ttl_seconds)

    async def take_token(self, token: str) -> str | None:
        value = self._alive(self._tokens, token)
        self._tokens.pop(token, None)
        return value

    async def bind_external_id(self, kind: str, external_id: str, call_id: str, ttl_seconds: int) -> str:
        key = f"{kind}:{external_id}"
        holder = self._alive(self._external, key)
        if holder is not None:
            return holder
        self._external[key] = (call_id, time.monotonic() + ttl_seconds)
        return call_id

    async def lookup_external_id(self, kind: str, external_id: str) -> str | None:
        return self._alive(self._external, f"{kind}:{external_id}")

    async def cache_get(self, key: str) -> str | None:
        return self._alive(self._cache, key)

    async def cache_get_many(self, *keys: str) -> list[str | None]:
        return [self._alive(self._cache, key) for key in keys]

    async def cache_set(self, key: str, value: str, ttl_seconds: int) -> None:
        self._cache[key] = (value, time.monotonic() + ttl_seconds)

    async def cache_delete(self, *keys: str) -> None:
        for key in keys:
            self._cache.pop(key, None)

    # No await between the check and the write: atomic within the one event loop.
    async def cache_generations(self, *keys: str) -> list[str]:
        return [str(self._generations.get(key, 0)) for key in keys]

    async def cache_set_if_generation(
        self, key: str, value: str, ttl_seconds: int, *, generation: str
    ) -> bool:
        if str(self._generations.get(key, 0)) != generation:
            return False
        self._cache[key] = (value, time.monotonic() + ttl_seconds)
        return True

    async def cache_invalidate(self, *keys: str) -> None:
        for key in keys:
            self._generations[key] = self._generations.get(key, 0) + 1
            self._cache.pop(key, None)
