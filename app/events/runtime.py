"""What issue 10 runs inside the app: the webhook dispatcher task (and, when enabled, the live event hub)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from app.analysis.jobs import Analyzer, end_hook
from app.calls.end import register_end_hook
from app.calls.live_store import RedisLiveStore
from app.events import live, outbox
from app.events.stream import EventHub, EventLog, MemoryEventLog, RedisEventLog
from app.state import AppState
from app.webhooks.dispatcher import Dispatcher, backlog

log = logging.getLogger("callintake.events")

EXTRAS_KEY = "after_call"


class AfterCallRuntime:
    def __init__(self, state: AppState) -> None:
        self._state = state
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._analyzer: asyncio.Task[None] | None = None
        self._remove_hook: Callable[[], None] | None = None
        self.dispatcher: Dispatcher | None = None
        self.hub: EventHub | None = None

    async def start(self) -> None:
        settings = self._state.settings
        events = settings.events
        log_: EventLog
        if settings.redis_url:
            log_ = RedisEventLog.from_url(
                settings.redis_url,
                call_maxlen=events.call_stream_maxlen,
                org_maxlen=events.org_stream_maxlen,
                ttl_seconds=24 * 3600,
                # The same Redis: a line's events can share its transcript append's round trip.
                batcher=store.batcher
                if isinstance(store := self._state.live_store, RedisLiveStore)
                else None,
            )
        else:
            log_ = MemoryEventLog(call_maxlen=events.call_stream_maxlen, org_maxlen=events.org_stream_maxlen)
        self.hub = EventHub(
            log_, queue_size=events.subscriber_queue_size, heartbeat_seconds=events.heartbeat_seconds
        )
        live.bind(self._state.live_store, live.LiveBus(log_, self.hub, self._state.session_factory))
        # `call.ended`, the live events' rows again (a failed live write is not lost) and the analysis job
        # are queued in every finalize transaction (end_call's hooks).
        removers = [
            register_end_hook(outbox.call_ended_hook, state=self._state),
            register_end_hook(live.rewrite_live_events, state=self._state),
            register_end_hook(end_hook(settings), state=self._state),
        ]

        def remove_hooks() -> None:
            for remove in removers:
                remove()

        self._remove_hook = remove_hooks
        if settings.webhooks.dispatcher_enabled:
            self.dispatcher = Dispatcher(self._state.session_factory, settings.webhooks)
            self._task = asyncio.create_task(self.dispatcher.run(self._stop), name="webhook-dispatcher")
            analyzer = Analyzer(self._state.session_factory, settings)
            self._analyzer = asyncio.create_task(analyzer.run(self._stop), name="call-analyzer")

    async def aclose(self) -> None:
        self._stop.set()
        if self._remove_hook is not None:
            self._remove_hook()
        for task in (self._task, self._analyzer):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=5)
        live.unbind(self._state.live_store)
        if self.hub is not None:
            await self.hub.aclose()


async def webhook_backlog(state: AppState) -> dict[str, Any] | None:
    """Deliveries waiting and events not yet fanned out, for /readyz; None if it cannot be read now."""
    try:
        async with asyncio.timeout(2.0), state.session_factory() as session:
            return await backlog(session)
    except Exception as exc:
        log.warning("webhook_backlog_unavailable", extra={"error_type": type(exc).__name__})
        return None
