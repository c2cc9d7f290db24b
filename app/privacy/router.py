"""REST routes of tenant operations: erase one call's content, read the org's usage."""

from __future__ import annotations

from fastapi import APIRouter

from app.calls import errors as call_errors
from app.calls.service import OrgContext
from app.calls.slots import slots
from app.deps import CallsReader, CallsWriter, DbSession, LiveStoreDep, StateDep
from app.errors import path_uuid
from app.privacy.erasure import erase_call_content
from app.privacy.schemas import ContentErased, OrgUsage
from app.privacy.usage import org_usage

router = APIRouter(tags=["privacy"])


@router.delete("/api/calls/{call_id}/content", response_model=ContentErased)
async def erase_content(
    principal: CallsWriter, session: DbSession, live: LiveStoreDep, call_id: str
) -> ContentErased:
    erased = await erase_call_content(
        session,
        live,
        org_id=principal.org_id,
        call_id=path_uuid(call_id, call_errors.CallNotFound),
        actor=str(principal.key_id),
    )
    await session.commit()
    return ContentErased(
        call_id=erased.call_id,
        content_erased_at=erased.content_erased_at,
        content_erased_by=erased.content_erased_by,
        deleted=erased.deleted,
        repeated=erased.repeated,
    )


@router.get("/api/org/usage", response_model=OrgUsage)
async def get_usage(principal: CallsReader, session: DbSession, state: StateDep) -> OrgUsage:
    org = OrgContext.from_principal(principal)
    return await org_usage(session, slots(state), org_id=principal.org_id, config=org.config)
