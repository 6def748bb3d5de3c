"""Temporary full admin access on a customer's approval: pure rules, no I/O.

A Help Desk Advanced agent asks a customer for full admin access with a reason; the request waits an hour for one
of the customer's admins to approve or deny it, then lapses. An approval opens a one-hour window in which the agent
may open admin sessions; an admin may end the window sooner. Every status is decided here, by whoever reads the
request at the time of reading, never by the database that keeps it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from runtime.versioned import Versioned

ANSWER_WITHIN = timedelta(hours=1)
"""How long a request waits for an admin's answer before it lapses."""
WINDOW = timedelta(hours=1)
"""How long an approval gives the agent full admin access."""

Status = Literal["pending", "approved", "denied", "expired", "ended"]


class RequestNotFound(LookupError):
    """No request of this customer has this id (unknown, or another customer's: alike)."""


class AlreadyAnswered(Exception):
    """The request is no longer waiting for an answer: approved, denied or lapsed; says which."""

    def __init__(self, status: Status) -> None:
        super().__init__(f"This request is already {status}: it can no longer be approved or denied.")


class NotApproved(Exception):
    """Only an approved request's access can be ended; says where this one stands."""

    def __init__(self, status: Status) -> None:
        super().__init__(f"This request is {status}: it gives no access to end.")


class AccessNotGranted(Exception):
    """The agent has no full admin access to the customer now; the message says why, for the agent."""


class SessionNotFound(LookupError):
    """No admin session of this agent has this token."""


class AccessRequest(Versioned):
    """One agent's request for full admin access to one customer org, and what became of it."""

    request_id: str
    org_id: str
    partner_id: str
    agent_id: str
    agent_name: str
    partner_name: str = ""
    reason: str
    requested_at: datetime
    answer_by: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None
    denied_by: str | None = None
    denied_at: datetime | None = None
    ended_by: str | None = None
    ended_at: datetime | None = None

    def status(self, now: datetime) -> Status:
        if self.denied_at is not None:
            return "denied"
        if self.approved_at is not None:
            open_ = self.ended_at is None and now < self.approved_at + WINDOW
            return "approved" if open_ else "ended"
        return "pending" if now < self.answer_by else "expired"

    @property
    def expires_at(self) -> datetime:
        """When the request lapses (unanswered), or when its access ends or ended (approved)."""
        if self.approved_at is None:
            return self.answer_by
        return self.ended_at or self.approved_at + WINDOW


class AdminSession(Versioned):
    """An agent's session under an approved request; stored under the hash of its token, never the token."""

    session_id: str
    request_id: str
    org_id: str
    partner_id: str
    agent_id: str
    opened_at: datetime
    expires_at: datetime


class SessionStanding(BaseModel):
    """What an admin session opens now: one org, for one agent of one partner, under one request."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    request_id: str
    org_id: str
    partner_id: str
    agent_id: str
    reason: str
    expires_at: datetime


def asked(request_id: str, org_id: str, partner_id: str, agent_id: str, agent_name: str, partner_name: str,
          reason: str, now: datetime) -> AccessRequest:
    return AccessRequest(request_id=request_id, org_id=org_id, partner_id=partner_id, agent_id=agent_id,
                         agent_name=agent_name, partner_name=partner_name, reason=reason, requested_at=now,
                         answer_by=now + ANSWER_WITHIN)


def of_org(current: AccessRequest | None, org_id: str) -> AccessRequest:
    """The request, if it is this org's: another customer's answers like an unknown one."""
    if current is None or current.org_id != org_id:
        raise RequestNotFound(org_id)
    return current


def approved(current: AccessRequest | None, org_id: str, by: str, now: datetime) -> AccessRequest | None:
    """The request approved by `by` now; None when it already is (approving twice changes nothing)."""
    request = of_org(current, org_id)
    status = request.status(now)
    if status == "approved":
        return None
    if status != "pending":
        raise AlreadyAnswered(status)
    return request.model_copy(update={"approved_by": by, "approved_at": now})


def denied(current: AccessRequest | None, org_id: str, by: str, now: datetime) -> AccessRequest | None:
    """The request denied by `by` now; None when it already is."""
    request = of_org(current, org_id)
    status = request.status(now)
    if status == "denied":
        return None
    if status != "pending":
        raise AlreadyAnswered(status)
    return request.model_copy(update={"denied_by": by, "denied_at": now})


def ended(current: AccessRequest | None, org_id: str, by: str, now: datetime) -> AccessRequest | None:
    """The request's access ended by `by` now; None when it is over already (ended, or its hour passed)."""
    request = of_org(current, org_id)
    status = request.status(now)
    if status == "ended":
        return None
    if status != "approved":
        raise NotApproved(status)
    return request.model_copy(update={"ended_by": by, "ended_at": now})


def open_request(requests: list[AccessRequest], now: datetime) -> AccessRequest:
    """The approved request whose window lasts longest, among one agent's for one org; AccessNotGranted saying
    why when none is open."""
    open_ = [r for r in requests if r.status(now) == "approved"]
    if open_:
        return max(open_, key=lambda r: r.expires_at)
    statuses = {r.status(now) for r in requests}
    if "ended" in statuses:
        raise AccessNotGranted("The customer's approval has ended (after its hour, or an admin ended it). Ask "
                               "again if you still need full admin access.")
    if "pending" in statuses:
        raise AccessNotGranted("The customer has not approved your request yet.")
    raise AccessNotGranted("The customer has not granted you full admin access: ask for it first.")


def standing(session: AdminSession | None, request: AccessRequest | None, agent_id: str,
             now: datetime) -> SessionStanding:
    """What the session opens now; SessionNotFound when it is not this agent's, AccessNotGranted once the request's
    window is over (ended by an admin or past its hour)."""
    if session is None or session.agent_id != agent_id or request is None:
        raise SessionNotFound(agent_id)
    if request.status(now) != "approved":
        raise AccessNotGranted("The customer's approval has ended (after its hour, or an admin ended it): this admin "
                               "session no longer works.")
    return SessionStanding(session_id=session.session_id, request_id=request.request_id, org_id=session.org_id,
                           partner_id=session.partner_id, agent_id=session.agent_id, reason=request.reason,
                           expires_at=request.expires_at)
