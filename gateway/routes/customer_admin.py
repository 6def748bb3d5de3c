"""What a customer admin does: grant the partner managing their organisation read-only access, and revoke it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response

from gateway.auth import CustomerAdmin
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, AccessGrant, GrantRequest, errors
from gateway.tenancy import partner_now

router = APIRouter(prefix="/api/v1/customer", tags=["customer admin"], responses=COMMON_ERRORS)


@router.get("/access-grant", response_model=AccessGrant, responses=errors(404),
            summary="Whether your organisation grants its partner read-only access, and until when.")
async def read(admin: CustomerAdmin, services: ServicesDep) -> dict[str, Any]:
    partner_id = await partner_now(services.identity, admin)
    return await services.access.grant_status(admin.org_id, partner_id)


@router.put("/access-grant", response_model=AccessGrant, responses=errors(404, 409),
            summary="Grant the partner that manages your organisation read-only access, until a time or revoked.")
async def grant(admin: CustomerAdmin, services: ServicesDep,
                body: Annotated[GrantRequest | None, Body()] = None) -> dict[str, Any]:
    partner_id = await partner_now(services.identity, admin, seen=True)
    return await services.access.grant(admin.org_id, partner_id=partner_id, granted_by=admin.user_id,
                                       expires_at=(body or GrantRequest()).expires_at)


@router.delete("/access-grant", status_code=204, response_class=Response,
               summary="Revoke your partner's read-only access; open read-only sessions end with it.")
async def revoke(admin: CustomerAdmin, services: ServicesDep) -> Response:
    await services.access.revoke(admin.org_id, revoked_by=admin.user_id)
    return Response(status_code=204)
