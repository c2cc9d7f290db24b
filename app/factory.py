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
from app.calls.owner import EXTRAS_KEY as OWNERS_KEY
from app.calls.owner import build_call_owners
from app.calls.router import router as calls_router
from app.calls.second_opinion import EXTRAS_KEY as SECOND_OPINION_KEY
from app.calls.slots import EXTRAS_KEY as SLOTS_KEY
from app.calls.slots import build_slots
from app.calls.sweeper import run_sweeper
from app.classifier.client import LineClassifier
from app.classifier.second_opinion import SecondOpinion
from app.errors import install_error_handlers
from app.events.router import router as events_router
from app.events.runtime import EXTRAS_KEY as AFTER_CALL_KEY
from app.events.runtime import AfterCallRuntime
from app.health import router as health_router
from app.limits import BodyLimitMiddleware
from app.logging import configure_logging, install_route_templates
from app.middleware import RequestLogMiddleware, TextGuardMiddleware
from app.observability import install_observability
from app.openapi import install_openapi
from app.orgs.router import admin_router, config_router
from app.privacy.retention import run_retention_loop
from app.privacy.router import router as privacy_router
from app.realtime.client import RealtimeClient
from app.realtime.router import router as realtime_router
from app.realtime.sideband import sidebands
from app.safety.detection import detector_for
from app.settings import Settings, get_settings
from app.state import AppState
from app.telephony.recording import router as overflow_router
from app.telephony.router import router as telephony_router
from app.telephony.runtime import EXTRAS_KEY as TELEPHONY_KEY
from app.telephony.runtime import TelephonyRuntime
from app.webhooks.router import router as webhooks_router
from database.engine import create_engine, create_session_factory

log = logging.getLogger("callintake.app")

# The order /docs shows the API in: how an integration meets it, whatever order the routers are tried in.
DOC_TAGS = (
    "health",
    "platform admin",
    "org config",
    "calls",
    "realtime",
    "live events",
    "webhooks",
    "privacy",
)


def build_live_store(settings: Settings) -> LiveStore:
    if settings.redis_url:
        return RedisLiveStore.from_url(
            settings.redis_url,
            ttl_seconds=settings.calls.live_ttl_seconds,
            socket_timeout=settings.redis_socket_timeout_seconds,
            connect_timeout=settings.redis_connect_timeout_seconds,
        )
    return MemoryLiveStore()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            connect_timeout=settings.db_connect_timeout_seconds,
            command_timeout=settings.db_command_timeout_seconds,
            pool_timeout=settings.db_pool_timeout_seconds,
        )
        state = AppState(
            settings=settings,
            engine=engine,
            session_factory=create_session_factory(engine),
            live_store=build_live_store(settings),
        )
        app.state.callintake = state
        owners = state.extras[OWNERS_KEY] = build_call_owners(settings)  # issue 8, item 5
        call_slots = state.extras[SLOTS_KEY] = build_slots(settings)  # issue 11
        realtime_client = RealtimeClient(settings.openai)
        state.extras["realtime_client"] = realtime_client
        second_opinion = state.extras[SECOND_OPINION_KEY] = SecondOpinion(
            LineClassifier(settings.openai),
            budget_seconds=settings.openai.classifier_budget_ms / 1000,
            min_confidence=settings.openai.classifier_min_confidence,
        )
        telephony = state.extras[TELEPHONY_KEY] = TelephonyRuntime(settings)
        await telephony.start()
        after_call = state.extras[AFTER_CALL_KEY] = AfterCallRuntime(state)
        await after_call.start()
        stop_sweeper = asyncio.Event()
        sweeper = (
            asyncio.create_task(run_sweeper(state, stop_sweeper), name="call-sweeper")
            if settings.calls.sweeper_enabled
            else None
        )
        retention = (
            asyncio.create_task(run_retention_loop(state, stop_sweeper), name="retention")
            if settings.retention.enabled and settings.calls.sweeper_enabled
            else None
        )
        # The shipped detection model is read once per process: now, not inside the first caller line,
        # where parsing it held the event loop (and every live call's audio) for most of a second.
        detector_for((), ())
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
            if retention is not None:
                await retention
            await after_call.aclose()
            await sidebands(state).aclose()
            await telephony.aclose()
            await owners.aclose()  # after every channel has let go
            await realtime_client.aclose()
            await second_opinion.aclose()
            await call_slots.close()
            await state.live_store.close()
            await engine.dispose()
            log.info("app_stopped")

    app = FastAPI(
        title="callintake",
        version="0.1.0",
        summary="Multi-tenant AI call intake: org config, Realtime sessions, phone bridge, call records.",
        lifespan=lifespan,
        openapi_tags=[{"name": tag} for tag in DOC_TAGS],
    )
    # Innermost first: body limits, then the text guard; CORS wraps both so their errors carry its headers.
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(TextGuardMiddleware)
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
    # FastAPI tries routes in the order they were included, a few microseconds each, so the ones calls hit
    # come first: Twilio's webhooks and the media stream, the mint and the SDP exchange, the browser path's
    # transcript and tool calls. /docs keeps its order by tag (`DOC_TAGS`). No two routers share a path.
    app.include_router(telephony_router)
    app.include_router(realtime_router)
    app.include_router(calls_router)
    app.include_router(overflow_router)
    app.include_router(health_router)
    app.include_router(events_router)
    app.include_router(privacy_router)
    app.include_router(config_router)
    app.include_router(webhooks_router)
    app.include_router(admin_router)
    install_observability(app, settings)  # issue 12: /metrics, request spans
    install_route_templates(app.router.routes)
    install_openapi(app)
    return app
