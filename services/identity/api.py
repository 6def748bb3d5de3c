"""Identity's internal HTTP API, called by the gateway."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from contracts.identity import Org, User
from helpdesk.runtime.outbox import OutboxRelay
from helpdesk.runtime.web import ApiError
from services.identity import handlers
from services.identity.store import IdentityStore


def router(store: IdentityStore, relay: OutboxRelay) -> APIRouter:
    api = APIRouter(prefix="/internal")

    @api.post("/import", summary="Upsert partners, orgs, users, devices and orders from an NDJSON stream.")
    async def import_records(request: Request) -> dict[str, Any]:
        report = await handlers.import_records(request.stream(), store, on_change=relay.kick)
        return {"accepted": report.accepted, "rejected": report.rejected, "rejected_total": report.rejected_total}

    @api.get("/logins", summary="The user who logs in with this e-mail, with their managing partner.")
    async def login(email: str) -> dict[str, Any]:
        found = await handlers.user_by_email(email, store)
        if found is None:
            raise ApiError(404, "user_not_found", "No user has this e-mail address.")
        user, partner_id = found
        return {"user": user.model_dump(mode="json"), "partner_id": partner_id}

    @api.get("/users/{user_id}", summary="One user.")
    async def user(user_id: str) -> dict[str, Any]:
        found = await store.get(User, user_id)
        if found is None or found.deleted:
            raise ApiError(404, "user_not_found", "No such user.")
        return found.model_dump(mode="json")

    @api.get("/orgs/{org_id}", summary="One customer org.")
    async def org(org_id: str) -> dict[str, Any]:
        found = await store.get(Org, org_id)
        if found is None or found.deleted:
            raise ApiError(404, "customer_not_found", "No such customer.")
        return found.model_dump(mode="json")

    return api
