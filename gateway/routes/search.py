"""The one search bar, limited to the customers the agent's partner manages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from gateway.audit import AuditDep
from gateway.auth import HelpdeskAgent, Principal
from gateway.deps import ServicesDep
from gateway.limits import RateLimit
from gateway.schemas import COMMON_ERRORS, SearchResult, errors

router = APIRouter(prefix="/api/v1", tags=["helpdesk"], responses={**COMMON_ERRORS, **errors(429)})


async def _within_quota(request: Request, agent: HelpdeskAgent) -> Principal:
    limit: RateLimit = request.app.state.search_limit
    limit.take(agent.user_id)
    return agent


SearchingAgent = Annotated[Principal, Depends(_within_quota)]


@router.get("/search", response_model=SearchResult,
            summary="Customers, users, devices and orders matching anything a caller gives.")
async def search(
    agent: SearchingAgent,
    services: ServicesDep,
    audit: AuditDep,
    q: Annotated[str, Query(min_length=1, max_length=256, description="What the caller gave.")],
    org_id: Annotated[str | None, Query(max_length=256, description="Only inside this customer.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    result = await services.search.search(q, partner_id=agent.partner_id, org_id=org_id, limit=limit)
    await audit.record(agent, "search", "search", q, org_id or "")
    return result
