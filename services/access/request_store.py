"""Storage of full admin requests (one versioned document each, found by org) and admin sessions (by token hash)."""

from __future__ import annotations

from runtime.versioned import VersionedStore
from services.access.requests import AccessRequest, AdminSession

# A customer's requests read for its admins' list; the documents' find has no order, so this bounds what is sorted.
ORG_HISTORY = 1000


class RequestStore(VersionedStore[AccessRequest]):
    """Requests keyed by their id, found by the customer org they ask about."""

    model = AccessRequest
    collection = "access_requests"
    indexes = ("org_id",)

    async def of_org(self, org_id: str, agent_id: str | None = None) -> list[AccessRequest]:
        """The org's requests, newest first; only `agent_id`'s when given."""
        where = {"org_id": org_id} | ({"agent_id": agent_id} if agent_id is not None else {})
        found = [self.model.model_validate(doc) for doc in await self.documents.find(where, ORG_HISTORY)]
        return sorted(found, key=lambda request: request.requested_at, reverse=True)


class AdminSessionStore(VersionedStore[AdminSession]):
    """Admin sessions keyed by the SHA-256 of their token: the token itself is never kept."""

    model = AdminSession
    collection = "admin_sessions"
