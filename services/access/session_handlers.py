"""Read-only sessions' use-cases: an agent opens one under the customer's grant; it ends with the grant, with the
agent's Help Desk role, or after its 15 minutes."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from contracts.access import AccessExpired, AccessRevoked, ReadOnlySessionEnded, ReadOnlySessionStarted
from contracts.identity import RoleAssigned, RoleRevoked
from runtime.logs import current_correlation_id
from runtime.times import utc_now
from runtime.versioned import Decision
from services.access import sessions
from services.access.session_store import SessionStore
from services.access.sessions import EndedWhy, GrantStanding, ReadOnlySession
from services.access.store import GrantStore

TOKEN_PREFIX = "ros_"
"""Every session token starts with it, so the gateway tells one from a sign-in token at a glance."""


async def start_session(org_id: str, partner_id: str, agent_id: str, agent_email: str, reason: str,
                        grants: GrantStore, store: SessionStore, now: datetime | None = None
                        ) -> tuple[ReadOnlySession, str]:
    """Open a session for the agent while the customer grants their partner access; the session and its token,
    which is given once and kept only as a hash. AccessNotGranted says why not."""
    at = now or utc_now()
    session_id, token = f"ros-{uuid.uuid4().hex}", TOKEN_PREFIX + secrets.token_urlsafe(32)
    session = sessions.opened(await grants.get(org_id), session_id, token, org_id, partner_id, agent_id,
                              agent_email, reason, at)

    def decide(current: ReadOnlySession | None) -> Decision[ReadOnlySession]:
        return session, [ReadOnlySessionStarted(
            session_id=session.id, org_id=org_id, agent_id=agent_id, agent_email=agent_email, reason=reason,
            expires_at=session.expires_at, token_hash=session.token_hash, partner_id=partner_id,
            correlation_id=current_correlation_id())]

    await store.change(session_id, decide)
    return session, token


async def grant_standing(org_id: str, partner_id: str, grants: GrantStore, now: datetime | None = None
                         ) -> GrantStanding:
    return sessions.standing(await grants.get(org_id), partner_id, now or utc_now())


async def end_session(session: ReadOnlySession, why: EndedWhy, store: SessionStore, now: datetime,
                      cause_at: datetime | None = None) -> bool:
    """End one session for `why`, announced; False when it had ended already (or began after `cause_at`)."""
    def decide(current: ReadOnlySession | None) -> Decision[ReadOnlySession]:
        return _announced(sessions.ended(current, why, now, cause_at))

    return (await store.change(session.id, decide)).changed


async def follow_grant(event: AccessRevoked | AccessExpired, store: SessionStore, now: datetime | None = None
                       ) -> int:
    """End the org's open sessions of the grant's partner, opened before the grant ended; how many ended."""
    why: EndedWhy = "revoked" if isinstance(event, AccessRevoked) else "grant_expired"
    at = now or utc_now()
    ended = 0
    for session in await store.open_sessions(org_id=event.org_id):
        if event.partner_id in (None, session.partner_id):
            ended += await end_session(session, why, store, at, cause_at=event.occurred_at)
    return ended


async def follow_agent(event: RoleAssigned | RoleRevoked, store: SessionStore, now: datetime | None = None) -> int:
    """End the agent's open sessions, opened before this change, once they no longer hold the Help Desk role for
    the session's partner; how many ended. An event without the user's whole standing says nothing of it."""
    if event.roles is None:
        return 0
    at = now or utc_now()
    ended = 0
    for session in await store.open_sessions(agent_id=event.user_id):
        if not sessions.keeps_the_role(event.roles, event.user_partner_id, session):
            ended += await end_session(session, "role_lost", store, at, cause_at=event.occurred_at)
    return ended


async def end_lapsed(store: SessionStore, now: datetime | None = None) -> datetime | None:
    """End every open session whose 15 minutes have passed; when the next one will, if any is open."""
    at = now or utc_now()
    upcoming: list[datetime] = []
    for session in await store.open_sessions():
        if at < session.expires_at:
            upcoming.append(session.expires_at)
            continue

        def decide(current: ReadOnlySession | None) -> Decision[ReadOnlySession]:
            return _announced(sessions.lapsed(current, at))

        await store.change(session.id, decide)
    return min(upcoming, default=None)


def _announced(session: ReadOnlySession | None) -> Decision[ReadOnlySession]:
    if session is None or session.ended_why is None:
        return None
    return session, [ReadOnlySessionEnded(session_id=session.id, org_id=session.org_id, agent_id=session.agent_id,
                                          why=session.ended_why, partner_id=session.partner_id,
                                          correlation_id=current_correlation_id())]
