"""Signing in with a demo login, and who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from gateway.auth import CurrentPrincipal, TokenIssuer
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, Me, Token, errors
from runtime.web import ApiError

router = APIRouter(prefix="/api/v1", tags=["auth"])


class DemoLogin(BaseModel):
    email: str = Field(min_length=3, max_length=320, examples=["agent@northwind.example"])


@router.post("/auth/demo-login", response_model=Token, responses=errors(400, 404, 413, 415, 422, 503),
             summary="Sign in as any existing user with the roles they hold (demo mode only).")
async def demo_login(body: DemoLogin, request: Request, services: ServicesDep) -> dict[str, Any]:
    issuer: TokenIssuer | None = request.app.state.issuer
    if issuer is None:
        raise ApiError(404, "not_found", "Nothing was found at this address.")
    principal = await services.identity.login(body.email)
    return {"access_token": issuer.issue(principal), "token_type": "bearer", "expires_in": issuer.ttl}


@router.get("/me", response_model=Me, responses=COMMON_ERRORS,
            summary="The signed-in user and the roles they hold now.")
async def me(principal: CurrentPrincipal) -> dict[str, Any]:
    return {"user_id": principal.user_id, "email": principal.email, "name": principal.name,
            "org_id": principal.org_id, "partner_id": principal.partner_id, "roles": sorted(principal.roles)}
