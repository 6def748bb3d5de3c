"""What the gateway shows an agent: a customer, a user, a device or an order, with what belongs to it.

Every view carries `partner_id`, the partner that manages the customer, so the gateway can refuse what is not
the agent's to see.
"""

from __future__ import annotations

from typing import Any

from contracts.identity import Device, Order, Org, User
from services.identity.store import IdentityStore

View = dict[str, Any]


def _person(user: User) -> View:
    return {"user_id": user.id, "name": user.display_name, "email": user.email}


async def customer(org_id: str, store: IdentityStore) -> View | None:
    org = await store.get(Org, org_id)
    if org is None or org.deleted:
        return None
    admins = await store.find(User, {"org_id": org.id, "roles": "customer_admin"})
    orders = await store.find(Order, {"org_id": org.id})
    return {
        **org.model_dump(mode="json", exclude={"version", "deleted"}),
        "admins": [_person(a) for a in sorted(admins, key=lambda a: a.display_name.casefold())],
        "orders": [o.model_dump(mode="json", exclude={"version", "deleted"})
                   for o in sorted(orders, key=lambda o: o.placed_at, reverse=True)],
    }


async def user(user_id: str, store: IdentityStore) -> View | None:
    found = await store.get(User, user_id)
    if found is None or found.deleted:
        return None
    org = await store.get(Org, found.org_id)
    devices = await store.find(Device, {"owner_user_id": found.id})
    return {
        **found.model_dump(mode="json", exclude={"version", "deleted"}),
        "org_name": org.name if org else "",
        "partner_id": org.partner_id if org else "",
        "devices": [_device_summary(d) for d in sorted(devices, key=lambda d: d.product)],
    }


def _device_summary(device: Device) -> View:
    return {"id": device.id, "product": device.product, "serial": device.serial, "mac": device.mac,
            "status": device.status}


async def device(device_id: str, store: IdentityStore) -> View | None:
    found = await store.get(Device, device_id)
    if found is None or found.deleted:
        return None
    org = await store.get(Org, found.org_id)
    owner = await store.get(User, found.owner_user_id) if found.owner_user_id else None
    return {
        **found.model_dump(mode="json", exclude={"version", "deleted"}),
        "org_name": org.name if org else "",
        "partner_id": org.partner_id if org else "",
        "owner": _person(owner) if owner and not owner.deleted else None,
    }


async def order(number: str, store: IdentityStore) -> View | None:
    found = await store.get(Order, number)
    if found is None or found.deleted:
        return None
    org = await store.get(Org, found.org_id)
    return {
        **found.model_dump(mode="json", exclude={"version", "deleted"}),
        "org_name": org.name if org else "",
        "partner_id": org.partner_id if org else "",
    }
