"""Access's internal HTTP API for read-only sessions, called by the gateway: open one, and how a grant stands."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from runtime.outbox import OutboxRelay
from services.access import session_handlers
from services.access.session_store import SessionStore
from services.access.sessions import GrantStanding
from services.access.store import GrantStore

Id = Annotated[str, Field(min_length=1, max_length=256)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class SessionBody(BaseModel):
    org_id: Id
    partner_id: Id = Field(description="The agent's partner: the customer's grant must be to it.")
    agent_id: Id
    agent_email: str = Field("", max_length=320)
    reason: Reason = Field(description="Why the agent opens it: a ticket number or a sentence.")


class SessionOpened(BaseModel):
    session_id: str
    token: str = Field(description="Given once: the service keeps only its hash.")
    expires_at: datetime


def router(grants: GrantStore, store: SessionStore, relay: OutboxRelay) -> APIRouter:
    api = APIRouter(prefix="/internal")

    @api.post("/read-only-sessions", status_code=201,
              summary="Open a read-only session while the customer grants the agent's partner access; 403 why not.")
    async def start(body: SessionBody) -> SessionOpened:
        session, token = await session_handlers.start_session(
            body.org_id, body.partner_id, body.agent_id, body.agent_email, body.reason, grants, store)
        relay.kick()
        return SessionOpened(session_id=session.id, token=token, expires_at=session.expires_at)

    @api.get("/grants/{org_id}/standing",
             summary="The customer's grant for one partner: granted since and until when, or why not.")
    async def standing(org_id: str, partner_id: Annotated[str, Query(min_length=1, max_length=256)]
                       ) -> GrantStanding:
        return await session_handlers.grant_standing(org_id, partner_id, grants)

    return api
