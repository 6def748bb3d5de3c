"""What an import line may say: one JSON record per line, validated and normalised at the edge, pure, no I/O.

E-mail syntax is checked with email-validator (no DNS), MAC and SIP addresses are brought to one form, counts are
whole numbers a store can hold; anything else is refused with a reason an operator can act on.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Annotated, Literal

import email_validator
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

from contracts.identity import Domain, License, Subscription
from runtime.addresses import normalized as _validated

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
    phone_numbers: list[NonEmpty] = []


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
    locale: Literal["en", "it"] = "en"


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
    phone_numbers: list[NonEmpty] = []


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
# The lookahead takes the spaces itself: were they outside it, `"deleted": false` could match with no space taken.
_DELETED = re.compile(rb'"deleted"\s*:(?!\s*false\b)')


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
