"""`python -m app.worker`: the webhook dispatcher and the call analyzer, as a process of their own.

Several workers are safe on PostgreSQL (SKIP LOCKED claims with leases). On the embedded SQLite
default the app's own lifespan already runs the one dispatcher it can have.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from app.analysis.jobs import Analyzer
from app.logging import configure_logging
from app.settings import Settings, get_settings
from app.webhooks.dispatcher import Dispatcher
from database.engine import create_engine, create_session_factory

log = logging.getLogger("callintake.worker")


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if not settings.uses_postgres:
        log.warning("worker_on_sqlite", extra={"hint": "run one dispatcher only; the app runs one already"})
    engine = create_engine(
        settings.database_url,
        pool_size=4,
        connect_timeout=settings.db_connect_timeout_seconds,
        command_timeout=settings.db_command_timeout_seconds,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    try:
        sessions = create_session_factory(engine)
        dispatcher = Dispatcher(sessions, settings.webhooks)
        log.info("worker_started", extra={"concurrency": settings.webhooks.concurrency})
        await asyncio.gather(dispatcher.run(stop), Analyzer(sessions, settings).run(stop))
    finally:
        await engine.dispose()
        log.info("worker_stopped")


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    asyncio.run(run_worker(settings))


if __name__ == "__main__":
    main()
