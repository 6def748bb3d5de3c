"""Import records and the rules that turn them into entities: validated and normalised, pure, no I/O."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Annotated, Any, Literal

import email_validator
import phonenumbers
from email_validator.rfc_constants import DOT_ATOM_TEXT
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from contracts.identity import Device, Domain, License, Order, Org, Partner, PhoneNumber, Subscription, User
from runtime.addresses import normalized as _validated

PARTNER_ROLES = frozenset({"helpdesk", "helpdesk_advanced", "partner_admin"})
# Who may hold which role: a partner's own staff (the org whose id is the partner's) hold the partner roles, and the
# platform's operators are staff of the platform's own partner; a customer org's people administer that customer.
STAFF_ROLES = PARTNER_ROLES | {"operator"}
CUSTOMER_ROLES = frozenset({"customer_admin"})
ROLES = STAFF_ROLES | CUSTOMER_ROLES
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


MAX_COUNT = 10_000_000


def _count(value: object) -> object:
    """A licence or seat count: a JSON integer (not true, 2.0 or "5", which pydantic would otherwise take for one),
    small enough for any store (a 64-bit integer) and any customer."""
    if type(value) is not int:
        raise ValueError(f"must be a whole number between 0 and {MAX_COUNT:,}")
    if not 0 <= value <= MAX_COUNT:
        raise ValueError(f"must be between 0 and {MAX_COUNT:,}")
    return value


NonEmpty = Annotated[str, Field(min_length=1, max_length=256)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Mac = Annotated[str, AfterValidator(canonical_mac)]
Sip = Annotated[str, AfterValidator(canonical_sip)]
# The bounds stand in the schema too; the validator states them in words an operator reads in the report.
Count = Annotated[int, Field(ge=0, le=MAX_COUNT), BeforeValidator(_count)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    deleted: Literal[False] = False


class PartnerRecord(_Record):
    type: Literal["partner"]
    id: NonEmpty
    name: NonEmpty


class LicenseRecord(License):
    """A licence as an import line gives it: the event's shape, with counts a store can hold."""

    total: Count
    consumed: Count


class SubscriptionRecord(Subscription):
    """A subscription as an import line gives it: the event's shape, with a quantity a store can hold."""

    quantity: Count


class OrgRecord(_Record):
    type: Literal["org"]
    id: NonEmpty
    name: NonEmpty
    partner_id: NonEmpty
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] = "US"
    created_at: datetime | None = None
    domains: list[Domain] = []
    sites: list[NonEmpty] = []
    subscriptions: list[SubscriptionRecord] = []
    licenses: list[LicenseRecord] = []


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


def is_staff(org: Org) -> bool:
    """A partner's own staff org (its id is the partner's id), as opposed to a customer the partner manages."""
    return org.id == org.partner_id


def roles_in(org: Org) -> frozenset[str]:
    """The roles a user of `org` can hold."""
    return STAFF_ROLES if is_staff(org) else CUSTOMER_ROLES


def require_roles_fit(roles: tuple[str, ...], org: Org) -> None:
    """Refuse a role that does not exist, or that a user of this org cannot hold."""
    unknown = sorted(set(roles) - ROLES)
    if unknown:
        raise InvalidRecord(f"roles: {unknown[0]!r} is not a role; the roles are {', '.join(sorted(ROLES))}")
    misplaced = sorted(set(roles) - roles_in(org))
    if misplaced and is_staff(org):
        raise InvalidRecord(f"roles: {misplaced[0]!r} is held only by users of a customer org, and {org.id!r} is "
                            f"the own staff org of partner {org.partner_id!r}")
    if misplaced:
        raise InvalidRecord(f"roles: {misplaced[0]!r} is held only by a partner's own staff, and {org.id!r} is a "
                            "customer org")


def require_same_kind(old: Org, new: Org) -> None:
    """A partner's own staff org stays its staff org, and a customer stays a customer: the roles of their people
    depend on which one they are."""
    if is_staff(old) != is_staff(new):
        what = "a partner's own staff org" if is_staff(old) else "a customer org"
        raise InvalidRecord(f"partner_id: {old.id!r} is {what} and cannot become "
                            f"{'a customer org' if is_staff(old) else 'a partner staff org'}")


def held_roles(user: User | None, org: Org | None) -> frozenset[str]:
    """The roles a user holds in effect: none once deleted, and only those their org can hold."""
    if user is None or user.deleted or org is None:
        return frozenset()
    return frozenset(user.roles) & roles_in(org)
