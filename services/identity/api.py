"""Identity's internal HTTP API, called by the gateway; its refusals are answered from REFUSALS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from contracts.identity import Org, User
from runtime.outbox import OutboxRelay
from runtime.versioned import Busy
from runtime.web import Refusal, Refusals
from services.identity import administration, domain, handlers, importing, org_views, views
from services.identity.domain import Level
from services.identity.parsing import LineParser
from services.identity.store import IdentityStore

PartnerId = Annotated[str, Query(description="The partner the view is asked for: only what it manages is found.")]
SeenPartnerId = Annotated[str | None, Query(max_length=256, description="The partner the caller saw manage the "
                                                                        "customer, when they act on it.")]
# At module level, where FastAPI resolves the routes' annotations (strings here): an alias local to the function
# that builds the routes stays an unresolved name, and validating a given cursor against it failed.
Cursor = Annotated[str | None, Query(max_length=256, description="The last page's `next_cursor`.")]
Found = TypeVar("Found")

REFUSALS: Refusals = {
    domain.CustomerNotFound: Refusal(404, "customer_not_found", "No such customer."),
    domain.UserNotFound: Refusal(404, "user_not_found", "No such user."),
    domain.DeviceNotFound: Refusal(404, "device_not_found", "No such device."),
    domain.OrderNotFound: Refusal(404, "order_not_found", "No such order."),
    domain.LoginNotFound: Refusal(404, "user_not_found", "No user has this e-mail address."),
    domain.NotTheirs: Refusal(404, "user_not_found", "No such user among the partner's own people."),
    domain.PartnerChanged: Refusal(409, "partner_changed", "Your organisation is no longer managed by the partner it "
                                                           "had when you signed in. Please sign in again."),
    # Outside the import, which answers line by line, only a Help Desk level change and an admin's user change
    # write.
    Busy: Refusal(409, "conflict", "This user is being changed by someone else. Please try again."),
    administration.UnknownLicense: Refusal(422, "unknown_license"),
}


class LevelBody(BaseModel):
    level: Level = "basic"


class HelpdeskAgent(BaseModel):
    """One of the partner's own people, with the level at which they hold the Help Desk role."""

    user_id: str
    name: str
    email: str
    level: Level | None

    @classmethod
    def of(cls, user: User) -> HelpdeskAgent:
        return cls(user_id=user.id, name=user.display_name, email=user.email, level=domain.helpdesk_level(user))


def router(store: IdentityStore, relay: OutboxRelay, parser: LineParser,
           on_batch: Callable[[], None] = lambda: None) -> APIRouter:
    """`on_batch` runs after every batch of an import's lines (see runtime.heap)."""
    api = APIRouter(prefix="/internal")

    @api.post("/import", summary="Upsert partners, orgs, users, devices and orders from an NDJSON stream.")
    async def import_records(request: Request) -> dict[str, Any]:
        report = await importing.import_records(request.stream(), store, on_change=relay.kick, parser=parser,
                                                on_batch=on_batch)
        return {"accepted": report.accepted, "rejected": report.rejected, "rejected_total": report.rejected_total}

    @api.get("/logins", summary="The user who logs in with this e-mail, with their managing partner.")
    async def login(email: str) -> dict[str, Any]:
        user, partner_id = _found(await handlers.user_by_email(email, store), domain.LoginNotFound)
        return {"user": user.model_dump(mode="json"), "partner_id": partner_id}

    # The agent's partner is part of every view's request: what it does not manage answers the same 404 as an
    # unknown id, after the same reads, and is never assembled.
    @api.get("/customers/{org_id}", summary="A customer with its domains, sites, licences, orders and admins.")
    async def customer(org_id: str, partner_id: PartnerId) -> views.CustomerView:
        return _found(await views.customer(org_id, store, partner_id=partner_id), domain.CustomerNotFound)

    @api.get("/users/{user_id}", summary="A user with status, licences, devices and features.")
    async def user(user_id: str, partner_id: PartnerId) -> views.UserView:
        return _found(await views.user(user_id, store, partner_id=partner_id), domain.UserNotFound)

    @api.get("/devices/{device_id}", summary="A device with its owner.")
    async def device(device_id: str, partner_id: PartnerId) -> views.DeviceView:
        return _found(await views.device(device_id, store, partner_id=partner_id), domain.DeviceNotFound)

    @api.get("/orders/{number}", summary="A web order.")
    async def order(number: str, partner_id: PartnerId) -> views.OrderView:
        return _found(await views.order(number, store, partner_id=partner_id), domain.OrderNotFound)

    @api.get("/customers/{org_id}/partner", summary="The partner that manages a customer now; 409 when it is no "
                                                     "longer the one `seen_partner_id` names.")
    async def managing_partner(org_id: str, seen_partner_id: SeenPartnerId = None) -> dict[str, str]:
        return {"org_id": org_id, "partner_id": await handlers.managing_partner(org_id, store, seen_partner_id)}

    @api.patch("/customers/{org_id}/users/{user_id}", summary="Change a customer's user's status, licences or "
                                                               "features, for an agent with full admin access.")
    async def change_user(org_id: str, user_id: str, partner_id: PartnerId, body: administration.UserChange) -> User:
        user = await administration.change_user(org_id, user_id, partner_id, body, store)
        relay.kick()
        return user

    api.include_router(_helpdesk_agents(store, relay))
    api.include_router(_read_only(store))
    return api


