"""Access's internal HTTP API, called by the gateway."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from runtime.outbox import OutboxRelay
from runtime.times import UtcTime
from services.access import handlers
from services.access.domain import AccessStatus
from services.access.store import GrantStore

Id = Annotated[str, Field(min_length=1, max_length=256)]


class GrantBody(BaseModel):
    partner_id: Id = Field(description="The partner that manages the customer now: the grant is to it.")
    granted_by: Id = Field(description="The customer admin who grants it.")
    expires_at: UtcTime | None = Field(None, description="When the grant ends by itself; null: when revoked.")


def router(store: GrantStore, relay: OutboxRelay) -> APIRouter:
    api = APIRouter(prefix="/internal/grants/{org_id}")

    @api.get("", summary="Whether the customer grants read-only access now, to `partner_id` if given.")
    async def read(org_id: str, partner_id: Annotated[str | None, Query(max_length=256)] = None) -> AccessStatus:
        return await handlers.read_access(org_id, store, partner_id)

    @api.put("", summary="Grant the customer's managing partner read-only access.")
    async def grant(org_id: str, body: GrantBody) -> AccessStatus:
        status = await handlers.grant_access(org_id, body.partner_id, body.granted_by, body.expires_at, store)
        relay.kick()
        return status

    @api.delete("", status_code=204, response_class=Response,
                summary="Revoke the customer's grant; revoking when none is active changes nothing.")
    async def revoke(org_id: str, revoked_by: Annotated[str, Query(min_length=1, max_length=256)]) -> Response:
        if await handlers.revoke_access(org_id, revoked_by, store):
            relay.kick()
        return Response(status_code=204)

    return api
