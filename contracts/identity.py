"""Events published by the identity service: the state of partners, customers, users, devices and orders."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event


class _Snapshot(BaseModel):
    """What every entity carried whole by an `...Upserted` event has: its version, and whether it is gone."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    version: int = Field(description="Increases by one with every change; consumers keep the highest seen.")
    deleted: bool = Field(False, description="True on a tombstone: the entity is gone.")


class Domain(BaseModel):
    """An e-mail domain a customer claimed, and whether it proved it owns it."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    name: str = Field(description="The domain name.", examples=["acme.example"])
    status: Literal["claimed", "verified"] = Field(description="`claimed` until the customer proves it owns the "
                                                               "domain, then `verified`.")


class Subscription(BaseModel):
    """A customer's subscription to an offer."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str = Field(description="Id of the subscription; a web order names it in `subscription_id`.",
                    examples=["Sub12345678"])
    offer: str = Field(description="The SKU of the offer subscribed to.", examples=["MTG-PRO"])
    quantity: int = Field(description="How many licences (seats) it is for.", examples=[55])
    status: str = Field(description="Where it stands in its life.", examples=["active"])
    start: datetime | None = Field(None, description="When it started (UTC); null when not known.")
    end: datetime | None = Field(None, description="When it ends or ended (UTC); null when it has no end date.")


class License(BaseModel):
    """How many licences of one SKU a customer has, and how many are assigned to users."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    sku: str = Field(description="The SKU; users name their licences by it.", examples=["MTG-PRO"])
    name: str = Field(description="The SKU's name as people read it.", examples=["Meetings Pro"])
    total: int = Field(description="How many licences the customer has.", examples=[50])
    consumed: int = Field(description="How many of them are assigned to users.", examples=[3])


class PhoneNumber(BaseModel):
    """A phone number: a user's, an org's own (a main number, one assigned to nobody), or a device's line."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    display: str = Field(description="As it was given to us.", examples=["+39 02 1234 5678"])
    e164: str | None = Field(None, description="Normalised E.164 form, when the number could be read.",
                             examples=["+390212345678"])


class Partner(_Snapshot):
    """A partner (a reseller or MSP) that manages customer orgs."""

    id: str = Field(description="Id of the partner.", examples=["p-northwind"])
    name: str = Field(description="The partner's name.", examples=["Northwind Partners"])


class Org(_Snapshot):
    """A customer org, or a partner's own staff org (whose id and `partner_id` are the partner's id)."""

    id: str = Field(description="Id of the org.", examples=["o-acme"])
    name: str = Field(description="The org's name.", examples=["Acme Corporation"])
    partner_id: str = Field(description="The partner that manages this customer.", examples=["p-northwind"])
    country: str = Field("US", description="ISO 3166-1 alpha-2 country code, upper case; the country the national "
                                           "phone numbers of the org, its users and its devices are read in.",
                         examples=["US", "FR"])
    created_at: datetime | None = Field(None, description="When the org was created (UTC); null when not known.")
    domains: tuple[Domain, ...] = Field((), description="The e-mail domains the org claimed.")
    sites: tuple[str, ...] = Field((), description="Host names of the org's meeting sites.",
                                   examples=[["acme.webex.com"]])
    subscriptions: tuple[Subscription, ...] = Field((), description="The org's subscriptions.")
    licenses: tuple[License, ...] = Field((), description="The org's licences, one entry per SKU.")
    phone_numbers: tuple[PhoneNumber, ...] = Field((), description="The org's own phone numbers: its locations' "
                                                   "main numbers and numbers not assigned to anyone; national ones "
                                                   "are read in the org's `country`.")


class User(_Snapshot):
    """A person in an org: a customer's user, or a partner's own staff."""

    id: str = Field(description="Id of the user.", examples=["u-jane"])
    org_id: str = Field(description="The org the user belongs to.", examples=["o-acme"])
    email: str = Field(description="The user's e-mail address, normalised.", examples=["jane.doe@acme.example"])
    first_name: str = Field(description="Given name, as written (accents kept).", examples=["Jane"])
    last_name: str = Field(description="Family name, as written (accents kept).", examples=["Doe"])
    display_name: str = Field("", description="The name shown for the user; identity makes it from the first and "
                              "last name when none was given.",
                              examples=["Jane Doe"])
    phone_numbers: tuple[PhoneNumber, ...] = Field((), description="The user's phone numbers.")
    status: Literal["active", "pending", "inactive"] = Field(
        "active", description="The user's status in the org: `pending` until the account is activated.")
    roles: tuple[str, ...] = Field((), description="The user's roles: `helpdesk`, `helpdesk_advanced`, "
                                   "`partner_admin` or `operator` for a partner's own staff, `customer_admin` for a "
                                   "customer's people.",
                                   examples=[["helpdesk"], ["customer_admin"]])
    licenses: tuple[str, ...] = Field((), description="SKUs of the licences assigned to the user (see the org's "
                                                      "`licenses`).", examples=[["MTG-PRO"]])
    features: dict[str, bool] = Field(default_factory=dict, description="Features enabled (true) or disabled "
                                      "(false) for the user, by name.",
                                      examples=[{"recording": True, "webinars": False}])
    locale: Literal["en", "it"] = Field("en", description="The language of the mail the user gets: en (English) "
                                                         "or it (Italian).")


