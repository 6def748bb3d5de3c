"""Identity's internal API as the gateway asks it: views for an agent's partner, logins, partners' agents, imports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from gateway.auth import Principal
from gateway.clients.base import Channel, ServiceClient, found_or, segment
from runtime.web import ApiError

View = dict[str, Any]


class IdentityClient(ServiceClient):
    def __init__(self, channel: httpx.AsyncClient | Channel) -> None:
        super().__init__("identity", channel)

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

    async def change_user(self, org_id: str, user_id: str, partner_id: str, change: dict[str, Any]) -> View:
        """Change a user of the customer `org_id` (status, licences, features) for an agent of `partner_id` with
        full admin access; 404 user_not_found for anyone else's user, 422 unknown_license."""
        changed: View = await self._call("PATCH", f"/internal/customers/{segment(org_id)}/users/{segment(user_id)}",
                                         params={"partner_id": partner_id}, json=change)
        return changed

    # What a customer's own admins see of their org, for a read-only session of an agent of `partner_id`; 404
    # customer_not_found when the partner does not manage it.
    async def read_only_page(self, org_id: str, part: str, partner_id: str, cursor: str | None) -> View:
        """A page of the org's `users`, `devices` or `licenses` after `cursor`: `{items, next_cursor, ...}`."""
        found: View = await self.get(f"{_read_only(org_id)}/{segment(part)}", partner_id=partner_id, cursor=cursor)
        return found

    async def read_only_settings(self, org_id: str, partner_id: str) -> View:
        found: View = await self.get(f"{_read_only(org_id)}/settings", partner_id=partner_id)
        return found


def _agents(partner_id: str) -> str:
    return f"/internal/partners/{segment(partner_id)}/helpdesk-agents"


def _read_only(org_id: str) -> str:
    return f"/internal/customers/{segment(org_id)}/read-only"
