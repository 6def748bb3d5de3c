"""A web order of a customer the agent's partner manages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.audit import AuditDep
from gateway.auth import HelpdeskAgent
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, OrderView, errors
from gateway.tenancy import identity_view

router = APIRouter(prefix="/api/v1", tags=["helpdesk"], responses={**COMMON_ERRORS, **errors(404)})


@router.get("/orders/{number}", response_model=OrderView, summary="A web order: when placed, status, subscription.")
async def order(number: str, agent: HelpdeskAgent, services: ServicesDep, audit: AuditDep) -> dict[str, Any]:
    view = await identity_view("order", services.identity.order, number, agent)
    await audit.record(agent, "order.viewed", "order", number, view["org_id"])
    return view
