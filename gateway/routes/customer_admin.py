"""What a customer admin does: grant the partner managing their organisation read-only access, and revoke it;
answer its agents' requests for full admin access."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from gateway.admin_access import REQUEST_NOT_FOUND, known_request_id
from gateway.auth import CustomerAdmin
from gateway.clients.base import found_or
from gateway.deps import ServicesDep
from gateway.schemas import (
    COMMON_ERRORS,
    AccessGrant,
    AccessRequestEntry,
    AuditFilters,
    AuditLog,
    GrantRequest,
    errors,
)
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


@router.get("/audit", response_model=AuditLog,
            summary="What partner agents did in your organisation, newest first.")
async def audit(admin: CustomerAdmin, services: ServicesDep, filters: Annotated[AuditFilters, Query()]
                ) -> dict[str, Any]:
    return await services.access.org_audit(admin.org_id, filters)


@router.get("/access-requests", response_model=list[AccessRequestEntry],
            summary="Partner agents' requests for full admin access to your organisation, newest first.")
async def access_requests(admin: CustomerAdmin, services: ServicesDep) -> list[dict[str, Any]]:
    return await services.access.access_requests(admin.org_id)


@router.post("/access-requests/{request_id}/approve", response_model=AccessRequestEntry, responses=errors(404, 409),
             summary="Approve a waiting request: the agent has full admin access to your organisation for an hour.")
async def approve_request(request_id: str, admin: CustomerAdmin, services: ServicesDep) -> dict[str, Any]:
    return await found_or(REQUEST_NOT_FOUND, services.access.approve_request(
        admin.org_id, known_request_id(request_id), by=admin.user_id))


@router.post("/access-requests/{request_id}/deny", response_model=AccessRequestEntry, responses=errors(404, 409),
             summary="Deny a waiting request: the agent gets no admin access from it.")
async def deny_request(request_id: str, admin: CustomerAdmin, services: ServicesDep) -> dict[str, Any]:
    return await found_or(REQUEST_NOT_FOUND, services.access.deny_request(
        admin.org_id, known_request_id(request_id), by=admin.user_id))


@router.delete("/access-requests/{request_id}", status_code=204, response_class=Response, responses=errors(404, 409),
               summary="End an approved request's full admin access at once; its admin sessions stop working.")
async def end_request(request_id: str, admin: CustomerAdmin, services: ServicesDep) -> Response:
    await found_or(REQUEST_NOT_FOUND, services.access.end_request(
        admin.org_id, known_request_id(request_id), by=admin.user_id))
    return Response(status_code=204)
