"""Email's internal HTTP API, called by the gateway."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel

from runtime.outbox import OutboxRelay
from services.email import handlers
from services.email.domain import AddressView, DeliveryReport, Suppression
from services.email.store import AddressStore

Reports = Annotated[list[DeliveryReport], Body(max_length=10_000)]
OptionalId = Annotated[str | None, Query(max_length=256)]


class Recorded(BaseModel):
    accepted: int
    changed: int


def router(store: AddressStore, relay: OutboxRelay) -> APIRouter:
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

    @api.get("/addresses/{address:path}", summary="The address's last message and whether it is suppressed.")
    async def address(address: str) -> AddressView:
        return await handlers.address_status(address, store)

    @api.delete("/addresses/{address:path}/suppression", status_code=204, response_class=Response,
                summary="Take the address off the suppression list.")
    async def remove_suppression(address: str, user_id: OptionalId = None, agent_id: OptionalId = None,
                                 partner_id: OptionalId = None) -> Response:
        await handlers.remove_suppression(address, store, user_id=user_id, agent_id=agent_id, partner_id=partner_id)
        relay.kick()
        return Response(status_code=204)

    return api