class Device(_Snapshot):
    """A device registered to an org: a desk or room device, a phone, a headset."""

    id: str = Field(description="Id of the device.", examples=["d-desk1"])
    org_id: str = Field(description="The org the device is registered to.", examples=["o-acme"])
    product: str = Field(description="The product's name.", examples=["Desk Pro"])
    serial: str = Field(description="The serial number.", examples=["FOC2345X1YZ"])
    mac: str = Field(description="Canonical form: twelve lower-case hex digits, no separators.",
                     examples=["001a2b3c4d5e"])
    sip_address: str | None = Field(None, description="Lower-case user@host, without the sip: scheme.",
                                    examples=["jane.doe@acme.example"])
    owner_user_id: str | None = Field(None, description="The user who owns the device; null for a shared one.",
                                      examples=["u-jane"])
    owner_place: str | None = Field(None, description="Where a shared device stands, when no user owns it.",
                                    examples=["Room 1.2"])
    status: str = Field("online", description="The device's status, as last reported.",
                        examples=["online", "offline", "expired"])
    phone_numbers: tuple[PhoneNumber, ...] = Field((), description="The device's line numbers (a desk phone's, a "
                                                   "room device's); national ones are read in the country of the "
                                                   "device's org.")


class Order(_Snapshot):
    """A web order a customer placed."""

    number: str = Field(description="The web order number, as the customer and the agent know it.",
                        examples=["WO-100200"])
    org_id: str = Field(description="The org that placed it.", examples=["o-acme"])
    placed_at: datetime = Field(description="When it was placed (UTC).")
    status: str = Field(description="Where it stands.", examples=["pending", "provisioning", "provisioned",
                                                                  "cancelled"])
    subscription_id: str | None = Field(None, description="The subscription the order is for, when there is one.",
                                        examples=["Sub12345678"])


class PartnerUpserted(Event):
    """A partner was created, changed or deleted (the whole partner)."""

    TOPIC: ClassVar[str] = "identity.partners"
    KEY_FIELD: ClassVar[str] = "partner.id"
    partner: Partner = Field(description="The partner as it is now.")


class OrgUpserted(Event):
    """An org was created, changed or deleted (the whole org)."""

    TOPIC: ClassVar[str] = "identity.orgs"
    KEY_FIELD: ClassVar[str] = "org.id"
    org: Org = Field(description="The org as it is now.")


class UserUpserted(Event):
    """A user was created, changed or deleted (the whole user)."""

    TOPIC: ClassVar[str] = "identity.users"
    KEY_FIELD: ClassVar[str] = "user.id"
    user: User = Field(description="The user as they are now.")


class DeviceUpserted(Event):
    """A device was registered, changed or removed (the whole device)."""

    TOPIC: ClassVar[str] = "identity.devices"
    KEY_FIELD: ClassVar[str] = "device.id"
    device: Device = Field(description="The device as it is now.")


class OrderPlaced(Event):
    """A web order was placed or changed (the whole order)."""

    TOPIC: ClassVar[str] = "identity.orders"
    KEY_FIELD: ClassVar[str] = "order.number"
    order: Order = Field(description="The order as it is now.")


class _RoleChange(Event):
    """One role of one user changed; the envelope's `partner_id` is the partner the role was held for: the partner
    itself for its own staff, the managing partner for a customer's people."""

    TOPIC: ClassVar[str] = "identity.roles"
    KEY_FIELD: ClassVar[str] = "user_id"
    user_id: str = Field(description="The user whose role changed; the topic is keyed by it.", examples=["u-agent"])
    org_id: str = Field(description="The org the user belonged to when they held (or were given) the role.")
    role: str = Field(description="The role that was given or lost.", examples=["helpdesk"])
    roles: tuple[str, ...] | None = Field(
        None, description="Every role the user holds after this change, in the org of `user_org_id`: the last "
                          "event of a user says all a consumer needs, so the topic can be compacted.")
    user_org_id: str | None = Field(None, description="The org the user belongs to after this change.")
    user_partner_id: str | None = Field(None, description="The partner `roles` are held for after this change.")
    user_version: int | None = Field(None, description="The user's version after this change: a consumer keeps "
                                                       "the highest.")


class RoleAssigned(_RoleChange):
    """A user was given a role (or kept it in a new org, or under a new managing partner)."""


class RoleRevoked(_RoleChange):
    """A user lost a role: taken away, the user deleted, or moved out of the org or partner it was held for."""
