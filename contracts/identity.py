"""Events published by the identity service: the state of partners, customers, users, devices and orders."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event, register


class _Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    version: int = Field(description="Increases by one with every change; consumers keep the highest seen.")
    deleted: bool = Field(False, description="True on a tombstone: the entity is gone.")


class Domain(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    name: str = Field(examples=["acme.example"])
    status: Literal["claimed", "verified"]


class Subscription(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str
    offer: str
    quantity: int
    status: str
    start: datetime | None = None
    end: datetime | None = None


class License(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    sku: str
    name: str
    total: int
    consumed: int


class PhoneNumber(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    display: str = Field(description="As it was given to us.", examples=["+39 02 1234 5678"])
    e164: str | None = Field(None, description="Normalised E.164 form, when the number could be read.")


class Partner(_Snapshot):
    id: str
    name: str


class Org(_Snapshot):
    id: str
    name: str
    partner_id: str = Field(description="The partner that manages this customer.")
    country: str = "US"
    created_at: datetime | None = None
    domains: tuple[Domain, ...] = ()
    sites: tuple[str, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    licenses: tuple[License, ...] = ()


class User(_Snapshot):
    id: str
    org_id: str
    email: str
    first_name: str
    last_name: str
    display_name: str = ""
    phone_numbers: tuple[PhoneNumber, ...] = ()
    status: Literal["active", "pending", "inactive"] = "active"
    roles: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    features: dict[str, bool] = Field(default_factory=dict)


class Device(_Snapshot):
    id: str
    org_id: str
    product: str
    serial: str
    mac: str = Field(description="Canonical form: twelve lower-case hex digits, no separators.")
    sip_address: str | None = Field(None, description="Lower-case user@host, without the sip: scheme.")
    owner_user_id: str | None = None
    owner_place: str | None = Field(None, description="Where a shared device stands, when no user owns it.")
    status: str = "online"


class Order(_Snapshot):
    number: str
    org_id: str
    placed_at: datetime
    status: str
    subscription_id: str | None = None


@register
class PartnerUpserted(Event):
    TOPIC: ClassVar[str] = "identity.partners"
    KEY_FIELD: ClassVar[str] = "partner.id"
    partner: Partner


@register
class OrgUpserted(Event):
    TOPIC: ClassVar[str] = "identity.orgs"
    KEY_FIELD: ClassVar[str] = "org.id"
    org: Org


@register
class UserUpserted(Event):
    TOPIC: ClassVar[str] = "identity.users"
    KEY_FIELD: ClassVar[str] = "user.id"
    user: User


@register
class DeviceUpserted(Event):
    TOPIC: ClassVar[str] = "identity.devices"
    KEY_FIELD: ClassVar[str] = "device.id"
    device: Device


@register
class OrderPlaced(Event):
    """A web order was placed or changed (the whole order)."""

    TOPIC: ClassVar[str] = "identity.orders"
    KEY_FIELD: ClassVar[str] = "order.number"
    order: Order


class _RoleChange(Event):
    """One role of one user changed; the envelope's `partner_id` is the partner the role was held for: the partner
    itself for its own staff, the managing partner for a customer's people."""

    TOPIC: ClassVar[str] = "identity.roles"
    KEY_FIELD: ClassVar[str] = "user_id"
    user_id: str
    org_id: str = Field(description="The org the user belonged to when they held (or were given) the role.")
    role: str = Field(examples=["helpdesk"])
    roles: tuple[str, ...] | None = Field(
        None, description="Every role the user holds after this change, in the org of `user_org_id`: the last "
                          "event of a user says all a consumer needs, so the topic can be compacted.")
    user_org_id: str | None = Field(None, description="The org the user belongs to after this change.")
    user_partner_id: str | None = Field(None, description="The partner `roles` are held for after this change.")
    user_version: int | None = Field(None, description="The user's version after this change: a consumer keeps "
                                                       "the highest.")


@register
class RoleAssigned(_RoleChange):
    """A user was given a role (or kept it in a new org, or under a new managing partner)."""


@register
class RoleRevoked(_RoleChange):
    """A user lost a role: taken away, the user deleted, or moved out of the org or partner it was held for."""
