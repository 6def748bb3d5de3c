"""The one search bar, limited to the customers the agent's partner manages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from gateway.auth import HelpdeskAgent
from gateway.deps import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["helpdesk"])


@router.get("/search", summary="Customers, users, devices and orders matching anything a caller gives.")
async def search(
    agent: HelpdeskAgent,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=256, description="What the caller gave.")],
    org_id: Annotated[str | None, Query(description="Only inside this customer.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    result: dict[str, Any] = await services.search.get(
        "/internal/search", q=q, partner_id=agent.partner_id, org_id=org_id, limit=limit
    )
    return result
