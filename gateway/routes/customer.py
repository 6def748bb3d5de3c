"""What a customer admin does: grant the partner managing their organisation read-only access, and revoke it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Response

from gateway.auth import CustomerAdmin, Principal
from gateway.clients import Services
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, AccessGrant, GrantRequest, errors
from runtime.web import ApiError

router = APIRouter(prefix="/api/v1/customer", tags=["customer admin"], responses=COMMON_ERRORS)


def _grant(admin: Principal) -> str:
    return f"/internal/grants/{quote(admin.org_id, safe='')}"


@router.get("/access-grant", response_model=AccessGrant, responses=errors(404),
            summary="Whether your organisation grants its partner read-only access, and until when.")
async def read(admin: CustomerAdmin, services: ServicesDep) -> dict[str, Any]:
    status: dict[str, Any] = await services.access.get(_grant(admin),
                                                       partner_id=await _partner_now(admin, services))
    return status


@router.put("/access-grant", response_model=AccessGrant, responses=errors(404, 409),
            summary="Grant the partner that manages your organisation read-only access, until a time or revoked.")
async def grant(admin: CustomerAdmin, services: ServicesDep,
                body: Annotated[GrantRequest | None, Body()] = None) -> dict[str, Any]:
    request = body or GrantRequest()
    status: dict[str, Any] = await services.access.put(_grant(admin), {
        "partner_id": await _managing_partner(admin, services), "granted_by": admin.user_id,
        **request.model_dump(mode="json")})
    return status


@router.delete("/access-grant", status_code=204, response_class=Response,
               summary="Revoke your partner's read-only access; open read-only sessions end with it.")
async def revoke(admin: CustomerAdmin, services: ServicesDep) -> Response:
    await services.access.delete(_grant(admin), revoked_by=admin.user_id)
    return Response(status_code=204)


async def _partner_now(admin: Principal, services: Services) -> str:
    """The partner managing the admin's organisation now, as identity knows it (a sign-in need not name it)."""
    try:
        found: dict[str, str] = await services.identity.get(f"/internal/customers/{quote(admin.org_id, safe='')}"
                                                            "/partner")
    except ApiError as error:
        if error.status != 404:
            raise
        raise ApiError(404, "customer_not_found", "Your organisation is not known to the help desk.") from None
    return found["partner_id"]


async def _managing_partner(admin: Principal, services: Services) -> str:
    """The partner a grant goes to: the one managing the admin's organisation now. When the sign-in names the
    partner of the moment it was made and that has changed since, the admin is asked to sign in again rather than
    grant a partner they did not see."""
    partner_id = await _partner_now(admin, services)
    if admin.token_partner_id and admin.token_partner_id != partner_id:
        raise ApiError(409, "partner_changed", "Your organisation is no longer managed by the partner it had when "
                                               "you signed in. Please sign in again.")
    return partner_id
