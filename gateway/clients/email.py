"""The email service's internal API as the gateway asks it: an address's mail, its suppression, delivery reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from gateway.clients.base import ServiceClient, segment
from gateway.schemas import DeliveryReport
from runtime.web import ApiError


class EmailClient(ServiceClient):
    def __init__(self, http: httpx.AsyncClient) -> None:
        super().__init__("email", http)

    async def address(self, address: str) -> dict[str, Any]:
        """The address's recent mail and whether it is suppressed (the address is the service's key for a user)."""
        status: dict[str, Any] = await self.get(_address(address))
        return status

    async def address_unless_down(self, address: str) -> dict[str, Any] | None:
        """As `address`, or None while the service is down: a user's status, licences and devices are still worth
        seeing while their mail status is not."""
        try:
            return await self.address(address)
        except ApiError as error:
            if error.status != 503:
                raise
            return None

    async def check_suppressed(self, address: str) -> None:
        """Refuse (the email service's 404 not_suppressed) unless the address is on the suppression list: a removal
        is recorded before it is made, so what is recorded must be what is about to happen."""
        await self.get(f"{_address(address)}/suppression")

    async def remove_suppression(self, address: str, *, user_id: str, agent_id: str, partner_id: str) -> None:
        await self.delete(f"{_address(address)}/suppression", user_id=user_id, agent_id=agent_id,
                          partner_id=partner_id)

    async def record_reports(self, reports: Sequence[DeliveryReport]) -> dict[str, Any]:
        recorded: dict[str, Any] = await self.post(
            "/internal/email-events", [report.model_dump(mode="json", exclude_none=True) for report in reports])
        return recorded


def _address(address: str) -> str:
    return f"/internal/addresses/{segment(address)}"
