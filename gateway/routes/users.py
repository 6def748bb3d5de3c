"""A user of a customer the agent's partner manages: status, licences, devices, features."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.audit import AuditDep
from gateway.auth import HelpdeskAgent
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, UserView, errors
from gateway.tenancy import identity_view

router = APIRouter(prefix="/api/v1", tags=["helpdesk"], responses={**COMMON_ERRORS, **errors(404)})


@router.get("/users/{user_id}", response_model=UserView,
            summary="A user: status in the org, licences, devices, features and mail delivery.")
async def user(user_id: str, agent: HelpdeskAgent, services: ServicesDep, audit: AuditDep) -> dict[str, Any]:
    view = await identity_view(services.identity, "user", user_id, agent)
    await audit.record(agent, "user.viewed", "user", user_id, view["org_id"])
    # The email service owns delivery status and the suppression list; until the gateway calls it, it is null.
    return {**view, "email_address": view["email"], "email": None}
