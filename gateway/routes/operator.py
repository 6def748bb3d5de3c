"""What the platform's operators do: import data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from gateway.auth import Operator
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, ImportReport

router = APIRouter(prefix="/api/v1/operator", tags=["operator"], responses=COMMON_ERRORS)

IMPORT_PATH = "/api/v1/operator/import"


@router.post("/import", response_model=ImportReport,
             summary="Upsert partners, orgs, users, devices and orders from NDJSON, one record a line.",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string"}}}}})
async def import_records(request: Request, operator: Operator, services: ServicesDep) -> dict[str, Any]:
    result: dict[str, Any] = await services.identity.post_stream(
        "/internal/import", request.stream(), "application/x-ndjson"
    )
    return result