def _helpdesk_agents(store: IdentityStore, relay: OutboxRelay) -> APIRouter:
    """A partner admin's Help Desk role management: give, change and take the role of the partner's own people."""
    api = APIRouter(prefix="/partners/{partner_id}/helpdesk-agents")

    @api.get("", summary="The partner's people holding the Help Desk role.")
    async def list_agents(partner_id: str) -> list[HelpdeskAgent]:
        return [HelpdeskAgent.of(u) for u in await handlers.helpdesk_agents(partner_id, store)]

    @api.put("/{user_id}", summary="Give one of the partner's people the Help Desk role at a level.")
    async def assign(partner_id: str, user_id: str, body: LevelBody) -> HelpdeskAgent:
        user = await handlers.set_helpdesk_level(partner_id, user_id, body.level, store)
        relay.kick()
        return HelpdeskAgent.of(user)

    @api.delete("/{user_id}", status_code=204, response_class=Response,
                summary="Take the Help Desk role from one of the partner's people.")
    async def revoke(partner_id: str, user_id: str) -> Response:
        await handlers.set_helpdesk_level(partner_id, user_id, None, store)
        relay.kick()
        return Response(status_code=204)

    return api


def _read_only(store: IdentityStore) -> APIRouter:
    """What a customer's own admins see of their org, for an agent's read-only session (org_views.py)."""
    api = APIRouter(prefix="/customers/{org_id}/read-only")

    async def org(org_id: str, partner_id: str) -> Org:
        return _found(await org_views.managed_org(org_id, partner_id, store), domain.CustomerNotFound)

    @api.get("/users", summary="The customer's users, a page at a time.")
    async def users(org_id: str, partner_id: PartnerId, cursor: Cursor = None) -> org_views.Page[org_views.OrgUser]:
        return await org_views.users(await org(org_id, partner_id), store, cursor)

    @api.get("/devices", summary="The customer's devices, a page at a time.")
    async def devices(org_id: str, partner_id: PartnerId, cursor: Cursor = None
                      ) -> org_views.Page[org_views.OrgDevice]:
        return await org_views.devices(await org(org_id, partner_id), store, cursor)

    @api.get("/licenses", summary="The customer's licences, a page at a time, and its subscriptions.")
    async def licenses(org_id: str, partner_id: PartnerId, cursor: Cursor = None) -> org_views.OrgLicenses:
        return org_views.licenses(await org(org_id, partner_id), cursor)

    @api.get("/settings", summary="The customer's settings: domains, sites, country, features in use.")
    async def settings(org_id: str, partner_id: PartnerId) -> org_views.OrgSettings:
        return await org_views.settings(await org(org_id, partner_id), store)

    return api


def _found(found: Found | None, missing: type[domain.NotFound]) -> Found:
    """What was found; `missing`, answered from REFUSALS, when nothing was."""
    if found is None:
        raise missing()
    return found
