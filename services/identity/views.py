"""What the gateway shows an agent: a customer, a user, a device or an order, with what belongs to it.

Every view is asked for on behalf of a partner (`partner_id`, the agent's) and exists only when that partner
manages the customer the object belongs to. The decision comes first, before anything is assembled, and an
unknown id, a deleted one and another partner's make the same reads in the same order (the object, then its
customer) and end in the same None, so neither the answer nor the time it takes tells them apart. Every view
still carries `partner_id`, so the gateway can check it again.
"""

from __future__ import annotations

from typing import Any, TypeVar

from contracts.identity import Device, Order, Org, User
from services.identity.store import IdentityStore

View = dict[str, Any]
Doc = dict[str, Any]
Child = TypeVar("Child", User, Device, Order)

# Looked up in place of the customer of an object that does not exist, so that an unknown id costs the same
# reads as another partner's object. Whatever it finds is never shown: there is no object to show it with.
NO_ORG = "\x00no-such-org"


def _if_managed(partner_id: str, entity: Doc | None, org: Doc | None) -> tuple[Doc, Doc] | None:
    if (entity is None or org is None or entity.get("deleted") or org.get("deleted") or not partner_id
            or org.get("partner_id") != partner_id):
        return None
    return entity, org


async def _managed(kind: type[Child], entity_id: str, partner_id: str, store: IdentityStore
                   ) -> tuple[Child, Org] | None:
    """The object and its customer when `partner_id` manages that customer; None otherwise, after the same reads."""
    entity = await store.document(kind, entity_id)
    org = await store.document(Org, str(entity.get("org_id", NO_ORG)) if entity is not None else NO_ORG)
    found = _if_managed(partner_id, entity, org)
    if found is None:
        return None
    return kind.model_validate(found[0]), Org.model_validate(found[1])


def _person(user: User) -> View:
    return {"user_id": user.id, "name": user.display_name, "email": user.email}


async def customer(org_id: str, store: IdentityStore, *, partner_id: str) -> View | None:
    doc = await store.document(Org, org_id)  # a customer is its own org: one read, whatever the id
    found = _if_managed(partner_id, doc, doc)
    if found is None:
        return None
    org = Org.model_validate(found[1])
    admins = await store.find(User, {"org_id": org.id, "roles": "customer_admin"})
    orders = await store.find(Order, {"org_id": org.id})
    return {
        **org.model_dump(mode="json", exclude={"version", "deleted"}),
        "admins": [_person(a) for a in sorted(admins, key=lambda a: a.display_name.casefold())],
        "orders": [o.model_dump(mode="json", exclude={"version", "deleted"})
                   for o in sorted(orders, key=lambda o: o.placed_at, reverse=True)],
    }


async def user(user_id: str, store: IdentityStore, *, partner_id: str) -> View | None:
    managed = await _managed(User, user_id, partner_id, store)
    if managed is None:
        return None
    found, org = managed
    devices = await store.find(Device, {"owner_user_id": found.id})
    return {
        **found.model_dump(mode="json", exclude={"version", "deleted"}),
        "org_name": org.name,
        "partner_id": org.partner_id,
        "devices": [_device_summary(d) for d in sorted(devices, key=lambda d: d.product)],
    }


def _device_summary(device: Device) -> View:
    return {"id": device.id, "product": device.product, "serial": device.serial, "mac": device.mac,
            "status": device.status}


async def device(device_id: str, store: IdentityStore, *, partner_id: str) -> View | None:
    managed = await _managed(Device, device_id, partner_id, store)
    if managed is None:
        return None
    found, org = managed
    owner = await store.get(User, found.owner_user_id) if found.owner_user_id else None
    return {
        **found.model_dump(mode="json", exclude={"version", "deleted"}),
        "org_name": org.name,
        "partner_id": org.partner_id,
        "owner": _person(owner) if owner and not owner.deleted else None,
    }


async def order(number: str, store: IdentityStore, *, partner_id: str) -> View | None:
    managed = await _managed(Order, number, partner_id, store)
    if managed is None:
        return None
    found, org = managed
    return {
        **found.model_dump(mode="json", exclude={"version", "deleted"}),
        "org_name": org.name,
        "partner_id": org.partner_id,
    }
