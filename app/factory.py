"""create_app(settings): lifespan (database, live store, vendor clients, sweeper), routers, error handlers."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.calls.live_memory import MemoryLiveStore
from app.calls.live_store import LiveStore, RedisLiveStore
from app.calls.router import router as calls_router
from app.calls.sweeper import run_sweeper
from app.errors import install_error_handlers
from app.health import router as health_router
from app.logging import configure_logging
from app.middleware import RequestLogMiddleware
from app.orgs.router import admin_router, config_router
from app.realtime.client import RealtimeClient
from app.realtime.router import router as realtime_router
from app.settings import Settings, get_settings
from app.state import AppState
from app.telephony.router import router as telephony_router
from app.telephony.runtime import EXTRAS_KEY as TELEPHONY_KEY
from app.telephony.runtime import TelephonyRuntime
from database.engine import create_engine, create_session_factory

log = logging.getLogger("callintake.app")


def build_live_store(settings: Settings) -> LiveStore:
    if settings.redis_url:
        return RedisLiveStore.from_url(settings.redis_url, ttl_seconds=settings.calls.live_ttl_seconds)
    return MemoryLiveStore()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        state = AppState(
            settings=settings,
            engine=engine,
            session_factory=create_session_factory(engine),
            live_store=build_live_store(settings),
        )
        app.state.callintake = state
        realtime_client = RealtimeClient(settings.openai)
        state.extras["realtime_client"] = realtime_client
        telephony = state.extras[TELEPHONY_KEY] = TelephonyRuntime(settings)
        await telephony.start()
        stop_sweeper = asyncio.Event()
        sweeper = (
            asyncio.create_task(run_sweeper(state, stop_sweeper), name="call-sweeper")
            if settings.calls.sweeper_enabled
            else None
        )
        if gc.get_freeze_count() == 0:
            # What exists after startup lives as long as the process: keeping it out of full collections
            # stops their pauses (tens of ms) from stalling live call audio. Once per process.
            gc.collect()
            gc.freeze()
        log.info(
            "app_started",
            extra={
                "database": "postgresql" if settings.uses_postgres else "sqlite",
                "live_store": "redis" if settings.redis_url else "memory",
            },
        )
        try:
            yield
        finally:
            stop_sweeper.set()
            if sweeper is not None:
                await sweeper
            await telephony.aclose()
            await realtime_client.aclose()
            await state.live_store.close()
            await engine.dispose()
            log.info("app_stopped")

    app = FastAPI(
        title="callintake",
        version="0.1.0",
        summary="Multi-tenant AI call intake: org config, Realtime sessions, phone bridge, call records.",
        lifespan=lifespan,
    )
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match"],
            expose_headers=["ETag"],
        )
    app.add_middleware(RequestLogMiddleware)
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(admin_router)
    app.include_router(config_router)
    app.include_router(calls_router)
    app.include_router(realtime_router)
    app.include_router(telephony_router)
    return app
