"""Import records and the rules that turn them into entities: validated and normalised, pure, no I/O."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Annotated, Any, Literal

import email_validator
import phonenumbers
from email_validator.rfc_constants import DOT_ATOM_TEXT
from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from contracts.identity import Device, Domain, License, Order, Org, Partner, PhoneNumber, Subscription, User
from helpdesk.runtime.addresses import normalized as _validated

PARTNER_ROLES = frozenset({"helpdesk", "helpdesk_advanced", "partner_admin"})
KINDS = ("partner", "org", "user", "device", "order")


class InvalidRecord(ValueError):
    """An import line we cannot accept; the message tells the operator what to fix."""


def _email(value: str) -> str:
    """The address as email-validator normalises it; a domain's verdict is kept, as many users share one."""
    local, at, domain = value.rpartition("@")
    try:
        if not at or len(value) > 254:
            return _validated(value)
        normalized_domain = _validated_domain(domain)
        normalized_local = _validated_local(local)
    except email_validator.EmailNotValidError as error:
        raise ValueError(f"{value!r} is not an e-mail address: {error}") from error
    return f"{normalized_local}@{normalized_domain}"


_PROBE_DOMAIN = "a.io"


def _validated_local(local: str) -> str:
    """A plain ASCII local part (RFC 5322 dot-atom, the library's own pattern) is valid and already normal, as
    email-validator would say; anything else goes through the library whole."""
    if _DOT_ATOM.fullmatch(local):
        return local
    return _validated(f"{local}@{_PROBE_DOMAIN}").rpartition("@")[0]


_DOT_ATOM = DOT_ATOM_TEXT


@functools.lru_cache(maxsize=100_000)
def _validated_domain(domain: str) -> str:
    return _validated(f"probe@{domain}").rpartition("@")[2]


def canonical_mac(value: str) -> str:
    """Twelve lower-case hex digits, whatever the separators (00:1A:2B…, 00-1a-2b…, 001a.2b3c…, 001A2B…)."""
    bare = re.sub(r"[:\-.\s]", "", value).lower()
    if not re.fullmatch(r"[0-9a-f]{12}", bare):
        raise ValueError(f"{value!r} is not a MAC address")
    return bare


_SIP = re.compile(r"^(?:sips?:)?(?P<user>[^@\s:;]+)@(?P<host>[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\[[0-9a-fA-F:.]+\]|"
                  r"\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?(?:;[^\s]*)?$", re.IGNORECASE)


def canonical_sip(value: str) -> str:
    """user@host, lower case, without scheme, port or parameters: sip:Jane@Acme.example;transport=tls → jane@…"""
    match = _SIP.match(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a SIP address (expected sip:user@host)")
    return f"{match['user']}@{match['host']}".lower()


NonEmpty = Annotated[str, Field(min_length=1, max_length=256)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Mac = Annotated[str, AfterValidator(canonical_mac)]
Sip = Annotated[str, AfterValidator(canonical_sip)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    deleted: Literal[False] = False


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
    email: Email
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
    mac: Mac
    sip_address: Sip | None = None
    owner_user_id: str | None = None
    owner_place: str | None = None
    status: str = "online"


class OrderRecord(_Record):
    type: Literal["order"]
    number: NonEmpty
    org_id: NonEmpty
    placed_at: datetime
    status: NonEmpty
    subscription_id: str | None = None


class DeletionRecord(_Record):
    """`{"type": "user", "id": "…", "deleted": true}`: the entity is gone (orders go by `number`)."""

    type: Literal["partner", "org", "user", "device", "order"]
    id: NonEmpty = Field(validation_alias=AliasChoices("id", "number"))
    deleted: Literal[True]  # type: ignore[assignment]


Upsert = PartnerRecord | OrgRecord | UserRecord | DeviceRecord | OrderRecord
Record = Upsert | DeletionRecord
_upserts: TypeAdapter[Upsert] = TypeAdapter(Annotated[Upsert, Field(discriminator="type")])
_DELETED = re.compile(rb'"deleted"\s*:\s*(?!false\b)')


def parse_record(line: bytes) -> Record:
    try:
        if _DELETED.search(line):
            return DeletionRecord.model_validate_json(line)
        return _upserts.validate_json(line)
    except ValidationError as error:
        raise InvalidRecord(_explain(error)) from error


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    kind = first["type"]
    if kind == "json_invalid":
        return "not valid JSON"
    if kind in ("union_tag_invalid", "union_tag_not_found", "model_attributes_type", "model_type", "dict_type"):
        return "each line must be a JSON object whose 'type' is one of partner, org, user, device, order"
    location = [str(part) for part in first["loc"]]
    field = ".".join(location[1:] if location and location[0] in KINDS else location)
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


Entity = Partner | Org | User | Device | Order
ENTITIES: dict[str, type[Entity]] = {"partner": Partner, "org": Org, "user": User, "device": Device, "order": Order}
"""Each kind of record (`type` of an import line) and the entity it describes."""


def partner_from(record: PartnerRecord, version: int) -> Partner:
    return Partner(id=record.id, name=record.name, version=version)


def org_from(record: OrgRecord, version: int) -> Org:
    return Org(version=version, **record.model_dump(exclude={"type"}) | {"country": record.country.upper()})


def phone_number(text: str, country: str) -> PhoneNumber:
    """E.164 of a number as people write it; a national number is read in the org's country."""
    try:
        parsed = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException as error:
        raise InvalidRecord(f"phone_numbers: {text!r} is not a phone number") from error
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidRecord(f"phone_numbers: {text!r} is not a possible phone number in {country}")
    return PhoneNumber(display=text, e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def user_from(record: UserRecord, version: int, country: str) -> User:
    fields: dict[str, Any] = record.model_dump(exclude={"type", "phone_numbers"})
    fields["display_name"] = record.display_name or f"{record.first_name} {record.last_name}"
    phones = tuple(phone_number(number, country) for number in record.phone_numbers)
    return User(version=version, phone_numbers=phones, **fields)


def device_from(record: DeviceRecord, version: int) -> Device:
    if record.owner_user_id and record.owner_place:
        raise InvalidRecord("a device is owned by a user or stands in a place, not both")
    return Device(version=version, **record.model_dump(exclude={"type"}))


def order_from(record: OrderRecord, version: int) -> Order:
    return Order(version=version, **record.model_dump(exclude={"type"}))


def entity_from(record: Upsert, version: int, country: str | None) -> Entity:
    """The entity a record describes; a user's national phone numbers are read in `country`."""
    match record:
        case PartnerRecord():
            return partner_from(record, version)
        case OrgRecord():
            return org_from(record, version)
        case UserRecord():
            return user_from(record, version, country or "US")
        case DeviceRecord():
            return device_from(record, version)
        case OrderRecord():
            return order_from(record, version)
    raise TypeError(type(record))


def role_changes(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """Partner roles assigned and revoked by a user change."""
    old, new = set(before) & PARTNER_ROLES, set(after) & PARTNER_ROLES
    return new - old, old - new
