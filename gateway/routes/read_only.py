"""Read-only sessions: an agent opens a customer's org under the customer's grant, and reads what the customer's
own admins see (users, devices, licences, settings) with the session's token, which opens nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.audit import AuditDep, AuditTrail
from gateway.auth import HelpdeskAgent, Principal, current_principal
from gateway.clients.base import found_or
from gateway.deps import ServicesDep
from gateway.schemas import (
    COMMON_ERRORS,
    ReadOnlyDevices,
    ReadOnlyLicenses,
    ReadOnlySessionOpened,
    ReadOnlySessionRequest,
    ReadOnlySettings,
    ReadOnlyUsers,
    errors,
)
from gateway.sessions import OpenSession, SessionProjection
from gateway.tenancy import identity_view, not_found
from runtime.web import ApiError

_bearer = HTTPBearer(auto_error=False)


async def _sessions(request: Request) -> SessionProjection:
    sessions: SessionProjection = request.app.state.sessions
    return sessions


SessionsDep = Annotated[SessionProjection, Depends(_sessions)]
router = APIRouter(prefix="/api/v1", tags=["read-only sessions"], responses={**COMMON_ERRORS, **errors(404)})
Cursor = Annotated[str | None, Query(max_length=256, description="The `next_cursor` of the page before.")]
_ENDED = {
    "revoked": "The customer revoked your partner's read-only access, which ended this session.",
    "grant_expired": "The customer's grant of read-only access expired, which ended this session.",
    "role_lost": "You no longer hold the Help Desk role for the partner this session was opened for.",
    "expired": "This read-only session has expired. Open a new one from the customer's page.",
}


@router.post("/customers/{org_id}/read-only-sessions", status_code=201, response_model=ReadOnlySessionOpened,
             responses=errors(403), summary="Open a customer's org read-only for 15 minutes, while it grants access.")
async def start(org_id: str, body: ReadOnlySessionRequest, agent: HelpdeskAgent, services: ServicesDep,
                audit: AuditDep, sessions: SessionsDep) -> dict[str, Any]:
    await identity_view("customer", services.identity.customer, org_id, agent)
    opened = await services.access.start_read_only_session(
        org_id, partner_id=agent.partner_id, agent_id=agent.user_id, agent_email=agent.email, reason=body.reason)
    await audit.record(agent, "read_only_session.started", "read_only_session", opened["session_id"], org_id,
                       reason=body.reason)
    sessions.opened(opened["token"], OpenSession(
        opened["session_id"], org_id, agent.user_id, agent.email, agent.partner_id, body.reason,
        datetime.fromisoformat(opened["expires_at"])))
    return opened


@dataclass(frozen=True)
class Reader:
    """Who reads through a session, as the audit trail names them, and the session."""

    agent: Principal
    session: OpenSession


async def _reader(request: Request, org_id: str,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Reader:
    """The open session the bearer token names, for this org, of an agent who holds the Help Desk role for the
    session's partner now; 401 for any other token (403 for a sign-in token), 404 for another org."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthenticated", "Please open a read-only session: this request needs its token.",
                       headers={"WWW-Authenticate": "Bearer"})
    sessions = await _sessions(request)
    session = sessions.session(credentials.credentials)
    if session is None:
        await current_principal(request, credentials)  # 401 unless it is a sign-in token
        raise ApiError(403, "forbidden", "This needs a read-only session's token, not your sign-in: open a "
                                         "read-only session from the customer's page.")
    if session.ended_why is not None or sessions.clock() >= session.expires_at:
        code = "session_expired" if session.ended_why in (None, "expired") else "session_ended"
        raise ApiError(401, code, _ENDED[session.ended_why or "expired"])
    if org_id != session.org_id:
        raise not_found("customer")
    standing = request.app.state.roles.standing(session.agent_id)
    agent = Principal(user_id=session.agent_id, email=session.agent_email, name="", org_id=standing.org_id,
                      partner_id=standing.partner_id, roles=standing.roles)
    if not agent.has("helpdesk") or agent.partner_id != session.partner_id:
        raise ApiError(403, "forbidden", _ENDED["role_lost"])
    return Reader(agent, session)


ReadOnlyReader = Annotated[Reader, Depends(_reader)]


@router.get("/read-only/{org_id}/users", response_model=ReadOnlyUsers,
            summary="The customer's users with status, licences and roles, as its admins see them; by page.")
async def users(reader: ReadOnlyReader, services: ServicesDep, audit: AuditDep, cursor: Cursor = None
                ) -> dict[str, Any]:
    return await _page(reader, "users", cursor, services, audit)


@router.get("/read-only/{org_id}/devices", response_model=ReadOnlyDevices,
            summary="The customer's devices, as its admins see them; by page.")
async def devices(reader: ReadOnlyReader, services: ServicesDep, audit: AuditDep, cursor: Cursor = None
                  ) -> dict[str, Any]:
    return await _page(reader, "devices", cursor, services, audit)


@router.get("/read-only/{org_id}/licenses", response_model=ReadOnlyLicenses,
            summary="The customer's licences and subscriptions, as its admins see them; by page.")
async def licenses(reader: ReadOnlyReader, services: ServicesDep, audit: AuditDep, cursor: Cursor = None
                   ) -> dict[str, Any]:
    return await _page(reader, "licenses", cursor, services, audit)


@router.get("/read-only/{org_id}/settings", response_model=ReadOnlySettings,
            summary="The customer's settings: domains, sites, country and features in use.")
async def settings(reader: ReadOnlyReader, services: ServicesDep, audit: AuditDep) -> dict[str, Any]:
    session = reader.session
    found = await found_or(not_found("customer"),
                           services.identity.read_only_settings(session.org_id, session.partner_id))
    await _audited(audit, reader, "settings")
    return found


async def _page(reader: Reader, part: str, cursor: str | None, services: ServicesDep, audit: AuditTrail
                ) -> dict[str, Any]:
    session = reader.session
    found = await found_or(not_found("customer"),
                           services.identity.read_only_page(session.org_id, part, session.partner_id, cursor))
    await _audited(audit, reader, part)
    return found


async def _audited(audit: AuditTrail, reader: Reader, part: str) -> None:
    session = reader.session
    await audit.record(reader.agent, f"read_only_session.{part}_viewed", "read_only_session", session.session_id,
                       session.org_id, reason=session.reason)
