"""A customer the agent's partner manages: domains, sites, licences, subscriptions, orders, admins, access."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.admin_access import open_request
from gateway.audit import AuditDep
from gateway.auth import HelpdeskAgent
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, CustomerView, errors
from gateway.tenancy import identity_view

router = APIRouter(prefix="/api/v1", tags=["helpdesk"], responses={**COMMON_ERRORS, **errors(404)})


@router.get("/customers/{org_id}", response_model=CustomerView,
            summary="A customer: created, domains, sites, licences, subscriptions, orders, admins, access.")
async def customer(org_id: str, agent: HelpdeskAgent, services: ServicesDep, audit: AuditDep) -> dict[str, Any]:
    view = await identity_view("customer", services.identity.customer, org_id, agent)
    # Granted only to the agent's partner: a grant the customer gave a partner it had before does not count.
    standing = await services.access.grant_standing(org_id, agent.partner_id)
    request = open_request(await services.access.access_requests(org_id), agent.partner_id)
    access = {**standing, "since": standing["since"] if standing["granted"] else None, "full_admin_request": request}
    await audit.record(agent, "customer.viewed", "customer", org_id, org_id)
    return {**view, "read_only_access": access}
