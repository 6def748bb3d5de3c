"""Signing in with a demo login, and who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from gateway.auth import CurrentPrincipal, Principal, TokenIssuer
from gateway.deps import ServicesDep
from helpdesk.runtime.web import ApiError

router = APIRouter(prefix="/api/v1", tags=["auth"])


class DemoLogin(BaseModel):
    email: str = Field(min_length=3, max_length=320, examples=["agent@northwind.example"])


@router.post("/auth/demo-login", summary="Sign in as any existing user with the roles they hold (demo mode only).")
async def demo_login(body: DemoLogin, request: Request, services: ServicesDep) -> dict[str, Any]:
    if request.app.state.settings.auth_mode != "demo":
        raise ApiError(404, "not_found", "Nothing was found at this address.")
    found = await services.identity.get("/internal/logins", email=body.email)
    user = found["user"]
    principal = Principal(
        user_id=user["id"], email=user["email"], name=user["display_name"], org_id=user["org_id"],
        partner_id=found["partner_id"], roles=frozenset(user["roles"]),
    )
    issuer: TokenIssuer = request.app.state.issuer
    return {"access_token": issuer.issue(principal), "token_type": "bearer", "expires_in": issuer.ttl}


@router.get("/me", summary="The signed-in user and the roles they hold.")
async def me(principal: CurrentPrincipal) -> dict[str, Any]:
    return {"user_id": principal.user_id, "email": principal.email, "name": principal.name,
            "org_id": principal.org_id, "partner_id": principal.partner_id, "roles": sorted(principal.roles)}
