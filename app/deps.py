"""FastAPI dependencies as Annotated aliases: DbSession, LiveStoreDep, AdminAuth, OrgAuth(scope) ..."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from app.calls.live_store import LiveStore
from app.logging import bind_call_context
from app.orgs.auth import OrgPrincipal, authenticate_with, check_platform_admin
from app.settings import Settings
from app.state import AppState


def get_state(conn: HTTPConnection) -> AppState:
    """The app's state; also called directly where there is a connection but no Depends (media stream)."""
    state: AppState = conn.app.state.callintake
    return state


# Every dependency is `async def`: FastAPI runs a plain `def` dependency in the thread pool, and these
# one-line lookups would then cost a thread hand-off each on every request (measured by bench_mint).
async def _state(conn: HTTPConnection) -> AppState:
    return get_state(conn)


StateDep = Annotated[AppState, Depends(_state)]


async def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


async def get_db(state: StateDep) -> AsyncIterator[AsyncSession]:
    async with state.session_factory() as session:
        yield session


async def get_live_store(state: StateDep) -> LiveStore:
    return state.live_store


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbSession = Annotated[AsyncSession, Depends(get_db)]
LiveStoreDep = Annotated[LiveStore, Depends(get_live_store)]


async def require_admin(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> None:
    admin_key = settings.platform_admin_key.get_secret_value() if settings.platform_admin_key else None
    check_platform_admin(authorization, admin_key)


AdminAuth = Annotated[None, Depends(require_admin)]


def require_scope(scope: str) -> Callable[..., Awaitable[OrgPrincipal]]:
    # No DbSession here: a warm auth cache needs none, so a route that needs no database builds no session.
    async def dependency(
        conn: HTTPConnection, authorization: Annotated[str | None, Header()] = None
    ) -> OrgPrincipal:
        state = get_state(conn)
        principal = await authenticate_with(
            state.session_factory, state.live_store, authorization=authorization
        )
        principal.require_scope(scope)
        bind_call_context(conn.path_params.get("call_id"), principal.org_id)  # issue 12: ids on log lines
        return principal

    return dependency


ConfigReader = Annotated[OrgPrincipal, Depends(require_scope("config:read"))]
ConfigWriter = Annotated[OrgPrincipal, Depends(require_scope("config:write"))]
CallsReader = Annotated[OrgPrincipal, Depends(require_scope("calls:read"))]
CallsWriter = Annotated[OrgPrincipal, Depends(require_scope("calls:write"))]
SessionCreator = Annotated[OrgPrincipal, Depends(require_scope("sessions:create"))]
