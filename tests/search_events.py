"""Identity's events as the search service receives them, for the search tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contracts.identity import Device, DeviceUpserted, Order, OrderPlaced, PhoneNumber
from tests.factories import org_upserted, user_upserted

__all__ = ["device_upserted", "order_placed", "org_upserted", "phone", "user_upserted"]


def phone(e164: str, display: str | None = None) -> PhoneNumber:
    return PhoneNumber(display=display or e164, e164=e164)


def device_upserted(id: str = "d1", org_id: str = "o1", partner_id: str = "p1", version: int = 1,
                    **fields: Any) -> DeviceUpserted:
    values: dict[str, Any] = {"product": "Desk Pro", "serial": "FOC2345X1YZ", "mac": "001a2b3c4d5e"} | fields
    return DeviceUpserted(device=Device(id=id, org_id=org_id, version=version, **values), partner_id=partner_id)


def order_placed(number: str = "WO-100200", org_id: str = "o1", partner_id: str = "p1", version: int = 1,
                 **fields: Any) -> OrderPlaced:
    values: dict[str, Any] = {"placed_at": datetime(2024, 1, 15, tzinfo=UTC), "status": "provisioned"} | fields
    return OrderPlaced(order=Order(number=number, org_id=org_id, version=version, **values), partner_id=partner_id)
