"""The search service's internal API as the gateway asks it: one search within one partner's customers."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.clients.base import Channel, ServiceClient


class SearchClient(ServiceClient):
    def __init__(self, channel: httpx.AsyncClient | Channel) -> None:
        super().__init__("search", channel)

    async def search(self, q: str, *, partner_id: str, org_id: str | None, limit: int) -> dict[str, Any]:
        """Customers, users, devices and orders of the customers `partner_id` manages, `org_id` only if given."""
        result: dict[str, Any] = await self.get("/internal/search", q=q, partner_id=partner_id, org_id=org_id,
                                                limit=limit)
        return result
