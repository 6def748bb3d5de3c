"""What a partner admin does: give and take the Help Desk role of the partner's own people."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel

from gateway.auth import PartnerAdmin
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, AuditLog, HelpdeskAgentEntry, PartnerAuditFilters, errors

router = APIRouter(prefix="/api/v1/partner", tags=["partner admin"], responses={**COMMON_ERRORS, **errors(404)})


class Level(BaseModel):
    level: Literal["basic", "advanced"] = "basic"


@router.get("/helpdesk-agents", response_model=list[HelpdeskAgentEntry],
            summary="The partner's people who hold the Help Desk role, and at which level.")
async def list_agents(admin: PartnerAdmin, services: ServicesDep) -> list[dict[str, Any]]:
    return await services.identity.helpdesk_agents(admin.partner_id)


@router.put("/helpdesk-agents/{user_id}", response_model=HelpdeskAgentEntry,
            summary="Give one of the partner's own people the Help Desk role, basic or advanced.")
async def assign(user_id: str, admin: PartnerAdmin, services: ServicesDep,
                 body: Annotated[Level | None, Body()] = None) -> dict[str, Any]:
    return await services.identity.set_helpdesk_level(admin.partner_id, user_id, (body or Level()).level)


@router.delete("/helpdesk-agents/{user_id}", status_code=204, response_class=Response,
               summary="Take the Help Desk role away from one of the partner's own people.")
async def revoke(user_id: str, admin: PartnerAdmin, services: ServicesDep) -> Response:
    await services.identity.revoke_helpdesk_role(admin.partner_id, user_id)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditLog,
            summary="What the partner's agents did, across its customers, newest first.")
async def audit(admin: PartnerAdmin, services: ServicesDep, filters: Annotated[PartnerAuditFilters, Query()]
                ) -> dict[str, Any]:
    return await services.access.partner_audit(admin.partner_id, filters)
