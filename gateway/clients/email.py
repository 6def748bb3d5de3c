"""The email service's internal API as the gateway asks it: an address's mail, its suppression, delivery reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from gateway.clients.base import Channel, ServiceClient, segment
from gateway.schemas import DeliveryReport
from runtime.web import ApiError


class EmailClient(ServiceClient):
    def __init__(self, channel: httpx.AsyncClient | Channel) -> None:
        super().__init__("email", channel)

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

    async def reserve_code(self, user: dict[str, Any], agent_id: str, partner_id: str) -> dict[str, Any]:
        """Count a code for `user` (identity's view) against the user's and the agent's limits; 429 past them."""
        reserved: dict[str, Any] = await self.post("/internal/verification-codes", {
            "user_id": user["id"], "org_id": user["org_id"], "partner_id": partner_id, "agent_id": agent_id,
            "address": user["email"], "name": user.get("display_name", ""), "locale": user.get("locale", "en")})
        return reserved

    async def check_code(self, code_id: str, user_id: str, code: str) -> dict[str, Any]:
        checked: dict[str, Any] = await self.post(f"/internal/verification-codes/{segment(code_id)}/check",
                                                  {"user_id": user_id, "code": code})
        return checked

    async def record_reports(self, reports: Sequence[DeliveryReport]) -> dict[str, Any]:
        recorded: dict[str, Any] = await self.post(
            "/internal/email-events", [report.model_dump(mode="json", exclude_none=True) for report in reports])
        return recorded

    async def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        """The mails the embedded mode kept instead of sending, newest first; 404 no_outbox when mail is sent."""
        kept: list[dict[str, Any]] = await self.get("/internal/outbox", to=to)
        return kept


def _address(address: str) -> str:
    return f"/internal/addresses/{segment(address)}"
