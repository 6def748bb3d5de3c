"""Identity's internal HTTP API, called by the gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from contracts.identity import Org
from runtime.outbox import OutboxRelay
from runtime.web import ApiError
from services.identity import handlers, roles, views
from services.identity.parsing import LineParser
from services.identity.store import IdentityStore

PartnerId = Annotated[str, Query(description="The partner the view is asked for: only what it manages is found.")]


def router(store: IdentityStore, relay: OutboxRelay, parser: LineParser,
           on_batch: Callable[[], None] = lambda: None) -> APIRouter:
    """`on_batch` runs after every batch of an import's lines (see runtime.heap)."""
    api = APIRouter(prefix="/internal")

    @api.post("/import", summary="Upsert partners, orgs, users, devices and orders from an NDJSON stream.")
    async def import_records(request: Request) -> dict[str, Any]:
        report = await handlers.import_records(request.stream(), store, on_change=relay.kick, parser=parser,
                                               on_batch=on_batch)
        return {"accepted": report.accepted, "rejected": report.rejected, "rejected_total": report.rejected_total}

    @api.get("/logins", summary="The user who logs in with this e-mail, with their managing partner.")
    async def login(email: str) -> dict[str, Any]:
        found = await handlers.user_by_email(email, store)
        if found is None:
            raise ApiError(404, "user_not_found", "No user has this e-mail address.")
        user, partner_id = found
        return {"user": user.model_dump(mode="json"), "partner_id": partner_id}

    # The agent's partner is part of every view's request: what it does not manage answers the same 404 as an
    # unknown id, after the same reads, and is never assembled.
    @api.get("/customers/{org_id}", summary="A customer with its domains, sites, licences, orders and admins.")
    async def customer(org_id: str, partner_id: PartnerId) -> views.View:
        return _found(await views.customer(org_id, store, partner_id=partner_id), "customer_not_found",
                      "No such customer.")

    @api.get("/users/{user_id}", summary="A user with status, licences, devices and features.")
    async def user(user_id: str, partner_id: PartnerId) -> views.View:
        return _found(await views.user(user_id, store, partner_id=partner_id), "user_not_found", "No such user.")

    @api.get("/devices/{device_id}", summary="A device with its owner.")
    async def device(device_id: str, partner_id: PartnerId) -> views.View:
        return _found(await views.device(device_id, store, partner_id=partner_id), "device_not_found",
                      "No such device.")

    @api.get("/orders/{number}", summary="A web order.")
    async def order(number: str, partner_id: PartnerId) -> views.View:
        return _found(await views.order(number, store, partner_id=partner_id), "order_not_found", "No such order.")

    @api.get("/customers/{org_id}/partner", summary="The partner that manages a customer now.")
    async def managing_partner(org_id: str) -> dict[str, str]:
        org = await store.get(Org, org_id)
        if org is None or org.deleted:
            raise ApiError(404, "customer_not_found", "No such customer.")
        return {"org_id": org.id, "partner_id": org.partner_id}

    api.include_router(roles.router(store, relay))
    return api


def _found(view: views.View | None, code: str, message: str) -> views.View:
    if view is None:
        raise ApiError(404, code, message)
    return view
