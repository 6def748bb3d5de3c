"""What a customer's own admins see of their org, for a partner's agent in a read-only session: its users, devices,
licences and settings, a page at a time by a cursor over ids.

Asked on behalf of a partner (the session's): a customer that partner does not manage is found no more than an
unknown one, and nothing of it is read further.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from contracts.identity import Device, Domain, License, Org, PhoneNumber, Subscription, User
from services.identity.store import IdentityStore

PAGE_SIZE = 50
MOST_IN_ORG = 1_000_000
"""More users or devices than one org has: a page is cut from all of the org's, sorted by id."""

Item = TypeVar("Item", bound=BaseModel)
Kept = TypeVar("Kept")


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None  # give it back as `cursor` for the next page; null on the last one


class OrgUser(BaseModel):
    id: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    phone_numbers: list[PhoneNumber]
    status: str
    roles: list[str]
    licenses: list[str]
    features: dict[str, bool]


class OrgDevice(BaseModel):
    id: str
    product: str
    serial: str
    mac: str
    sip_address: str | None
    owner_user_id: str | None
    owner_place: str | None
    status: str
    phone_numbers: list[PhoneNumber]


class OrgLicenses(Page[License]):
    subscriptions: list[Subscription]


class FeatureUse(BaseModel):
    enabled: int
    disabled: int


class OrgSettings(BaseModel):
    id: str
    name: str
    country: str
    created_at: datetime | None
    domains: list[Domain]
    sites: list[str]
    phone_numbers: list[PhoneNumber]
    users: int
    devices: int
    features: dict[str, FeatureUse]  # by feature: how many of the org's users have it enabled, disabled


async def managed_org(org_id: str, partner_id: str, store: IdentityStore) -> Org | None:
    """The live customer org `partner_id` manages; None for an unknown, deleted or other partner's one."""
    doc = await store.document(Org, org_id)
    if doc is None or doc.get("deleted") or not partner_id or doc.get("partner_id") != partner_id:
        return None
    return Org.model_validate(doc)


def page(found: Sequence[Kept], key: Callable[[Kept], str], cursor: str | None) -> tuple[list[Kept], str | None]:
    """The page after `cursor` (the last key of the page before; None: the first) of `found`, sorted by key."""
    after = sorted((item for item in found if cursor is None or key(item) > cursor), key=key)
    items = after[:PAGE_SIZE]
    return items, key(items[-1]) if len(after) > PAGE_SIZE else None


async def users(org: Org, store: IdentityStore, cursor: str | None) -> Page[OrgUser]:
    items, next_cursor = page(await store.find(User, {"org_id": org.id}, limit=MOST_IN_ORG), lambda u: u.id, cursor)
    return Page[OrgUser](items=[OrgUser.model_validate(u.model_dump()) for u in items], next_cursor=next_cursor)


async def devices(org: Org, store: IdentityStore, cursor: str | None) -> Page[OrgDevice]:
    found = await store.find(Device, {"org_id": org.id}, limit=MOST_IN_ORG)
    items, next_cursor = page(found, lambda d: d.id, cursor)
    return Page[OrgDevice](items=[OrgDevice.model_validate(d.model_dump()) for d in items], next_cursor=next_cursor)


def licenses(org: Org, cursor: str | None) -> OrgLicenses:
    """The org's licences by SKU, a page at a time, with its subscriptions (few: on every page)."""
    items, next_cursor = page(org.licenses, lambda license_: license_.sku, cursor)
    return OrgLicenses(items=items, next_cursor=next_cursor, subscriptions=list(org.subscriptions))


async def settings(org: Org, store: IdentityStore) -> OrgSettings:
    people = await store.find(User, {"org_id": org.id}, limit=MOST_IN_ORG)
    enabled = Counter(name for user in people for name, on in user.features.items() if on)
    disabled = Counter(name for user in people for name, on in user.features.items() if not on)
    return OrgSettings(
        id=org.id, name=org.name, country=org.country, created_at=org.created_at, domains=list(org.domains),
        sites=list(org.sites), phone_numbers=list(org.phone_numbers), users=len(people),
        devices=len(await store.find(Device, {"org_id": org.id}, limit=MOST_IN_ORG)),
        features={name: FeatureUse(enabled=enabled[name], disabled=disabled[name])
                  for name in sorted(enabled.keys() | disabled.keys())})
