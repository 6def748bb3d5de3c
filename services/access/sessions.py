"""Read-only sessions: an agent opens a customer's org read-only under the customer's grant; pure rules, no I/O.

A session lasts 15 minutes at most and names one org, one agent and the agent's partner. It ends sooner when the
grant it was opened under ends (revoked, the customer left the partner, or expired) or when the agent no longer
holds the Help Desk role for that partner. Its token is random and kept only as a hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from runtime.versioned import Versioned
from services.access.domain import Grant

SESSION_LIFETIME = timedelta(minutes=15)
HELPDESK_ROLES = frozenset({"helpdesk", "helpdesk_advanced"})
"""The roles that let an agent keep a read-only session open."""

NotGrantedWhy = Literal["never_granted", "revoked", "expired"]
EndedWhy = Literal["revoked", "grant_expired", "role_lost", "expired"]


class AccessNotGranted(PermissionError):
    """The customer does not grant the agent's partner read-only access now; `why` says what became of it."""

    def __init__(self, why: NotGrantedWhy, since: datetime | None) -> None:
        super().__init__(why)
        self.why, self.since = why, since

    def sentence(self) -> str:
        when = f" on {self.since:%Y-%m-%d at %H:%M} UTC" if self.since else ""
        return {
            "never_granted": "This customer has not granted your partner read-only access. One of its admins can "
                             "grant it from their admin page.",
            "revoked": f"This customer revoked your partner's read-only access{when}. One of its admins can grant it "
                       "again.",
            "expired": f"This customer's grant of read-only access to your partner expired{when}. One of its admins "
                       "can grant it again.",
        }[self.why]


class GrantStanding(BaseModel):
    """A customer's grant as it stands for one partner now: whether it is granted, since and until when, or why
    not."""

    model_config = ConfigDict(frozen=True)

    granted: bool
    partner_id: str | None
    expires_at: datetime | None
    since: datetime | None  # granted: when it was given; not granted: when it ended (None if it never was)
    why_not: NotGrantedWhy | None


def standing(grant: Grant | None, partner_id: str, now: datetime) -> GrantStanding:
    """What the customer's grant means for `partner_id` now; a grant to another partner is none of its."""
    if grant is None or grant.partner_id != partner_id:
        return GrantStanding(granted=False, partner_id=partner_id, expires_at=None, since=None,
                             why_not="never_granted")
    if grant.revoked_at is not None:
        return GrantStanding(granted=False, partner_id=partner_id, expires_at=None, since=grant.revoked_at,
                             why_not="revoked")
    if not grant.active(now):
        return GrantStanding(granted=False, partner_id=partner_id, expires_at=None, since=grant.expires_at,
                             why_not="expired")
    return GrantStanding(granted=True, partner_id=partner_id, expires_at=grant.expires_at, since=grant.granted_at,
                         why_not=None)


class ReadOnlySession(Versioned):
    id: str
    org_id: str
    partner_id: str
    agent_id: str
    agent_email: str = ""
    reason: str
    token_hash: str
    started_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    ended_why: EndedWhy | None = None
    open: bool = True  # stored for the lookups of open sessions; False once ended


def token_hash(token: str) -> str:
    """What is kept of a token: its SHA-256. A token is 256 random bits, so its hash cannot be reversed by trial."""
    return hashlib.sha256(token.encode()).hexdigest()


def opened(grant: Grant | None, session_id: str, token: str, org_id: str, partner_id: str, agent_id: str,
           agent_email: str, reason: str, now: datetime) -> ReadOnlySession:
    """A new session under the customer's grant to `partner_id`; AccessNotGranted when it does not stand."""
    found = standing(grant, partner_id, now)
    if found.why_not is not None:
        raise AccessNotGranted(found.why_not, found.since)
    return ReadOnlySession(id=session_id, org_id=org_id, partner_id=partner_id, agent_id=agent_id,
                           agent_email=agent_email, reason=reason, token_hash=token_hash(token), started_at=now,
                           expires_at=now + SESSION_LIFETIME)


def ended(session: ReadOnlySession | None, why: EndedWhy, now: datetime, cause_at: datetime | None = None
          ) -> ReadOnlySession | None:
    """The session ended for `why`; None when it has ended already, or when it began after `cause_at`, the moment
    of what ends it (an old revocation read again never ends a session opened under a later grant)."""
    if session is None or not session.open or (cause_at is not None and session.started_at > cause_at):
        return None
    return session.model_copy(update={"ended_at": now, "ended_why": why, "open": False})


def lapsed(session: ReadOnlySession | None, now: datetime) -> ReadOnlySession | None:
    """The session ended because its 15 minutes passed; None before then, or when it has ended already."""
    if session is None or now < session.expires_at:
        return None
    return ended(session, "expired", now)


def keeps_the_role(roles: Iterable[str], user_partner_id: str | None, session: ReadOnlySession) -> bool:
    """Whether an agent with these roles, held for `user_partner_id`, may keep this session open."""
    return bool(HELPDESK_ROLES & set(roles)) and user_partner_id == session.partner_id
