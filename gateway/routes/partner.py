"""What a partner admin does: give and take the Help Desk role of the partner's own people."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel

from gateway.auth import PartnerAdmin
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, HelpdeskAgentEntry, errors

router = APIRouter(prefix="/api/v1/partner", tags=["partner admin"], responses={**COMMON_ERRORS, **errors(404)})


class Level(BaseModel):
    level: Literal["basic", "advanced"] = "basic"


def _agents(admin: PartnerAdmin, user_id: str = "") -> str:
    path = f"/internal/partners/{quote(admin.partner_id, safe='')}/helpdesk-agents"
    return f"{path}/{quote(user_id, safe='')}" if user_id else path


@router.get("/helpdesk-agents", response_model=list[HelpdeskAgentEntry],
            summary="The partner's people who hold the Help Desk role, and at which level.")
async def list_agents(admin: PartnerAdmin, services: ServicesDep) -> list[dict[str, Any]]:
    agents: list[dict[str, Any]] = await services.identity.get(_agents(admin))
    return agents


@router.put("/helpdesk-agents/{user_id}", response_model=HelpdeskAgentEntry,
            summary="Give one of the partner's own people the Help Desk role, basic or advanced.")
async def assign(user_id: str, admin: PartnerAdmin, services: ServicesDep,
                 body: Annotated[Level | None, Body()] = None) -> dict[str, Any]:
    level = (body or Level()).level
    agent: dict[str, Any] = await services.identity.put(_agents(admin, user_id), {"level": level})
    return agent


@router.delete("/helpdesk-agents/{user_id}", status_code=204, response_class=Response,
               summary="Take the Help Desk role away from one of the partner's own people.")
async def revoke(user_id: str, admin: PartnerAdmin, services: ServicesDep) -> Response:
    await services.identity.delete(_agents(admin, user_id))
    return Response(status_code=204)
