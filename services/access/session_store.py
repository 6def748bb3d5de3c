"""Access's storage of read-only sessions: one versioned document per session, each change carrying its events."""

from __future__ import annotations

from runtime.versioned import VersionedStore
from services.access.sessions import ReadOnlySession

MOST_OPEN = 100_000
"""More open sessions than any deployment has at once: a lookup of open sessions reads them all."""


class SessionStore(VersionedStore[ReadOnlySession]):
    """Sessions keyed by their id; found by org, by agent, or open."""

    model = ReadOnlySession
    collection = "read_only_sessions"
    indexes = ("org_id", "agent_id", "open")

    async def open_sessions(self, **where: str) -> list[ReadOnlySession]:
        """The sessions not yet ended, those of one org or agent when given (`org_id=`, `agent_id=`)."""
        docs = await self.documents.find({**where, "open": True}, limit=MOST_OPEN)
        return [self.model.model_validate(doc) for doc in docs]
