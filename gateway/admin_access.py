"""Full admin access as the gateway grants it: who a request is mailed to, and an agent's admin session.

An admin session counts only with the agent's own sign-in: the caller must hold Help Desk Advanced for their partner
now (the role projection), and the access service is asked on every request whether the session's approval still
stands, so an approval an admin ended, or past its hour, refuses at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header

from gateway.auth import HelpdeskAdvancedAgent, Principal
from gateway.clients.identity import IdentityClient, View
from gateway.deps import ServicesDep
from gateway.tenancy import MAX_ID_LENGTH, not_found
from runtime.web import ApiError

SESSION_HEADER = "X-Admin-Session"
REQUEST_NOT_FOUND = ApiError(404, "access_request_not_found",
                             "No such request for full admin access to your organisation.")


@dataclass(frozen=True)
class Asker:
    """The agent as a customer's admins see them in a request: their name and their partner's."""

    agent_name: str
    partner_name: str


async def asker(agent: Principal, identity: IdentityClient) -> Asker:
    """The agent's name and partner as identity knows them now (the partner's own staff org bears its name)."""
    me = await identity.user(agent.user_id, agent.partner_id)
    return Asker(agent_name=me.get("display_name") or agent.name or agent.email,
                 partner_name=me.get("org_name") or agent.partner_id)


async def recipients(customer: View, agent: Principal, identity: IdentityClient) -> list[dict[str, str]]:
    """Each admin of the customer (identity's view) with the language they read their mail in."""
    admins: list[dict[str, Any]] = customer.get("admins", [])
    users = await asyncio.gather(*(identity.user(a["user_id"], agent.partner_id) for a in admins),
                                 return_exceptions=True)
    found: list[dict[str, str]] = []
    for admin, user in zip(admins, users, strict=True):
        if isinstance(user, ApiError) and user.status == 404:
            continue  # no longer there since the customer was read: nobody to mail
        if isinstance(user, BaseException):
            raise user
        found.append({"address": admin["email"], "name": admin["name"], "locale": user.get("locale", "en")})
    return found


@dataclass(frozen=True)
class AdminSession:
    """What an admin session opens: one customer org, for this agent, under one approved request."""

    agent: Principal
    org_id: str
    request_id: str
    reason: str

    @property
    def audit_reason(self) -> str:
        return naming_request(self.reason, self.request_id)


def naming_request(reason: str, request_id: str) -> str:
    """The reason the customer reads in its audit log for an action under full admin access: the request's, and
    which request it was."""
    return f"{reason} (full admin access request {request_id})"


async def _admin_session(org_id: str, agent: HelpdeskAdvancedAgent, services: ServicesDep,
                         token: Annotated[str | None, Header(alias=SESSION_HEADER, description=(
                             "The token of an admin session opened on this customer."))] = None) -> AdminSession:
    if not token:
        raise ApiError(401, "admin_session_required", f"This needs an admin session: open one on this customer and "
                                                      f"send its token as the {SESSION_HEADER} header.")
    if len(token) > MAX_ID_LENGTH:
        raise ApiError(401, "invalid_admin_session", "This admin session is not known, or not yours. Open a new one.")
    standing = await services.access.admin_session(token, agent_id=agent.user_id)
    if standing["org_id"] != org_id:
        raise not_found("customer")  # the session opens its own org only; any other is as unknown as can be
    if standing["partner_id"] != agent.partner_id:
        raise ApiError(403, "access_not_granted", "You now act for another partner than the one this admin session "
                                                  "was opened for.")
    return AdminSession(agent=agent, org_id=org_id, request_id=standing["request_id"], reason=standing["reason"])


AdminSessionDep = Annotated[AdminSession, Depends(_admin_session)]


def known_request_id(request_id: str) -> str:
    """The id, when it can be one: a longer one is unknown without asking (see tenancy.MAX_ID_LENGTH)."""
    if len(request_id) > MAX_ID_LENGTH:
        raise REQUEST_NOT_FOUND
    return request_id


def open_request(requests: list[dict[str, Any]], partner_id: str) -> dict[str, Any] | None:
    """The newest request of the partner's agents for full admin access that is waiting or open, if any (the
    access service lists them newest first)."""
    return next((r for r in requests if r.get("partner_id") == partner_id and r.get("status") in ("pending",
                                                                                                  "approved")), None)
