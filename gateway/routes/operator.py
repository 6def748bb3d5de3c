"""What the platform's operators do: import data, pass on mail providers' delivery reports, read the embedded mode's
outbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from gateway.auth import Operator
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, DeliveryReport, DeliveryReportsRecorded, ImportReport, OutboxMail, errors

router = APIRouter(prefix="/api/v1/operator", tags=["operator"], responses=COMMON_ERRORS)

IMPORT_PATH = "/api/v1/operator/import"


@router.post("/import", response_model=ImportReport,
             summary="Upsert partners, orgs, users, devices and orders from NDJSON, one record a line.",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string"}}}}})
async def import_records(request: Request, operator: Operator, services: ServicesDep) -> dict[str, Any]:
    return await services.identity.import_records(request.stream())


@router.post("/email-events", response_model=DeliveryReportsRecorded,
             summary="Record mail providers' delivery reports; a hard bounce or a complaint suppresses the address.")
async def email_events(reports: Annotated[list[DeliveryReport], Body(max_length=10_000)], operator: Operator,
                       services: ServicesDep) -> dict[str, Any]:
    return await services.email.record_reports(reports)


@router.get("/outbox", response_model=list[OutboxMail], responses=errors(404),
            summary="The mails the embedded mode kept instead of sending, newest first; 404 when mail is really sent.")
async def outbox(operator: Operator, services: ServicesDep,
                 to: Annotated[str | None, Query(max_length=320, description="Only the mails to this address.")] = None
                 ) -> list[dict[str, Any]]:
    return await services.email.outbox(to)
