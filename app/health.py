"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.deps import StateDep

router = APIRouter(tags=["health"])


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
        *(asyncio.wait_for(check, timeout=2.0) for check in checks.values()), return_exceptions=True
    )
    status = {
        name: ("ok" if not isinstance(result, BaseException) else "unavailable")
        for name, result in zip(checks, results, strict=True)
    }
    if all(value == "ok" for value in status.values()):
        return JSONResponse({"status": "ready", "checks": status})
    failed = [name for name, value in status.items() if value != "ok"]
    return JSONResponse(
        {"error": {"code": "not_ready", "message": f"unavailable: {', '.join(failed)}", "details": status}},
        status_code=503,
    )
