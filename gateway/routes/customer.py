"""What a customer admin does: grant the partner managing their organisation read-only access, and revoke it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Response

from gateway.auth import CustomerAdmin, Principal
from gateway.clients import Services
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, AccessGrant, GrantRequest, errors
from gateway.tenancy import identity_view
from helpdesk.runtime.web import ApiError

router = APIRouter(prefix="/api/v1/customer", tags=["customer admin"], responses=COMMON_ERRORS)


def _grant(admin: Principal) -> str:
    return f"/internal/grants/{quote(admin.org_id, safe='')}"


@router.get("/access-grant", response_model=AccessGrant,
            summary="Whether your organisation grants its partner read-only access, and until when.")
async def read(admin: CustomerAdmin, services: ServicesDep) -> dict[str, Any]:
    status: dict[str, Any] = await services.access.get(_grant(admin), partner_id=admin.partner_id)
    return status


@router.put("/access-grant", response_model=AccessGrant, responses=errors(409),
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


async def _managing_partner(admin: Principal, services: Services) -> str:
    """The partner managing the admin's organisation now, which a grant goes to. The sign-in names the partner of
    the moment it was made; identity confirms that partner still manages the organisation."""
    try:
        await identity_view(services.identity, "customer", admin.org_id, admin)
    except ApiError as error:
        if error.status != 404:
            raise
        raise ApiError(409, "partner_changed", "Your organisation is no longer managed by the partner it had when "
                                               "you signed in. Please sign in again.") from None
    return admin.partner_id
