"""Liveness and readiness probes.

/readyz checks PostgreSQL and the live store (each bounded to 2 s, named when it fails) and, when
ready, reports in `details` whether live calls survive a Redis restart (`live_store_persistence`:
aof, aof_no_fsync, rdb, none, memory, unknown) and how many dead-lettered calls wait in quarantine.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.calls.repository import count_quarantined
from app.deps import StateDep
from app.events.runtime import webhook_backlog

log = logging.getLogger("callintake.health")

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: StateDep) -> JSONResponse:
    async def database() -> None:
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    checks = {"database": database(), "live_store": state.live_store.ping()}
    results = await asyncio.gather(
        *(asyncio.wait_for(check, timeout=CHECK_TIMEOUT_SECONDS) for check in checks.values()),
        return_exceptions=True,
    )
    status = {
        name: ("ok" if not isinstance(result, BaseException) else "unavailable")
        for name, result in zip(checks, results, strict=True)
    }
    if all(value == "ok" for value in status.values()):
        return JSONResponse({"status": "ready", "checks": status, "details": await _details(state)})
    failed = [name for name, value in status.items() if value != "ok"]
    return JSONResponse(
        {"error": {"code": "not_ready", "message": f"unavailable: {', '.join(failed)}", "details": status}},
        status_code=503,
    )


async def _details(state: Any) -> dict[str, Any]:
    async def quarantined() -> int:
        async with state.session_factory() as session:
            return await count_quarantined(session)

    persistence, count, webhooks = await asyncio.gather(
        asyncio.wait_for(state.live_store.persistence(), timeout=CHECK_TIMEOUT_SECONDS),
        asyncio.wait_for(quarantined(), timeout=CHECK_TIMEOUT_SECONDS),
        webhook_backlog(state),
        return_exceptions=True,
    )
    if isinstance(persistence, BaseException):
        persistence = "unknown"
    if persistence in ("none", "rdb", "aof_no_fsync"):
        log.warning("live_store_not_persistent", extra={"persistence": persistence})
    return {
        "live_store_persistence": persistence,
        "quarantined_calls": count if not isinstance(count, BaseException) else None,
        "webhooks": webhooks if not isinstance(webhooks, BaseException) else None,
    }
