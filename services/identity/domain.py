"""Import records and the rules that turn them into entities: pure, no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from contracts.identity import Device, Domain, License, Order, Org, Partner, PhoneNumber, Subscription, User

PARTNER_ROLES = frozenset({"helpdesk", "helpdesk_advanced", "partner_admin"})
NonEmpty = Annotated[str, Field(min_length=1, max_length=256)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartnerRecord(_Record):
    type: Literal["partner"]
    id: NonEmpty
    name: NonEmpty


class OrgRecord(_Record):
    type: Literal["org"]
    id: NonEmpty
    name: NonEmpty
    partner_id: NonEmpty
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] = "US"
    created_at: datetime | None = None
    domains: list[Domain] = []
    sites: list[NonEmpty] = []
    subscriptions: list[Subscription] = []
    licenses: list[License] = []


class UserRecord(_Record):
    type: Literal["user"]
    id: NonEmpty
    org_id: NonEmpty
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
    first_name: NonEmpty
    last_name: NonEmpty
    display_name: str = ""
    phone_numbers: list[NonEmpty] = []
    status: Literal["active", "pending", "inactive"] = "active"
    roles: list[NonEmpty] = []
    licenses: list[NonEmpty] = []
    features: dict[str, bool] = {}


class DeviceRecord(_Record):
    type: Literal["device"]
    id: NonEmpty
    org_id: NonEmpty
    product: NonEmpty
    serial: NonEmpty
    mac: NonEmpty
    sip_address: str | None = None
    owner_user_id: str | None = None
    status: str = "online"


class OrderRecord(_Record):
    type: Literal["order"]
    number: NonEmpty
    org_id: NonEmpty
    placed_at: datetime
    status: NonEmpty
    subscription_id: str | None = None


Record = Annotated[
    PartnerRecord | OrgRecord | UserRecord | DeviceRecord | OrderRecord, Field(discriminator="type")
]
_records: TypeAdapter[Record] = TypeAdapter(Record)


class InvalidRecord(ValueError):
    """An import line we cannot accept; the message tells the operator what to fix."""


def parse_record(line: bytes) -> Record:
    try:
        return _records.validate_json(line)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "json_invalid":
            raise InvalidRecord("not valid JSON") from error
        if first["type"] == "union_tag_invalid" or first["type"] == "union_tag_not_found":
            raise InvalidRecord("'type' must be one of partner, org, user, device, order") from error
        field = where.split(".", 1)[1] if "." in where else where
        raise InvalidRecord(f"{field}: {first['msg']}") from error


def canonical_mac(value: str) -> str:
    digits = "".join(ch for ch in value.lower() if ch in "0123456789abcdef")
    stripped = "".join(ch for ch in value.lower() if ch not in ":-. ")
    if len(digits) != 12 or digits != stripped:
        raise InvalidRecord(f"mac: {value!r} is not a MAC address")
    return digits


def partner_from(record: PartnerRecord, version: int) -> Partner:
    return Partner(id=record.id, name=record.name, version=version)


def org_from(record: OrgRecord, version: int) -> Org:
    return Org(version=version, **record.model_dump(exclude={"type"}) | {"country": record.country.upper()})


def user_from(record: UserRecord, version: int) -> User:
    fields = record.model_dump(exclude={"type", "phone_numbers"})
    display = record.display_name or f"{record.first_name} {record.last_name}"
    phones = tuple(PhoneNumber(display=number) for number in record.phone_numbers)
    return User(version=version, phone_numbers=phones, **fields | {"display_name": display})


def device_from(record: DeviceRecord, version: int) -> Device:
    return Device(version=version, **record.model_dump(exclude={"type"}) | {"mac": canonical_mac(record.mac)})


def order_from(record: OrderRecord, version: int) -> Order:
    return Order(version=version, **record.model_dump(exclude={"type"}))


def role_changes(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """Partner roles assigned and revoked by a user change."""
    old, new = set(before) & PARTNER_ROLES, set(after) & PARTNER_ROLES
    return new - old, old - new
