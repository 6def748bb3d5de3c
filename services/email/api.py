"""Email's internal HTTP API, called by the gateway."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field

from runtime.outbox import OutboxRelay
from services.email import handlers, verification
from services.email.domain import AddressView, DeliveryReport, Suppression, address_key
from services.email.mailers import KeptMail, Mailer, outbox_of
from services.email.outgoing import OutgoingStore
from services.email.store import AddressStore, CodeStore, TallyStore
from services.email.verification import CodeRequest, CodeRules, Reserved

Reports = Annotated[list[DeliveryReport], Body(max_length=10_000)]
OptionalId = Annotated[str | None, Query(max_length=256)]


class Recorded(BaseModel):
    accepted: int
    changed: int


def router(store: AddressStore, relay: OutboxRelay, outgoing: OutgoingStore) -> APIRouter:
    api = APIRouter(prefix="/internal")

    @api.post("/email-events", summary="Record delivery reports; a hard bounce or a complaint suppresses the address.")
    async def record(reports: Reports) -> Recorded:
        try:
            changed = await handlers.record_reports(reports, store)
        finally:
            relay.kick()  # what was recorded before a failure is announced now all the same
        return Recorded(accepted=len(reports), changed=changed)

    # `:path`, as the local part of an address may hold a slash (sent percent-encoded); so the suppression's route
    # comes before the address's, which would take `…/suppression` for part of the address.
    @api.get("/addresses/{address:path}/suppression", summary="Why and since when the address is suppressed; "
                                                               "404 not_suppressed when it is not.")
    async def suppression(address: str) -> Suppression:
        return await handlers.suppression(address, store)

    @api.get("/addresses/{address:path}", summary="The address's last message, its recent messages (newest first) "
                                                   "and whether it is suppressed.")
    async def address(address: str) -> AddressView:
        return await handlers.address_status(address, store, outgoing)

    @api.delete("/addresses/{address:path}/suppression", status_code=204, response_class=Response,
                summary="Take the address off the suppression list.")
    async def remove_suppression(address: str, user_id: OptionalId = None, agent_id: OptionalId = None,
                                 partner_id: OptionalId = None) -> Response:
        await handlers.remove_suppression(address, store, user_id=user_id, agent_id=agent_id, partner_id=partner_id)
        relay.kick()
        return Response(status_code=204)

    return api


class CodeCheck(BaseModel):
    user_id: str = Field(min_length=1, max_length=256, description="The user the code was sent to.")
    code: str = Field(min_length=1, max_length=32, description="The code as the caller read it back.")


def verification_router(codes: CodeStore, tallies: TallyStore, rules: CodeRules, relay: OutboxRelay) -> APIRouter:
    api = APIRouter(prefix="/internal/verification-codes")

    @api.post("", status_code=201, summary="Count a code against the user's and the agent's limits and keep what "
                                           "is needed to make and mail it when CodeRequested arrives.")
    async def reserve(request: CodeRequest) -> Reserved:
        return await verification.reserve_code(request, codes, tallies, rules)

    @api.post("/{code_id}/check", summary="Whether the code read back is the user's; used once it is.")
    async def check(code_id: str, body: CodeCheck) -> dict[str, bool]:
        try:
            await verification.check_code(code_id, body.user_id, body.code, codes, tallies, rules)
        finally:
            relay.kick()  # a wrong try is announced as well as a right one
        return {"verified": True}

    return api


def outbox_router(mailer: Mailer) -> APIRouter:
    api = APIRouter(prefix="/internal")

    @api.get("/outbox", summary="The mails the memory mailer kept, newest first, to `to` if given; 404 no_outbox "
                                "when the service sends real mail.")
    async def outbox(to: Annotated[str | None, Query(max_length=320)] = None) -> list[KeptMail]:
        return outbox_of(mailer).kept(address_key(to) if to is not None else None)

    return api
