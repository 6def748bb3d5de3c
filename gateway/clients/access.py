"""The access service's internal API as the gateway asks it: a customer's read-only grant, given and revoked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from pydantic_core import to_jsonable_python

from gateway.clients.base import ServiceClient, segment


class AccessClient(ServiceClient):
    def __init__(self, http: httpx.AsyncClient) -> None:
        super().__init__("access", http)

    async def grant_status(self, org_id: str, partner_id: str) -> dict[str, Any]:
        """Whether the customer grants read-only access now, counting only a grant to `partner_id`."""
        status: dict[str, Any] = await self.get(_grant(org_id), partner_id=partner_id)
        return status

    async def grant(self, org_id: str, *, partner_id: str, granted_by: str, expires_at: datetime | None
                    ) -> dict[str, Any]:
        status: dict[str, Any] = await self.put(_grant(org_id), {
            "partner_id": partner_id, "granted_by": granted_by, "expires_at": to_jsonable_python(expires_at)})
        return status

    async def revoke(self, org_id: str, *, revoked_by: str) -> None:
        await self.delete(_grant(org_id), revoked_by=revoked_by)


def _grant(org_id: str) -> str:
    return f"/internal/grants/{segment(org_id)}"
