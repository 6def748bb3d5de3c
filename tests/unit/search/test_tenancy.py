"""Tenant isolation, property-tested: whatever arrives in whatever order, an agent finds exactly the entities of
the customers their partner manages now, never another partner's, whatever the query."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import Event
from contracts.identity import (
    Device,
    DeviceUpserted,
    OrderPlaced,
    Org,
    OrgUpserted,
    PhoneNumber,
    User,
    UserUpserted,
)
from services.search import handlers
from services.search.store import MemorySearchStore
from tests.search_events import order_placed

pytestmark = pytest.mark.unit
PARTNERS = ("p0", "p1", "p2", "p3")
ORGS = ("o0", "o1", "o2", "o3", "o4")
NAMES = (("Jane", "Doe"), ("Jane", "Smith"), ("René", "Lefèvre"), ("María", "López"))
PHONES = (("+14155550100", "US"), ("+33142685300", "FR"))
MACS = ("001a2b3c4d5e", "a0b1c2d3e4f5")
SERIALS = ("FOC2345X1YZ", "FOC9999A1BC")
ORDERS = ("WO-100200", "WO-100201")
# The same words, addresses and numbers exist under every partner: only scope keeps them apart.
QUERIES = ("jane", "jane doe", "smith", "lefevre rene", "lopez", "smyth", "jan", "acme", "acme.example",
           "jane.doe@acme.example", "rene.lefevre@acme.example", "(415) 555-0100", "+1 415 555 0100",
           "01 42 68 53 00", "00:1A:2B:3C:4D:5E", "a0-b1-c2-d3-e4-f5", "FOC2345X1YZ", "foc", "WO-100200", "100201",
           "o1", "u1", "d1")


@dataclass(frozen=True)
class Member:
    kind: str
    entity_id: str
    org_id: str


def _org(org_id: str, version: int, partner_id: str, country: str) -> Event:
    org = Org(id=org_id, name=f"Acme {org_id}", partner_id=partner_id, country=country, version=version,
              domains=({"name": "acme.example", "status": "verified"},))  # type: ignore[arg-type]
    return OrgUpserted(org=org, partner_id=partner_id)


def _member(member: Member, version: int, partner_id: str, deleted: bool, variant: int) -> Event:
    first, last = NAMES[variant % len(NAMES)]
    if member.kind == "user":
        e164, _ = PHONES[variant % len(PHONES)]
        user = User(id=member.entity_id, org_id=member.org_id, version=version, deleted=deleted,
                    email=f"{first}.{last}@acme.example".lower().replace("é", "e").replace("í", "i").replace("ó", "o"),
                    first_name=first, last_name=last, phone_numbers=(PhoneNumber(display=e164, e164=e164),))
        return UserUpserted(user=user, partner_id=partner_id)
    if member.kind == "device":
        device = Device(id=member.entity_id, org_id=member.org_id, version=version, deleted=deleted, product="Desk",
                        serial=SERIALS[variant % 2], mac=MACS[variant % 2])
        return DeviceUpserted(device=device, partner_id=partner_id)
    placed = order_placed(ORDERS[variant % 2], member.org_id, partner_id, version)
    return OrderPlaced(order=placed.order.model_copy(update={"deleted": deleted}), partner_id=partner_id)


@st.composite
def deliveries(draw: st.DrawFn) -> list[Event]:
    """Every version of some customers (moving between partners) and their members, in any order, some twice."""
    events: list[Event] = []
    for org_id in draw(st.lists(st.sampled_from(ORGS), unique=True, max_size=4)):
        for version in range(1, draw(st.integers(1, 3)) + 1):
            events.append(_org(org_id, version, draw(st.sampled_from(PARTNERS)), draw(st.sampled_from(("US", "FR")))))
    kinds = {"user": "u", "device": "d", "order": "r"}
    for n in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(tuple(kinds)))
        # Orders are keyed by number: two orders with one number are one order, as in identity.
        entity_id = ORDERS[n % 2] if kind == "order" else f"{kinds[kind]}{n}"
        member = Member(kind, entity_id, draw(st.sampled_from(ORGS)))
        last = draw(st.integers(1, 3))
        for version in range(1, last + 1):
            events.append(_member(member, version, draw(st.sampled_from(PARTNERS)),
                                  version == last and draw(st.booleans()), draw(st.integers(0, 7))))
    ordered = draw(st.permutations(events))
    return [*ordered, *draw(st.lists(st.sampled_from(ordered), max_size=5))] if ordered else []


def _key(event: Event) -> tuple[str, str]:
    match event:
        case OrgUpserted(org=org):
            return "customer", org.id
        case UserUpserted(user=user):
            return "user", user.id
        case DeviceUpserted(device=device):
            return "device", device.id
        case OrderPlaced(order=order):
            return "order", order.number
    raise TypeError(event)


def _state(event: Event) -> Any:
    return getattr(event, {"customer": "org"}.get(_key(event)[0], _key(event)[0]))


def owners(events: list[Event]) -> dict[tuple[str, str], tuple[str, str]]:
    """What the read model must hold: each live entity's (partner, org), by the rules, not by the store's code."""
    newest: dict[tuple[str, str], Event] = {}
    for event in events:
        key = _key(event)
        if key not in newest or _state(newest[key]).version < _state(event).version:
            newest[key] = event
    managing = {org.id: org.partner_id for e in newest.values() if isinstance(e, OrgUpserted) for org in [e.org]}
    found = {}
    for key, event in newest.items():
        state = _state(event)
        if state.deleted:
            continue
        org_id = state.id if key[0] == "customer" else state.org_id
        partner = managing.get(org_id, event.partner_id)
        found[key] = (partner, org_id)
    return found


async def _check(events: list[Event]) -> None:
    store = MemorySearchStore()
    for event in events:
        await handlers.index(event, store)
    expected = owners(events)
    for partner in PARTNERS:
        mine = {key for key, (owner, _) in expected.items() if owner == partner}
        for q in QUERIES:
            for org_id in (None, *ORGS):
                result = await handlers.search(q, partner, org_id, 100, store)
                hits = {(group[:-1], hit["id"]): hit["org_id"] for group in ("customers", "users", "devices", "orders")
                        for hit in result[group]}
                assert set(hits) <= mine, (q, partner, org_id)
                assert all(expected[key][1] == hits[key] for key in hits), (q, partner)
                assert org_id is None or all(o == org_id for o in hits.values()), (q, partner, org_id)
        for kind, entity_id in mine:
            result = await handlers.search(entity_id, partner, None, 100, store)
            assert entity_id in [hit["id"] for hit in result[f"{kind}s"]], (kind, entity_id, partner)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deliveries())
def test_an_agent_finds_exactly_the_entities_of_the_customers_their_partner_manages(events: list[Event]) -> None:
    asyncio.run(_check(events))
