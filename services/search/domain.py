"""Search entries built from identity's entities, and the terms each one is found by: pure, no I/O.

An entry's terms are of two sorts. Words (no colon) are folded text an agent types and may type partly: name
words, e-mail and SIP addresses, serial numbers, domains, meeting sites, order numbers. Keys (`id:…`, `tel:…`,
`mac:…`, `order:…`) are canonical identifiers matched only whole. Each field of an entry knows its own terms, so
the reason a result is shown ("matched") is computed by the same rules that indexed it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from sys import intern
from typing import Literal
from urllib.parse import urlsplit

from contracts import Event
from contracts.identity import (
    Device,
    DeviceUpserted,
    Order,
    OrderPlaced,
    Org,
    OrgUpserted,
    PhoneNumber,
    User,
    UserUpserted,
)

Kind = Literal["customer", "user", "device", "order"]
KINDS: tuple[Kind, ...] = ("customer", "user", "device", "order")

# Letters that Unicode decomposition leaves alone but that people type without their accent.
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe",
                          "\u0131": "i", "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_EDGES = " \t.,;:!?\"'()[]{}<>-+_/\\|*"
_PARTS = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True, eq=False)
class Entry:
    """One searchable thing, the partner that manages it, and what it is found by.

    Entries compare by identity: a store keeps one object per entity and version. There are millions of them, so
    the strings many share (partners, customers, products) are interned.
    """

    kind: Kind
    entity_id: str
    org_id: str
    partner_id: str
    version: int
    title: str = ""
    subtitle: str = ""
    terms: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    country: str = ""
    deleted: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.entity_id}"


def fold(text: str) -> str:
    """Lower case without accents, so 'Lefevre' finds 'Lefèvre' and 'Lukasz' finds 'Łukasz'."""
    if text.isascii():  # most identifiers: a tenth of the work
        lowered = text.lower()
        return lowered.translate(_LETTERS) if "`" in lowered else lowered
    decomposed = unicodedata.normalize("NFKD", text.casefold()).translate(_LETTERS)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=1 << 16)
def name_words(text: str) -> tuple[str, ...]:
    """Words of a name: each whole word, its parts and the parts joined ("o'brien", "brien", "obrien")."""
    found: list[str] = []
    for token in fold(text).replace(":", " ").split():
        token = token.strip(_EDGES)
        if not token:
            continue
        found.append(token)
        parts = [p for p in _PARTS.split(token) if p]
        if len(parts) > 1:
            found.extend(p for p in parts if len(p) > 1)
            found.append("".join(parts))
    return tuple(dict.fromkeys(found))


def query_words(text: str) -> tuple[str, ...]:
    """The words of what an agent typed, whole: 'Lefèvre, René' → ('lefevre', 'rene')."""
    words = (token.strip(_EDGES) for token in fold(text).replace(",", " ").replace(":", " ").split())
    return tuple(dict.fromkeys(w for w in words if w))


def is_word(term: str) -> bool:
    """Words can be typed partly; keys ('id:…', 'tel:…') only whole."""
    return ":" not in term


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def host(site: str) -> str:
    """The host of a meeting site given as a bare host or as a URL."""
    folded = fold(site.strip())
    if "://" not in folded:
        folded = "//" + folded
    return (urlsplit(folded).hostname or "").strip(".")


_NOT_HEX = re.compile(r"[^0-9a-f]")
_CANONICAL_MAC = re.compile(r"[0-9a-f]{12}")  # as identity stores a MAC
_NOT_ORDER = re.compile(r"[^0-9a-z]")


def mac_display(mac: str) -> str:
    bare = mac if _CANONICAL_MAC.fullmatch(mac) else _NOT_HEX.sub("", mac.lower())
    return ":".join([bare[i:i + 2] for i in range(0, len(bare), 2)])


def order_keys(number: str) -> tuple[str, ...]:
    """An order number however it is typed: 'WO-100200', 'wo100200' and '100200' are one order."""
    compact = _NOT_ORDER.sub("", fold(number))
    number_digits = digits(compact)
    return tuple(dict.fromkeys(f"order:{k}" for k in (compact, number_digits) if k))


def _folded(value: str) -> tuple[str, ...]:
    return (fold(value.strip()),)


_FIELD_TERMS: dict[str, Callable[[str], tuple[str, ...]]] = {
    "name": name_words,
    "display_name": name_words,
    "email": _folded,
    "sip_address": _folded,
    "serial": _folded,
    "domain": _folded,
    "site": lambda value: (host(value),),
    "phone": lambda value: (f"tel:{value}",),
    "mac": lambda value: (f"mac:{_NOT_HEX.sub('', value.lower())}",),
    "id": lambda value: (f"id:{fold(value)}",),
    "number": lambda value: (fold(value), *order_keys(value)),
}


def field_terms(name: str, value: str) -> tuple[str, ...]:
    """The terms one field of an entry is found by."""
    if not value:
        return ()
    try:
        terms = _FIELD_TERMS[name]
    except KeyError:
        raise ValueError(f"unknown field {name!r}") from None
    return terms(value)


def _terms(fields: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    found: list[str] = []
    for name, value in fields:
        if value:
            found += _FIELD_TERMS[name](value)
    return tuple(dict.fromkeys(found))


def _phones(numbers: Iterable[PhoneNumber]) -> tuple[tuple[str, str], ...]:
    """The phone fields of a user, a customer or a device: each number identity could read, in E.164."""
    return tuple(("phone", p.e164) for p in numbers if p.e164)


def customer_entry(org: Org) -> Entry:
    if org.deleted:
        return Entry("customer", org.id, org.id, org.partner_id, org.version, country=org.country, deleted=True)
    domains = tuple(d.name for d in org.domains)
    fields = (("name", org.name), ("id", org.id), *(("domain", d) for d in domains),
              *(("site", s) for s in org.sites), *_phones(org.phone_numbers))
    return Entry("customer", org.id, org.id, intern(org.partner_id), org.version, org.name, ", ".join(domains),
                 _terms(fields), fields, intern(org.country.upper()))


def user_entry(user: User, partner_id: str) -> Entry:
    if user.deleted:
        return Entry("user", user.id, user.org_id, partner_id, user.version, deleted=True)
    name = f"{user.first_name} {user.last_name}"
    display = name if user.display_name in ("", name) else user.display_name
    fields = (("name", name), *((("display_name", display),) if display is not name else ()), ("email", user.email),
              *_phones(user.phone_numbers), ("id", user.id))
    return Entry("user", user.id, intern(user.org_id), intern(partner_id), user.version, display, user.email,
                 _terms(fields), fields)


def device_entry(device: Device, partner_id: str) -> Entry:
    if device.deleted:
        return Entry("device", device.id, device.org_id, partner_id, device.version, deleted=True)
    fields = (("mac", mac_display(device.mac)), ("serial", device.serial),
              *((("sip_address", device.sip_address),) if device.sip_address else ()),
              *_phones(device.phone_numbers), ("id", device.id))
    return Entry("device", device.id, intern(device.org_id), intern(partner_id), device.version,
                 intern(device.product), device.serial, _terms(fields), fields)


def order_entry(order: Order, partner_id: str) -> Entry:
    if order.deleted:
        return Entry("order", order.number, order.org_id, partner_id, order.version, deleted=True)
    fields = (("number", order.number),)
    return Entry("order", order.number, intern(order.org_id), intern(partner_id), order.version, order.number,
                 intern(order.status), _terms(fields), fields)


def by_title(entry: Entry) -> tuple[str, str]:
    return entry.title.casefold(), entry.entity_id


def first_of_each_kind(entries: Iterable[Entry], limit: int) -> list[Entry]:
    """At most `limit` entries of each kind; when more, the first by title (what every store's `find` returns)."""
    by_kind: dict[str, list[Entry]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    found: list[Entry] = []
    for group in by_kind.values():
        if len(group) > limit:
            group.sort(key=by_title)
            del group[limit:]
        found.extend(group)
    return found


def latest(entries: Iterable[Entry]) -> list[Entry]:
    """The highest version of each entity in a batch."""
    found: dict[str, Entry] = {}
    for entry in entries:
        kept = found.get(entry.key)
        if kept is None or kept.version < entry.version:
            found[entry.key] = entry
    return list(found.values())


def entry_for(event: Event) -> Entry | None:
    """The entry an identity event describes (a tombstone for a deleted entity); None for other events."""
    partner_id = event.partner_id or ""
    match event:
        case OrgUpserted(org=org):
            return customer_entry(org)
        case UserUpserted(user=user):
            return user_entry(user, partner_id)
        case DeviceUpserted(device=device):
            return device_entry(device, partner_id)
        case OrderPlaced(order=order):
            return order_entry(order, partner_id)
    return None
