"""The access service's internal API as the gateway asks it: a customer's read-only grant, given and revoked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from pydantic_core import to_jsonable_python

from gateway.clients.base import Channel, ServiceClient, segment
from gateway.schemas import AuditFilters, PartnerAuditFilters


class AccessClient(ServiceClient):
    def __init__(self, channel: httpx.AsyncClient | Channel) -> None:
        super().__init__("access", channel)

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

    async def org_audit(self, org_id: str, filters: AuditFilters) -> dict[str, Any]:
        """A page of what agents did in the org, newest first: `{"entries", "next_cursor"}`."""
        page: dict[str, Any] = await self.get("/internal/audit", org_id=org_id, **_audit_filters(filters))
        return page

    async def partner_audit(self, partner_id: str, filters: PartnerAuditFilters) -> dict[str, Any]:
        """A page of what the partner's agents did, across its customers (or in `filters.org_id`)."""
        page: dict[str, Any] = await self.get("/internal/audit", partner_id=partner_id, **_audit_filters(filters))
        return page

    # Full admin access on a customer's approval: requests, the customer admins' answers, admin sessions.
    async def request_admin_access(self, org_id: str, *, partner_id: str, agent_id: str, agent_name: str,
                                   partner_name: str, reason: str, admins: list[dict[str, str]]) -> dict[str, Any]:
        """Record the request; the access service announces it, and the email service mails each of `admins`
        (`{address, name, locale}`)."""
        asked: dict[str, Any] = await self.post(_requests(org_id), {
            "partner_id": partner_id, "agent_id": agent_id, "agent_name": agent_name, "partner_name": partner_name,
            "reason": reason, "admins": admins})
        return asked

    async def access_requests(self, org_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.get(_requests(org_id))
        return found

    async def approve_request(self, org_id: str, request_id: str, *, by: str) -> dict[str, Any]:
        answered: dict[str, Any] = await self.post(f"{_request(org_id, request_id)}/approve", {"by": by})
        return answered

    async def deny_request(self, org_id: str, request_id: str, *, by: str) -> dict[str, Any]:
        answered: dict[str, Any] = await self.post(f"{_request(org_id, request_id)}/deny", {"by": by})
        return answered

    async def end_request(self, org_id: str, request_id: str, *, by: str) -> None:
        await self.delete(_request(org_id, request_id), by=by)

    async def open_admin_session(self, org_id: str, *, agent_id: str, partner_id: str) -> dict[str, Any]:
        """A session under the agent's approved request for the org; 403 access_not_granted, saying why, else."""
        opened: dict[str, Any] = await self.post(f"/internal/orgs/{segment(org_id)}/admin-sessions",
                                                 {"agent_id": agent_id, "partner_id": partner_id})
        return opened

    async def admin_session(self, token: str, *, agent_id: str) -> dict[str, Any]:
        """What the agent's admin session opens now (`org_id`, `partner_id`, `request_id`, `reason`); 401 for a
        token that is not theirs, 403 once the approval is over. The token travels in a body, never an address."""
        standing: dict[str, Any] = await self.post("/internal/admin-sessions/check",
                                                   {"token": token, "agent_id": agent_id})
        return standing

    # Read-only sessions, and how the customer's grant stands for them.
    async def grant_standing(self, org_id: str, partner_id: str) -> dict[str, Any]:
        """The customer's grant for `partner_id`: `{granted, expires_at, since, why_not}`."""
        standing: dict[str, Any] = await self.get(f"{_grant(org_id)}/standing", partner_id=partner_id)
        return standing

    async def start_read_only_session(self, org_id: str, *, partner_id: str, agent_id: str, agent_email: str,
                                      reason: str) -> dict[str, Any]:
        """`{session_id, token, expires_at}` while the customer grants `partner_id` access; 403 access_not_granted
        saying why (`why`: never_granted, revoked, expired) otherwise."""
        opened: dict[str, Any] = await self.post("/internal/read-only-sessions", {
            "org_id": org_id, "partner_id": partner_id, "agent_id": agent_id, "agent_email": agent_email,
            "reason": reason})
        return opened


def _grant(org_id: str) -> str:
    return f"/internal/grants/{segment(org_id)}"


def _audit_filters(filters: AuditFilters) -> dict[str, Any]:
    """The filters as query parameters, times in RFC 3339."""
    given: dict[str, Any] = to_jsonable_python(filters.model_dump(exclude_none=True))
    return given


def _requests(org_id: str) -> str:
    return f"/internal/orgs/{segment(org_id)}/access-requests"


def _request(org_id: str, request_id: str) -> str:
    return f"{_requests(org_id)}/{segment(request_id)}"
