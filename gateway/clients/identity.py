"""Identity's internal API as the gateway asks it: views for an agent's partner, logins, partners' agents, imports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from gateway.auth import Principal
from gateway.clients.base import ServiceClient, found_or, segment
from runtime.web import ApiError

View = dict[str, Any]


class IdentityClient(ServiceClient):
    def __init__(self, http: httpx.AsyncClient) -> None:
        super().__init__("identity", http)

    # Each view is asked for the agent's partner: identity finds only what that partner manages (see tenancy.py).
    async def customer(self, org_id: str, partner_id: str) -> View:
        return await self._view(f"/internal/customers/{segment(org_id)}", partner_id)

    async def user(self, user_id: str, partner_id: str) -> View:
        return await self._view(f"/internal/users/{segment(user_id)}", partner_id)

    async def device(self, device_id: str, partner_id: str) -> View:
        return await self._view(f"/internal/devices/{segment(device_id)}", partner_id)

    async def order(self, number: str, partner_id: str) -> View:
        return await self._view(f"/internal/orders/{segment(number)}", partner_id)

    async def login(self, email: str) -> Principal:
        """Who signs in with this e-mail address, with the roles they hold and their org's partner (404 in the
        gateway's own words when nobody does, whatever identity's are)."""
        found = await found_or(ApiError(404, "user_not_found", "No user has this e-mail address."),
                               self.get("/internal/logins", email=email))
        user = found["user"]
        return Principal(user_id=user["id"], email=user["email"], name=user["display_name"], org_id=user["org_id"],
                         partner_id=found["partner_id"], roles=frozenset(user["roles"]))

    async def managing_partner(self, org_id: str, seen_partner_id: str | None = None) -> str:
        """The id of the partner that manages the customer now; identity refuses (409 partner_changed) when it is
        not the one `seen_partner_id` names."""
        found: dict[str, str] = await self.get(f"/internal/customers/{segment(org_id)}/partner",
                                               seen_partner_id=seen_partner_id or None)
        return found["partner_id"]

    async def helpdesk_agents(self, partner_id: str) -> list[dict[str, Any]]:
        agents: list[dict[str, Any]] = await self.get(_agents(partner_id))
        return agents

    async def set_helpdesk_level(self, partner_id: str, user_id: str, level: str) -> dict[str, Any]:
        """Give one of the partner's own people the Help Desk role at `level`, basic or advanced."""
        agent: dict[str, Any] = await self.put(f"{_agents(partner_id)}/{segment(user_id)}", {"level": level})
        return agent

    async def revoke_helpdesk_role(self, partner_id: str, user_id: str) -> None:
        await self.delete(f"{_agents(partner_id)}/{segment(user_id)}")

    async def import_records(self, ndjson: AsyncIterator[bytes]) -> dict[str, Any]:
        """Streamed as it arrives: an import is far larger than any other body."""
        report: dict[str, Any] = await self.post_stream("/internal/import", ndjson, "application/x-ndjson")
        return report

    async def _view(self, path: str, partner_id: str) -> View:
        view: View = await self.get(path, partner_id=partner_id)
        return view


def _agents(partner_id: str) -> str:
    return f"/internal/partners/{segment(partner_id)}/helpdesk-agents"
