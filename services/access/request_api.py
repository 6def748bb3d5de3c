"""Access's internal HTTP API for full admin requests and admin sessions, called by the gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from contracts.access import AdminRecipient
from runtime.outbox import OutboxRelay
from runtime.times import utc_now
from runtime.web import Refusal, Refusals
from services.access import full_admin, requests
from services.access.request_store import AdminSessionStore, RequestStore
from services.access.requests import AccessRequest, SessionStanding, Status

Id = Annotated[str, Field(min_length=1, max_length=256)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
ById = Annotated[str, Query(min_length=1, max_length=256, description="The customer admin who ends it.")]

REFUSALS: Refusals = {
    requests.RequestNotFound: Refusal(404, "access_request_not_found", "No such request for full admin access to "
                                                                       "your organisation."),
    requests.AlreadyAnswered: Refusal(409, "request_already_answered"),
    requests.NotApproved: Refusal(409, "request_not_approved"),
    requests.AccessNotGranted: Refusal(403, "access_not_granted"),
    requests.SessionNotFound: Refusal(401, "invalid_admin_session", "This admin session is not known, or not yours. "
                                                                    "Open a new one."),
}


class RequestBody(BaseModel):
    partner_id: Id = Field(description="The agent's partner, which manages the customer now.")
    agent_id: Id
    agent_name: str = Field(max_length=256)
    partner_name: str = Field("", max_length=256)
    reason: Reason
    admins: list[AdminRecipient] = Field(default_factory=list, max_length=100)


class RequestShown(BaseModel):
    """A request as the customer's admins see it."""

    request_id: str
    agent_id: str
    agent: str
    partner_id: str
    partner: str
    reason: str
    status: Status
    requested_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, request: AccessRequest) -> RequestShown:
        return cls(request_id=request.request_id, agent_id=request.agent_id, agent=request.agent_name,
                   partner_id=request.partner_id, partner=request.partner_name or request.partner_id,
                   reason=request.reason, status=request.status(utc_now()), requested_at=request.requested_at,
                   expires_at=request.expires_at)


class AnswerBody(BaseModel):
    by: Id = Field(description="The customer admin who answers.")


class SessionBody(BaseModel):
    agent_id: Id
    partner_id: Id


class SessionOpened(BaseModel):
    session_id: str
    token: str = Field(description="Given once: only its hash is kept.")
    expires_at: datetime
    request_id: str
    reason: str = Field(description="The reason of the request the session is opened under.")


class SessionCheck(BaseModel):
    token: str = Field(min_length=1, max_length=256)
    agent_id: Id


def router(store: RequestStore, sessions: AdminSessionStore, relay: OutboxRelay) -> APIRouter:
    api = APIRouter(prefix="/internal")
    of_org = "/orgs/{org_id}/access-requests"

    @api.post(of_org, status_code=201, summary="Record an agent's request for full admin access; mail the admins.")
    async def ask(org_id: str, body: RequestBody) -> RequestShown:
        request = await full_admin.request_access(org_id, body.partner_id, body.agent_id, body.agent_name,
                                                  body.partner_name, body.reason, body.admins, store)
        relay.kick()
        return RequestShown.of(request)

    @api.get(of_org, summary="The customer's requests for full admin access, newest first.")
    async def list_requests(org_id: str) -> list[RequestShown]:
        return [RequestShown.of(r) for r in await full_admin.requests_of(org_id, store)]

    @api.post(of_org + "/{request_id}/approve", summary="Approve a waiting request: an hour of full admin access.")
    async def approve(org_id: str, request_id: str, body: AnswerBody) -> RequestShown:
        return _kicked(relay, await full_admin.approve(org_id, request_id, body.by, store))

    @api.post(of_org + "/{request_id}/deny", summary="Turn a waiting request down.")
    async def deny(org_id: str, request_id: str, body: AnswerBody) -> RequestShown:
        return _kicked(relay, await full_admin.deny(org_id, request_id, body.by, store))

    @api.delete(of_org + "/{request_id}", status_code=204, response_class=Response,
                summary="End an approved request's full admin access at once.")
    async def end(org_id: str, request_id: str, by: ById) -> Response:
        _kicked(relay, await full_admin.end(org_id, request_id, by, store))
        return Response(status_code=204)

    @api.post("/orgs/{org_id}/admin-sessions", status_code=201,
              summary="Open an admin session under the agent's approved request; 403 access_not_granted otherwise.")
    async def open_session(org_id: str, body: SessionBody) -> SessionOpened:
        session, token, request = await full_admin.open_session(org_id, body.agent_id, body.partner_id, store,
                                                                sessions)
        return SessionOpened(session_id=session.session_id, token=token, expires_at=session.expires_at,
                             request_id=session.request_id, reason=request.reason)

    @api.post("/admin-sessions/check", summary="What an agent's admin session opens now (the token in the body, "
                                                "never in an address).")
    async def check_session(body: SessionCheck) -> SessionStanding:
        return await full_admin.check_session(body.token, body.agent_id, store, sessions)

    return api


def _kicked(relay: OutboxRelay, request: AccessRequest) -> RequestShown:
    relay.kick()
    return RequestShown.of(request)
