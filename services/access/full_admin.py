"""Full admin access on a customer's approval: an agent asks, a customer admin approves, denies or ends it, and the
agent opens admin sessions while the approval lasts. Each change and its event are one document write."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from contracts import Event
from contracts.access import (
    AccessRequestApproved,
    AccessRequestDenied,
    AccessRequested,
    AccessRequestEnded,
    AdminRecipient,
)
from runtime.logs import current_correlation_id
from runtime.times import utc_now
from runtime.versioned import Decision
from services.access import requests
from services.access.request_store import AdminSessionStore, RequestStore
from services.access.requests import AccessRequest, AdminSession, SessionStanding


def token_digest(token: str) -> str:
    """What is kept of a session's token: a token has 256 random bits, so a plain hash cannot be guessed back."""
    return hashlib.sha256(token.encode()).hexdigest()


async def request_access(org_id: str, partner_id: str, agent_id: str, agent_name: str, partner_name: str,
                         reason: str, admins: Sequence[AdminRecipient], store: RequestStore,
                         now: datetime | None = None) -> AccessRequest:
    """Record an agent's request for full admin access, announced with the admins to mail it to."""
    request = requests.asked(f"ar-{uuid.uuid4().hex}", org_id, partner_id, agent_id, agent_name, partner_name,
                             reason, now or utc_now())
    event = AccessRequested(request_id=request.request_id, org_id=org_id, agent_id=agent_id, agent_name=agent_name,
                            reason=reason, expires_at=request.answer_by, partner_name=partner_name,
                            admins=tuple(admins), partner_id=partner_id, correlation_id=current_correlation_id())
    saved = (await store.change(request.request_id, lambda current: (request, [event]))).record
    assert saved is not None
    return saved


async def requests_of(org_id: str, store: RequestStore) -> list[AccessRequest]:
    """The customer's requests, newest first."""
    return await store.of_org(org_id)


async def approve(org_id: str, request_id: str, approved_by: str, store: RequestStore,
                  now: datetime | None = None) -> AccessRequest:
    """Approve a waiting request: the agent has full admin access for an hour. Approving twice changes nothing."""
    return await _answered(store, request_id, lambda current, at: requests.approved(current, org_id, approved_by, at),
                           lambda request: AccessRequestApproved(
                               request_id=request_id, org_id=org_id, approved_by=approved_by,
                               expires_at=request.expires_at, partner_id=request.partner_id,
                               correlation_id=current_correlation_id()), now)


async def deny(org_id: str, request_id: str, denied_by: str, store: RequestStore,
               now: datetime | None = None) -> AccessRequest:
    """Turn a waiting request down. Denying twice changes nothing."""
    return await _answered(store, request_id, lambda current, at: requests.denied(current, org_id, denied_by, at),
                           lambda request: AccessRequestDenied(
                               request_id=request_id, org_id=org_id, denied_by=denied_by,
                               partner_id=request.partner_id, correlation_id=current_correlation_id()), now)


async def end(org_id: str, request_id: str, ended_by: str, store: RequestStore,
              now: datetime | None = None) -> AccessRequest:
    """End an approved request's access at once: its admin sessions refuse from the next request on."""
    return await _answered(store, request_id, lambda current, at: requests.ended(current, org_id, ended_by, at),
                           lambda request: AccessRequestEnded(
                               request_id=request_id, org_id=org_id, ended_by=ended_by,
                               partner_id=request.partner_id, correlation_id=current_correlation_id()), now)


async def _answered(store: RequestStore, request_id: str,
                    rule: Callable[[AccessRequest | None, datetime], AccessRequest | None],
                    announce: Callable[[AccessRequest], Event], now: datetime | None) -> AccessRequest:
    """The request after a customer admin's answer: `rule` decides (None: nothing changes), `announce` says it."""
    at = now or utc_now()

    def decide(current: AccessRequest | None) -> Decision[AccessRequest]:
        request = rule(current, at)
        return None if request is None else (request, [announce(request)])

    return await _changed(store, request_id, decide)


async def open_session(org_id: str, agent_id: str, partner_id: str, store: RequestStore,
                       sessions: AdminSessionStore, now: datetime | None = None
                       ) -> tuple[AdminSession, str, AccessRequest]:
    """An admin session for the agent under their open approved request for the org, its token (given once, kept
    only as a hash) and the request; AccessNotGranted, saying why, when no approval of theirs is open."""
    at = now or utc_now()
    mine = [r for r in await store.of_org(org_id, agent_id) if r.partner_id == partner_id]
    request = requests.open_request(mine, at)
    token = secrets.token_urlsafe(32)
    session = AdminSession(session_id=f"as-{uuid.uuid4().hex}", request_id=request.request_id, org_id=org_id,
                           partner_id=partner_id, agent_id=agent_id, opened_at=at, expires_at=request.expires_at)
    await sessions.change(token_digest(token), lambda current: (session, []))
    return session, token, request


async def check_session(token: str, agent_id: str, store: RequestStore, sessions: AdminSessionStore,
                        now: datetime | None = None) -> SessionStanding:
    """What the agent's session opens now, read afresh from its request: ended or past its hour, it refuses."""
    session = await sessions.get(token_digest(token))
    request = await store.get(session.request_id) if session is not None else None
    return requests.standing(session, request, agent_id, now or utc_now())


async def _changed(store: RequestStore, request_id: str,
                   decide: Callable[[AccessRequest | None], Decision[AccessRequest]]) -> AccessRequest:
    request = (await store.change(request_id, decide)).record
    if request is None:
        raise requests.RequestNotFound(request_id)
    return request
