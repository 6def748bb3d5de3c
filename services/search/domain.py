"""Search entries built from identity's entities, and reading a query: pure, no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from contracts.identity import Device, Order, Org, User

Kind = Literal["customer", "user", "device", "order"]
KINDS: tuple[Kind, ...] = ("customer", "user", "device", "order")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WORD = re.compile(r"[\w.@+-]+")


@dataclass(frozen=True)
class Entry:
    """One searchable thing, with the partner it belongs to and the terms it can be found by."""

    kind: Kind
    entity_id: str
    org_id: str
    partner_id: str
    title: str
    subtitle: str
    version: int
    terms: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.entity_id}"


@dataclass(frozen=True)
class Query:
    text: str
    kind: str
    terms: tuple[str, ...]


def fold(text: str) -> str:
    """Lower case without accents, so 'Lefevre' finds 'Lefèvre'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return [w.strip(".-+") for w in _WORD.findall(fold(text)) if w.strip(".-+")]


def _terms(*values: str | None) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        if value:
            found.append(fold(value))
            found.extend(words(value))
    return tuple(dict.fromkeys(found))


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def user_entry(user: User, partner_id: str) -> Entry:
    phones = [p.e164 or p.display for p in user.phone_numbers]
    return Entry(
        "user", user.id, user.org_id, partner_id, user.display_name, user.email, user.version,
        _terms(user.email, user.first_name, user.last_name, user.display_name, user.id,
               *[digits(p) for p in phones]),
        {"name": f"{user.first_name} {user.last_name}", "display_name": user.display_name, "email": user.email,
         "id": user.id, **{f"phone{i}": p for i, p in enumerate(phones)}},
    )


def customer_entry(org: Org) -> Entry:
    domains = [d.name for d in org.domains]
    return Entry(
        "customer", org.id, org.id, org.partner_id, org.name, ", ".join(domains), org.version,
        _terms(org.name, org.id, *domains, *org.sites),
        {"name": org.name, "id": org.id, **{f"domain{i}": d for i, d in enumerate(domains)},
         **{f"site{i}": s for i, s in enumerate(org.sites)}},
    )


def device_entry(device: Device, partner_id: str) -> Entry:
    return Entry(
        "device", device.id, device.org_id, partner_id, device.product, device.serial, device.version,
        _terms(device.id, device.serial, device.mac, device.sip_address),
        {"id": device.id, "serial": device.serial, "mac": device.mac, "sip_address": device.sip_address or ""},
    )


def order_entry(order: Order, partner_id: str) -> Entry:
    return Entry(
        "order", order.number, order.org_id, partner_id, order.number, order.status, order.version,
        _terms(order.number), {"number": order.number},
    )


def tombstone(kind: Kind, entity_id: str, org_id: str, partner_id: str, version: int) -> Entry:
    """A deleted entity: no terms, so it is never found, but its version stops older events reviving it."""
    return Entry(kind, entity_id, org_id, partner_id, "", "", version, ())


def read_query(text: str) -> Query:
    """What the query looks like, and the terms to look for."""
    stripped = text.strip()
    if _EMAIL.match(stripped):
        return Query(stripped, "email", (fold(stripped),))
    return Query(stripped, "text", tuple(words(stripped)))


def matched_field(entry: Entry, query: Query) -> tuple[str, str]:
    """Which of the entry's fields the query matched, for the agent to see why a result is there."""
    for name, value in entry.fields.items():
        folded = fold(value)
        if value and all(term in folded or term in digits(value) for term in query.terms):
            return name.rstrip("0123456789"), value
    return "id", entry.entity_id


def rank(entry: Entry, query: Query) -> int:
    """Lower is better: every term an exact term of the entry first, then prefix matches."""
    exact = sum(term in entry.terms for term in query.terms)
    return len(query.terms) - exact
