"""Help Desk Advanced: ask a customer for temporary full admin access, open admin sessions, change its users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.admin_access import AdminSessionDep, asker, naming_request, recipients
from gateway.audit import AuditDep
from gateway.auth import HelpdeskAdvancedAgent
from gateway.deps import ServicesDep
from gateway.schemas import (
    COMMON_ERRORS,
    AccessRequestAsked,
    AccessRequestBody,
    AdminSessionOpened,
    AdminUser,
    AdminUserChange,
    errors,
)
from gateway.tenancy import identity_view, not_found

router = APIRouter(prefix="/api/v1", tags=["helpdesk advanced"], responses={**COMMON_ERRORS, **errors(404)})


@router.post("/customers/{org_id}/access-requests", status_code=202, response_model=AccessRequestAsked,
             summary="Ask the customer's admins for an hour of full admin access; they are mailed the reason.")
async def request_access(org_id: str, body: AccessRequestBody, agent: HelpdeskAdvancedAgent, services: ServicesDep,
                         audit: AuditDep) -> dict[str, Any]:
    customer = await identity_view("customer", services.identity.customer, org_id, agent)
    me, admins = await asker(agent, services.identity), await recipients(customer, agent, services.identity)
    await audit.record(agent, "customer.admin_access_requested", "customer", org_id, org_id, reason=body.reason)
    return await services.access.request_admin_access(
        org_id, partner_id=agent.partner_id, agent_id=agent.user_id, agent_name=me.agent_name,
        partner_name=me.partner_name, reason=body.reason, admins=admins)


@router.post("/customers/{org_id}/admin-sessions", status_code=201, response_model=AdminSessionOpened,
             summary="Open an admin session while the customer's approval of your request lasts; 403 otherwise.")
async def open_admin_session(org_id: str, agent: HelpdeskAdvancedAgent, services: ServicesDep,
                             audit: AuditDep) -> dict[str, Any]:
    await identity_view("customer", services.identity.customer, org_id, agent)
    opened = await services.access.open_admin_session(org_id, agent_id=agent.user_id, partner_id=agent.partner_id)
    # Recorded once the session exists, before its token is given: unrecorded, nobody ever holds the token.
    await audit.record(agent, "customer.admin_session_opened", "customer", org_id, org_id,
                       reason=naming_request(opened["reason"], opened["request_id"]))
    return opened


@router.patch("/admin/{org_id}/users/{user_id}", response_model=AdminUser, responses=errors(409),
              summary="Change a user's status, licences or features under your admin session on their customer.")
async def change_user(org_id: str, user_id: str, body: AdminUserChange, session: AdminSessionDep,
                      services: ServicesDep, audit: AuditDep) -> dict[str, Any]:
    user = await identity_view("user", services.identity.user, user_id, session.agent)
    if user.get("org_id") != org_id:
        raise not_found("user")
    await audit.record(session.agent, "user.changed_as_admin", "user", user_id, org_id, reason=session.audit_reason)
    return await services.identity.change_user(org_id, user_id, session.agent.partner_id,
                                               body.model_dump(exclude_none=True))
