"""Read-only sessions and grants that end on time, as parts of the access service: the sessions' store, routes and
subscriptions, the timer, and the refusals; app.py puts them in."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from contracts.access import AccessExpired, AccessGranted, AccessRevoked
from contracts.identity import RoleAssigned, RoleRevoked
from runtime.bus import Subscription, subscribe
from runtime.outbox import OutboxRelay
from runtime.timer import Timer
from runtime.web import Refusal, Refusals
from services.access import grant_expiry, session_api, session_handlers
from services.access.session_store import SessionStore
from services.access.sessions import AccessNotGranted
from services.access.store import GrantStore

REFUSALS: Refusals = {
    AccessNotGranted: Refusal(403, "access_not_granted", lambda error: _sentence(error),
                              details=lambda error: {"why": getattr(error, "why", "never_granted")}),
}


def _sentence(error: Exception) -> str:
    return error.sentence() if isinstance(error, AccessNotGranted) else str(error)


class ReadOnlyParts:
    """What read-only sessions and timely grant ends add to the service; `sessions.documents` joins the relay."""

    def __init__(self, grants: GrantStore, sessions: SessionStore) -> None:
        self.grants, self.sessions = grants, sessions
        self.relay: OutboxRelay | None = None
        self._everything = True  # the first look reads every grant (see grant_expiry.expire_due)
        self.timer = Timer(self.due)

    def router(self, relay: OutboxRelay) -> APIRouter:
        self.relay = relay
        return session_api.router(self.grants, self.sessions, relay)

    async def due(self, now: datetime) -> datetime | None:
        """End what is due at `now`: grants past their time, sessions past their 15 minutes; the next such time."""
        grants = await grant_expiry.expire_due(self.grants, now, everything=self._everything)
        self._everything = False
        sessions = await session_handlers.end_lapsed(self.sessions, now)
        self._kick_relay()
        return min((t for t in (grants, sessions) if t is not None), default=None)

    def subscriptions(self) -> list[Subscription]:
        return [subscribe("access.sessions", {
            AccessGranted: self._grant_given, AccessRevoked: self._grant_ended, AccessExpired: self._grant_ended,
            RoleAssigned: self._roles_changed, RoleRevoked: self._roles_changed})]

    async def _grant_given(self, event: AccessGranted) -> None:
        self.timer.kick()  # a grant until a time: watch it from now, not from the next look

    async def _grant_ended(self, event: AccessRevoked | AccessExpired) -> None:
        if await session_handlers.follow_grant(event, self.sessions):
            self._kick_relay()

    async def _roles_changed(self, event: RoleAssigned | RoleRevoked) -> None:
        if await session_handlers.follow_agent(event, self.sessions):
            self._kick_relay()

    def _kick_relay(self) -> None:
        if self.relay is not None:
            self.relay.kick()

    async def start(self) -> None:
        await self.sessions.create_indexes()
        await self.timer.start()

    async def stop(self) -> None:
        await self.timer.stop()
