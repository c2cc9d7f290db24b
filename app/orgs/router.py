"""REST routes of the orgs domain: the platform operator's /api/admin and each org's /api/org/config."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response, status

from app.deps import AdminAuth, ConfigReader, ConfigWriter, DbSession, LiveStoreDep, SettingsDep
from app.errors import path_uuid
from app.orgs import errors, service
from app.orgs.auth import OrgPrincipal, forget_key, forget_org
from app.orgs.config import OrgConfig
from app.orgs.schemas import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ConfigAuditEntry,
    ConfigAuditPage,
    Org,
    OrgConfigOut,
    OrgCreate,
    OrgPage,
    PhoneNumber,
    PhoneNumberCreate,
    PromptPreview,
)
from app.safety.examples import EMERGENCY_EXAMPLES
from app.safety.prompt import build_session
from app.validation import Moment
from database.models import Organization

admin_router = APIRouter(prefix="/api/admin", tags=["platform admin"])
config_router = APIRouter(prefix="/api/org/config", tags=["org config"])

Limit = Annotated[int, Query(ge=1, le=200)]


def _org_uuid(org_id: str) -> uuid.UUID:
    return path_uuid(org_id, errors.OrgNotFound)


@admin_router.post("/orgs", status_code=status.HTTP_201_CREATED, response_model=Org)
async def create_org(_: AdminAuth, session: DbSession, body: OrgCreate) -> Organization:
    org = await service.create_org(session, data=body)
    await session.commit()
    return org


@admin_router.get("/orgs", response_model=OrgPage)
async def list_orgs(
    _: AdminAuth, session: DbSession, limit: Limit = 50, cursor: str | None = None
) -> OrgPage:
    rows, next_cursor = await service.list_orgs(session, limit=limit, cursor=cursor)
    return OrgPage(
        items=[Org.model_validate(row, from_attributes=True) for row in rows], next_cursor=next_cursor
    )


@admin_router.get("/orgs/{org_id}", response_model=Org)
async def get_org(_: AdminAuth, session: DbSession, org_id: str) -> Organization:
    return await service.get_org(session, org_id=_org_uuid(org_id))


@admin_router.post(
    "/orgs/{org_id}/api-keys", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated
)
async def create_api_key(_: AdminAuth, session: DbSession, org_id: str, body: ApiKeyCreate) -> ApiKeyCreated:
    row, plain = await service.create_api_key(session, org_id=_org_uuid(org_id), data=body)
    await session.commit()
    return ApiKeyCreated(**ApiKey.model_validate(row, from_attributes=True).model_dump(), key=plain)


@admin_router.get("/orgs/{org_id}/api-keys", response_model=list[ApiKey])
async def list_api_keys(_: AdminAuth, session: DbSession, org_id: str) -> list[Any]:
    return list(await service.list_api_keys(session, org_id=_org_uuid(org_id)))


@admin_router.delete("/orgs/{org_id}/api-keys/{key_id}", response_model=ApiKey)
async def revoke_api_key(
    _: AdminAuth, session: DbSession, live: LiveStoreDep, org_id: str, key_id: str
) -> Any:
    key_uuid = path_uuid(key_id, errors.ApiKeyNotFound)
    key = await service.revoke_api_key(session, org_id=_org_uuid(org_id), key_id=key_uuid)
    await session.commit()
    await forget_key(live, key.key_hash)
    return key


@admin_router.post(
    "/orgs/{org_id}/phone-numbers", status_code=status.HTTP_201_CREATED, response_model=PhoneNumber
)
async def add_phone_number(_: AdminAuth, session: DbSession, org_id: str, body: PhoneNumberCreate) -> Any:
    row = await service.add_phone_number(session, org_id=_org_uuid(org_id), number=body.number)
    await session.commit()
    return row


@admin_router.get("/orgs/{org_id}/phone-numbers", response_model=list[PhoneNumber])
async def list_phone_numbers(_: AdminAuth, session: DbSession, org_id: str) -> list[Any]:
    return list(await service.list_phone_numbers(session, org_id=_org_uuid(org_id)))


@admin_router.delete("/orgs/{org_id}/phone-numbers/{number}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_phone_number(_: AdminAuth, session: DbSession, org_id: str, number: str) -> Response:
    await service.remove_phone_number(session, org_id=_org_uuid(org_id), number=number)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _config_out(org: Organization, response: Response) -> OrgConfigOut:
    etag = service.etag_for(org.config_version)
    response.headers["ETag"] = etag
    return OrgConfigOut(
        org_id=org.id,
        config=OrgConfig.model_validate(org.config),
        config_version=org.config_version,
        etag=etag,
        updated_at=org.updated_at,
    )


def _actor(principal: OrgPrincipal) -> service.Actor:
    return service.Actor(type="api_key", id=str(principal.key_id), name=principal.key_name)


IfMatch = Annotated[str | None, Header(alias="If-Match")]


@config_router.get("/{org_id}", response_model=OrgConfigOut)
async def get_config(
    principal: ConfigReader, session: DbSession, org_id: str, response: Response
) -> OrgConfigOut:
    org = await service.get_org(session, org_id=principal.require_org(org_id))
    return _config_out(org, response)


@config_router.post("/{org_id}", response_model=OrgConfigOut)
async def replace_config(
    principal: ConfigWriter,
    session: DbSession,
    live: LiveStoreDep,
    org_id: str,
    response: Response,
    body: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> OrgConfigOut:
    org = await service.replace_config(
        session, org_id=principal.require_org(org_id), config=body, if_match=if_match, actor=_actor(principal)
    )
    await session.commit()
    await forget_org(live, org.id)
    return _config_out(org, response)


@config_router.patch("/{org_id}", response_model=OrgConfigOut)
async def patch_config(
    principal: ConfigWriter,
    session: DbSession,
    live: LiveStoreDep,
    org_id: str,
    response: Response,
    body: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> OrgConfigOut:
    org = await service.patch_config(
        session, org_id=principal.require_org(org_id), patch=body, if_match=if_match, actor=_actor(principal)
    )
    await session.commit()
    await forget_org(live, org.id)
    return _config_out(org, response)


@config_router.get("/{org_id}/prompt", response_model=PromptPreview)
async def preview_prompt(
    principal: ConfigReader,
    session: DbSession,
    settings: SettingsDep,
    org_id: str,
    at: Annotated[Moment | None, Query(description="ISO time with offset; default now")] = None,
) -> PromptPreview:
    """Exactly what a call starting at `at` would get: instructions, tools, open/closed, prompt hash."""
    org = await service.get_org(session, org_id=principal.require_org(org_id))
    moment = at or datetime.now(UTC)
    spec = build_session(
        OrgConfig.model_validate(org.config),
        moment,
        org_name=org.name,
        default_model=settings.openai.realtime_model,
        default_voice=settings.openai.realtime_voice,
        emergency_phrases=EMERGENCY_EXAMPLES,
    )
    state = spec.open_state
    return PromptPreview(
        at=moment,
        is_open=state.is_open,
        open_reason=state.reason,
        local_time=state.local_time,
        next_open=state.next_open,
        holiday_name=state.holiday_name,
        instructions=spec.instructions,
        tools=spec.tools,
        prompt_hash=spec.prompt_hash,
        model=spec.model,
        voice=spec.voice,
    )


@config_router.get("/{org_id}/audit", response_model=ConfigAuditPage)
async def list_config_audit(
    principal: ConfigReader, session: DbSession, org_id: str, limit: Limit = 50, cursor: str | None = None
) -> ConfigAuditPage:
    rows, next_cursor = await service.list_config_audit(
        session, org_id=principal.require_org(org_id), limit=limit, cursor=cursor
    )
    return ConfigAuditPage(
        items=[ConfigAuditEntry.model_validate(row, from_attributes=True) for row in rows],
        next_cursor=next_cursor,
    )
