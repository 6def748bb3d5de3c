"""A device of a customer the agent's partner manages, with its owner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.audit import AuditDep
from gateway.auth import HelpdeskAgent
from gateway.deps import ServicesDep
from gateway.schemas import COMMON_ERRORS, DeviceView, errors
from gateway.tenancy import identity_view

router = APIRouter(prefix="/api/v1", tags=["helpdesk"], responses={**COMMON_ERRORS, **errors(404)})


@router.get("/devices/{device_id}", response_model=DeviceView,
            summary="A device: product, serial, MAC, SIP address, status and owner.")
async def device(device_id: str, agent: HelpdeskAgent, services: ServicesDep, audit: AuditDep) -> dict[str, Any]:
    view = await identity_view("device", services.identity.device, device_id, agent)
    await audit.record(agent, "device.viewed", "device", device_id, view["org_id"])
    return view
