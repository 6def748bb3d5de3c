"""Identity's rules, pure and without I/O: the entities import records describe, who may hold which role, and the
Help Desk levels a partner admin gives its own people."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import phonenumbers

from contracts.identity import Device, Order, Org, Partner, PhoneNumber, User
from services.identity.records import (
    DeviceRecord,
    InvalidRecord,
    OrderRecord,
    OrgRecord,
    PartnerRecord,
    Upsert,
    UserRecord,
)

Level = Literal["basic", "advanced"]
HELPDESK_ROLES: dict[Level, str] = {"basic": "helpdesk", "advanced": "helpdesk_advanced"}
"""The Help Desk role at each level a partner admin gives."""
PARTNER_ROLES = frozenset({*HELPDESK_ROLES.values(), "partner_admin"})
# Who may hold which role: a partner's own staff (the org whose id is the partner's) hold the partner roles, and the
# platform's operators are staff of the platform's own partner; a customer org's people administer that customer.
STAFF_ROLES = PARTNER_ROLES | {"operator"}
CUSTOMER_ROLES = frozenset({"customer_admin"})
ROLES = STAFF_ROLES | CUSTOMER_ROLES


class PartnerChanged(Exception):
    """The customer is no longer managed by the partner someone acting for it saw when they signed in."""


class NotFound(LookupError):
    """Nothing an agent may see has this id: unknown, deleted, or another partner's, all alike."""


class CustomerNotFound(NotFound):
    """No such customer: unknown, deleted, or not managed by the agent's partner."""


class UserNotFound(NotFound):
    """No user of a customer the agent's partner manages has this id."""


class DeviceNotFound(NotFound):
    """No device of a customer the agent's partner manages has this id."""


class OrderNotFound(NotFound):
    """No order of a customer the agent's partner manages has this number."""


class LoginNotFound(NotFound):
    """No live user signs in with this e-mail address."""


class NotTheirs(NotFound):
    """No such user among the partner's own people (unknown, deleted, or someone else's)."""


Entity = Partner | Org | User | Device | Order
ENTITIES: dict[str, type[Entity]] = {"partner": Partner, "org": Org, "user": User, "device": Device, "order": Order}
"""Each kind of record (`type` of an import line) and the entity it describes."""


def partner_from(record: PartnerRecord, version: int) -> Partner:
    return Partner(id=record.id, name=record.name, version=version)


def phone_number(text: str, country: str) -> PhoneNumber:
    """E.164 of a number as people write it; a national number is read in the org's country."""
    try:
        parsed = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException as error:
        raise InvalidRecord(f"phone_numbers: {text!r} is not a phone number") from error
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidRecord(f"phone_numbers: {text!r} is not a possible phone number in {country}")
    return PhoneNumber(display=text, e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def phone_numbers(texts: list[str], country: str) -> tuple[PhoneNumber, ...]:
    """The numbers of a user, an org or a device, each read as `phone_number` reads it."""
    return tuple(phone_number(text, country) for text in texts)


def org_from(record: OrgRecord, version: int) -> Org:
    country = record.country.upper()
    return Org(version=version, country=country, phone_numbers=phone_numbers(record.phone_numbers, country),
               **record.model_dump(exclude={"type", "country", "phone_numbers"}))


def user_from(record: UserRecord, version: int, country: str) -> User:
    fields: dict[str, Any] = record.model_dump(exclude={"type", "phone_numbers"})
    fields["display_name"] = record.display_name or f"{record.first_name} {record.last_name}"
    return User(version=version, phone_numbers=phone_numbers(record.phone_numbers, country), **fields)


def device_from(record: DeviceRecord, version: int, country: str) -> Device:
    if record.owner_user_id and record.owner_place:
        raise InvalidRecord("a device is owned by a user or stands in a place, not both")
    return Device(version=version, phone_numbers=phone_numbers(record.phone_numbers, country),
                  **record.model_dump(exclude={"type", "phone_numbers"}))


def order_from(record: OrderRecord, version: int) -> Order:
    return Order(version=version, **record.model_dump(exclude={"type"}))


def entity_from(record: Upsert, version: int, country: str | None) -> Entity:
    """The entity a record describes; the national phone numbers of a user or a device are read in `country`, its
    customer's (an org's in its own)."""
    match record:
        case PartnerRecord():
            return partner_from(record, version)
        case OrgRecord():
            return org_from(record, version)
        case UserRecord():
            return user_from(record, version, country or "US")
        case DeviceRecord():
            return device_from(record, version, country or "US")
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


def tombstone(entity: Entity) -> Entity:
    """What stays of a deleted entity, at its next version: consumers learn it is gone."""
    return entity.model_copy(update={"deleted": True, "version": entity.version + 1})


def with_creation_time(current: Entity | None, imported: Entity, now: datetime) -> Entity:
    """An org imported without `created_at` keeps the one it has, or gets `now` when first stored: a customer
    always shows since when the help desk knows it. Anything else, and an org that gives its own, as imported."""
    if not isinstance(imported, Org) or imported.created_at is not None:
        return imported
    known = current.created_at if isinstance(current, Org) else None
    return imported.model_copy(update={"created_at": known or now})


def unchanged(current: Entity, imported: Entity) -> bool:
    """Whether an imported entity says nothing new about the stored one, whatever their versions."""
    return current.model_copy(update={"version": imported.version}) == imported


def helpdesk_level(user: User) -> Level | None:
    """The level at which the user holds the Help Desk role, if they do."""
    if HELPDESK_ROLES["advanced"] in user.roles:
        return "advanced"
    return "basic" if HELPDESK_ROLES["basic"] in user.roles else None


def at_helpdesk_level(user: User, level: Level | None) -> User | None:
    """The user holding the Help Desk role at `level` (None: not at all), at their next version; None when that is
    already so. Their other roles stay as they are."""
    kept = tuple(r for r in user.roles if r not in HELPDESK_ROLES.values())
    roles = kept + ((HELPDESK_ROLES[level],) if level else ())
    if set(roles) == set(user.roles):
        return None
    return user.model_copy(update={"roles": roles, "version": user.version + 1})


def is_own_person(partner_id: str, user: Mapping[str, Any] | None, org: Mapping[str, Any] | None) -> bool:
    """Whether `user` is one of the partner's own people: live, in the partner's own live staff org (the org whose
    id is the partner's id). Read from the stored documents as they are, not validated, so that another partner's
    user is refused in the time an unknown id is."""
    return (user is not None and org is not None and not user.get("deleted") and not org.get("deleted")
            and user.get("org_id") == partner_id and org.get("partner_id") == partner_id)
