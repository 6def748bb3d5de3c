"""Email's internal HTTP API, called by the gateway."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel

from runtime.outbox import OutboxRelay
from runtime.web import ApiError
from services.email import handlers
from services.email.domain import AddressView, DeliveryReport, InvalidAddress, NotSuppressed
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

    # `:path`, as the local part of an address may hold a slash (sent percent-encoded).
    @api.get("/addresses/{address:path}", summary="The address's last message and whether it is suppressed.")
    async def address(address: str) -> AddressView:
        try:
            return await handlers.address_status(address, store)
        except InvalidAddress as error:
            raise _invalid(error) from None

    @api.delete("/addresses/{address:path}/suppression", status_code=204, response_class=Response,
                summary="Take the address off the suppression list.")
    async def remove_suppression(address: str, user_id: OptionalId = None, agent_id: OptionalId = None,
                                 partner_id: OptionalId = None) -> Response:
        try:
            await handlers.remove_suppression(address, store, user_id=user_id, agent_id=agent_id,
                                              partner_id=partner_id)
        except InvalidAddress as error:
            raise _invalid(error) from None
        except NotSuppressed:
            raise ApiError(404, "not_suppressed", "This address is not on the suppression list.") from None
        relay.kick()
        return Response(status_code=204)

    return api


def _invalid(error: InvalidAddress) -> ApiError:
    return ApiError(422, "invalid_address", str(error))
