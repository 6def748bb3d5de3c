"""A user of a customer the agent's partner manages: status, licences, devices, features, and their mail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from gateway.audit import AuditDep
from gateway.auth import HelpdeskAgent
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, EmailStatus, UserView, errors
from gateway.tenancy import identity_view

router = APIRouter(prefix="/api/v1", tags=["helpdesk"], responses={**COMMON_ERRORS, **errors(404)})


@router.get("/users/{user_id}", response_model=UserView,
            summary="A user: status in the org, licences, devices, features and mail delivery.")
async def user(user_id: str, agent: HelpdeskAgent, services: ServicesDep, audit: AuditDep) -> dict[str, Any]:
    view = await identity_view("user", services.identity.user, user_id, agent)
    email = await services.email.address_unless_down(view["email"])
    await audit.record(agent, "user.viewed", "user", user_id, view["org_id"])
    return {**view, "email_address": view["email"], "email": email}


@router.get("/users/{user_id}/email", response_model=EmailStatus,
            summary="A user's last e-mail with its delivery status, and whether their address is suppressed.")
async def email(user_id: str, agent: HelpdeskAgent, services: ServicesDep, audit: AuditDep) -> dict[str, Any]:
    view = await identity_view("user", services.identity.user, user_id, agent)
    status = await services.email.address(view["email"])
    await audit.record(agent, "user.email_viewed", "user", user_id, view["org_id"])
    return status


@router.delete("/users/{user_id}/suppression", status_code=204, response_class=Response,
               summary="Take a user's address off the suppression list, so mail reaches them again.")
async def remove_suppression(user_id: str, agent: HelpdeskAgent, services: ServicesDep, audit: AuditDep
                             ) -> Response:
    view = await identity_view("user", services.identity.user, user_id, agent)
    # Checked, then recorded, then made: a change is never left unaudited (an audit outage refuses it), and what is
    # recorded is what is about to happen (only a concurrent removal or an outage in between could make it not).
    await services.email.check_suppressed(view["email"])
    await audit.record(agent, "user.suppression_removed", "user", user_id, view["org_id"])
    await services.email.remove_suppression(view["email"], user_id=user_id, agent_id=agent.user_id,
                                            partner_id=agent.partner_id)
    return Response(status_code=204)
