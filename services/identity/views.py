"""What the gateway shows an agent: a customer, a user, a device or an order, with what belongs to it.

Every view is asked for on behalf of a partner (`partner_id`, the agent's) and exists only when that partner
manages the customer the object belongs to. The decision comes first, before anything is assembled, and an
unknown id, a deleted one and another partner's make the same reads in the same order (the object, then its
customer) and end in the same None, so neither the answer nor the time it takes tells them apart. Every view
still carries `partner_id`, so the gateway can check it again.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, Field

from contracts.identity import Device, Order, Org, User
from runtime.documents import Doc
from services.identity.store import IdentityStore

Child = TypeVar("Child", User, Device, Order)

# Looked up in place of the customer of an object that does not exist, so that an unknown id costs the same
# reads as another partner's object. Whatever it finds is never shown: there is no object to show it with.
NO_ORG = "\x00no-such-org"


class _Shown(BaseModel):
    """An entity as a view shows it: all it says, but not how it is stored (its version, its tombstone flag)."""

    version: int = Field(0, exclude=True)
    deleted: bool = Field(False, exclude=True)


class Person(BaseModel):
    """Someone a view names: a customer's admin, a device's owner."""

    user_id: str
    name: str
    email: str

    @classmethod
    def of(cls, user: User) -> Person:
        return cls(user_id=user.id, name=user.display_name, email=user.email)


class OrderShown(_Shown, Order):
    """An order as a view shows it."""


class CustomerView(_Shown, Org):
    """A customer with its domains, sites, licences, orders and admins."""

    admins: list[Person]
    orders: list[OrderShown] = Field(description="Newest first.")


class DeviceSummary(BaseModel):
    """A device as a view of its owner lists it."""

    id: str
    product: str
    serial: str
    mac: str
    status: str


class _OfCustomer(_Shown):
    """An object of a customer, as a view shows it: with its customer's name and managing partner."""

    org_name: str
    partner_id: str


class UserView(_OfCustomer, User):
    """A user with status, licences, devices and features."""

    devices: list[DeviceSummary]


class DeviceView(_OfCustomer, Device):
    """A device with its owner."""

    owner: Person | None


class OrderView(_OfCustomer, Order):
    """A web order."""


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


def _of_customer(found: Child, org: Org) -> dict[str, Any]:
    return {**dict(found), "org_name": org.name, "partner_id": org.partner_id}


async def customer(org_id: str, store: IdentityStore, *, partner_id: str) -> CustomerView | None:
    doc = await store.document(Org, org_id)  # a customer is its own org: one read, whatever the id
    found = _if_managed(partner_id, doc, doc)
    if found is None:
        return None
    org = Org.model_validate(found[1])
    admins = await store.find(User, {"org_id": org.id, "roles": "customer_admin"})
    orders = await store.find(Order, {"org_id": org.id})
    return CustomerView.model_validate({
        **dict(org),
        "admins": [Person.of(a) for a in sorted(admins, key=lambda a: a.display_name.casefold())],
        "orders": [dict(o) for o in sorted(orders, key=lambda o: o.placed_at, reverse=True)],
    })


async def user(user_id: str, store: IdentityStore, *, partner_id: str) -> UserView | None:
    managed = await _managed(User, user_id, partner_id, store)
    if managed is None:
        return None
    found, org = managed
    devices = await store.find(Device, {"owner_user_id": found.id})
    return UserView.model_validate({
        **_of_customer(found, org),
        "devices": [DeviceSummary.model_validate(dict(d)) for d in sorted(devices, key=lambda d: d.product)],
    })


async def device(device_id: str, store: IdentityStore, *, partner_id: str) -> DeviceView | None:
    managed = await _managed(Device, device_id, partner_id, store)
    if managed is None:
        return None
    found, org = managed
    owner = await store.get(User, found.owner_user_id) if found.owner_user_id else None
    return DeviceView.model_validate({
        **_of_customer(found, org),
        "owner": Person.of(owner) if owner and not owner.deleted else None,
    })


async def order(number: str, store: IdentityStore, *, partner_id: str) -> OrderView | None:
    managed = await _managed(Order, number, partner_id, store)
    if managed is None:
        return None
    return OrderView.model_validate(_of_customer(*managed))
