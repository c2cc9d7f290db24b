"""FastAPI dependencies as Annotated aliases: DbSession, LiveStoreDep, AdminAuth, OrgAuth(scope) ..."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from app.calls.live_store import LiveStore
from app.logging import bind_call_context
from app.orgs.auth import OrgPrincipal, authenticate_with, check_platform_admin, remembered_principal
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


class PrincipalChanged(Exception):
    """The check behind an `EarlyPrincipal` returned another principal (the org's config changed): the
    work begun on the early one is dropped and done again on `principal`."""

    def __init__(self, principal: OrgPrincipal) -> None:
        super().__init__("the key's principal changed")
        self.principal = principal


@dataclass(frozen=True, slots=True)
class EarlyPrincipal:
    """An org key's principal for a route whose first step is an OpenAI round trip (the mint, the SDP
    exchange). When this process confirmed the same key moments ago, `principal` is that memo and the
    shared cache's check runs beside the route's upstream request instead of in front of it: one Redis
    round trip off the critical path. The route calls `confirm()` before anything it does is seen (a
    live call, a response), and gives up what it sent upstream if the check fails or changed the
    principal. A key revoked here a moment ago then costs at most one upstream request per worker: the
    failed check drops the memo, and the next request waits for the check as every other route does.
    (A body FastAPI refuses is answered 422 before the check is: for that one request, a revoked key
    learns its body was malformed instead of being told 401.)"""

    principal: OrgPrincipal
    scope: str
    check: asyncio.Future[OrgPrincipal] | None = None  # None: `principal` is checked already

    async def confirm(self) -> OrgPrincipal:
        """The checked principal: the same one (or `PrincipalChanged`), or what authentication raises."""
        if self.check is None:
            return self.principal
        checked = await self.check
        checked.require_scope(self.scope)
        if checked != self.principal:
            raise PrincipalChanged(checked)
        return checked

    async def checked(self) -> OrgPrincipal:
        """The checked principal, whether or not it changed."""
        try:
            return await self.confirm()
        except PrincipalChanged as changed:
            return changed.principal

    async def to_start(
        self, *, early: bool = True
    ) -> tuple[OrgPrincipal, Callable[[], Awaitable[object]] | None]:
        """The principal a route starts on, and the check it still has to await before anything it does
        is seen (None: checked already). `early=False` (a resumed call, looked up first) checks now."""
        if self.check is None:
            return self.principal, None
        if not early:
            return await self.checked(), None
        return self.principal, self.confirm


def _retrieve(check: asyncio.Future[OrgPrincipal]) -> None:
    # A request that failed before it confirmed (FastAPI's 422 for its body) leaves the check running:
    # it still drops the memo of a revoked key, and its error is read here so nothing logs it as lost.
    if not check.cancelled():
        check.exception()


def require_scope_early(scope: str) -> Callable[..., Awaitable[EarlyPrincipal]]:
    async def dependency(
        conn: HTTPConnection, authorization: Annotated[str | None, Header()] = None
    ) -> EarlyPrincipal:
        state = get_state(conn)
        early = remembered_principal(authorization)
        if early is None or scope not in early.scopes:  # nothing to start on: the usual order
            principal = await authenticate_with(
                state.session_factory, state.live_store, authorization=authorization
            )
            principal.require_scope(scope)
            bind_call_context(conn.path_params.get("call_id"), principal.org_id)
            return EarlyPrincipal(principal, scope)
        check = asyncio.ensure_future(
            authenticate_with(state.session_factory, state.live_store, authorization=authorization)
        )
        check.add_done_callback(_retrieve)
        bind_call_context(conn.path_params.get("call_id"), early.org_id)  # a key never changes org
        return EarlyPrincipal(early, scope, check)

    return dependency


ConfigReader = Annotated[OrgPrincipal, Depends(require_scope("config:read"))]
ConfigWriter = Annotated[OrgPrincipal, Depends(require_scope("config:write"))]
CallsReader = Annotated[OrgPrincipal, Depends(require_scope("calls:read"))]
CallsWriter = Annotated[OrgPrincipal, Depends(require_scope("calls:write"))]
SessionCreator = Annotated[OrgPrincipal, Depends(require_scope("sessions:create"))]
# The mint and the SDP exchange: `sessions:create`, checked beside their upstream request when it can be.
EarlySessionCreator = Annotated[EarlyPrincipal, Depends(require_scope_early("sessions:create"))]
