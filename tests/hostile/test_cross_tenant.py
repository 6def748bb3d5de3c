"""Probing other partners' customers through the search bar and the id routes, in the embedded product with four
partners: 10,000 queries made from the identifiers of other partners' customers, users, devices and orders (names,
e-mail addresses, phone numbers in many formats, MACs, serials, SIP addresses, ids, domains, sites, order numbers,
their prefixes and typos), each asked for an agent of a partner they do not belong to. Not one answer differs from
the answer the agent would get were the other partners' data not there at all, and every other partner's object
answers the id routes exactly as an unknown id does.

Every query is asked of the search use-case over the index of all four partners (as the search service builds it,
from the same events), and every fifth one also through the gateway's route by the agent's own sign-in: the whole
run takes seconds, where 10,000 requests through the gateway would take half a minute."""

from __future__ import annotations

import json
import random
import unicodedata
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import phonenumbers
import pytest

from contracts.identity import DeviceUpserted, OrderPlaced, OrgUpserted, UserUpserted
from gateway.config import GatewaySettings
from services.identity import demo, generator
from services.search import handlers
from services.search.store import MemorySearchStore
from tests.hostile.tally import Tally
from tests.product import Product, login, running

pytestmark = pytest.mark.e2e

QUERIES = 10_000
SEED = 20_240_611
USERS = 400  # generated: 40 customers of two partners, besides the demo's two
AGENTS = {"p-northwind": "agent@northwind.example", "p-contoso": "agent@contoso.example",
          "partner-0001": "helpdesk@partner1.example", "partner-0002": "helpdesk@partner2.example"}
KINDS = ("customers", "users", "devices", "orders")


@dataclass(frozen=True)
class Target:
    """Something of one partner's, and what it is known by, as identity stored it."""

    partner: str
    kind: str
    entity_id: str
    org_id: str
    clues: tuple[tuple[str, str], ...]  # (what, value)
    country: str


def _targets(records: list[dict[str, Any]]) -> list[Target]:
    orgs = {r["id"]: r for r in records if r["type"] == "org"}
    found = []
    for record in records:
        org = orgs.get(record["id"] if record["type"] == "org" else record.get("org_id", ""))
        if org is None or org["partner_id"] not in AGENTS:
            continue
        country = org.get("country", "US")
        phones = tuple(("phone", p) for p in record.get("phone_numbers", []))
        match record["type"]:
            case "org":
                clues = (("id", record["id"]), ("name", record["name"]), *phones,
                         *(("domain", d["name"]) for d in record.get("domains", [])),
                         *(("site", s) for s in record.get("sites", [])))
                found.append(Target(org["partner_id"], "customers", record["id"], record["id"], clues, country))
            case "user":
                clues = (("id", record["id"]), ("email", record["email"]),
                         ("name", f"{record['first_name']} {record['last_name']}"), *phones)
                found.append(Target(org["partner_id"], "users", record["id"], org["id"], clues, country))
            case "device":
                clues = (("id", record["id"]), ("mac", record["mac"]), ("serial", record["serial"]), *phones,
                         *((("sip", record["sip_address"]),) if record.get("sip_address") else ()))
                found.append(Target(org["partner_id"], "devices", record["id"], org["id"], clues, country))
            case "order":
                found.append(Target(org["partner_id"], "orders", record["number"], org["id"],
                                    (("order", record["number"]),), country))
    return found


# How an agent may type each kind of clue

def _unaccented(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    at = rng.randrange(len(text) - 1)
    return text[:at] + text[at + 1] + text[at] + text[at + 2:]


def _names(rng: random.Random, name: str, _: str) -> list[str]:
    first, _, last = name.partition(" ")
    return [name, f"{last}, {first}", f"{last} {first}".lower(), last, first[:3], _typo(rng, name),
            _unaccented(name).upper(), f"{first[:1]} {last[:4]}"]


def _emails(rng: random.Random, email: str, _: str) -> list[str]:
    local, _, domain = email.partition("@")
    return [email, email.upper(), f"mailto:{email}", local, domain, f"  {email}  ", _typo(rng, email)]


def _phones(rng: random.Random, typed: str, country: str) -> list[str]:
    number = phonenumbers.parse(typed, country)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return [typed, e164, e164[1:], f"00{e164[1:]}", national, national.replace(" ", "."),
            "".join(ch for ch in national if ch.isdigit()), e164[:-2]]


def _macs(rng: random.Random, mac: str, _: str) -> list[str]:
    bare = "".join(ch for ch in mac.lower() if ch in "0123456789abcdef")
    pairs = [bare[i:i + 2] for i in range(0, 12, 2)]
    return [mac, bare, bare.upper(), ":".join(pairs), "-".join(pairs).upper(),
            ".".join(bare[i:i + 4] for i in range(0, 12, 4)), ":".join(pairs[:5])]


def _plain(rng: random.Random, value: str, _: str) -> list[str]:
    return [value, value.lower(), value.upper(), value[: max(3, len(value) // 2)], _typo(rng, value)]


def _sites(rng: random.Random, site: str, _: str) -> list[str]:
    return [site, f"https://{site}/meet/someone", f"www.{site}", site.upper(), f"{site}."]


def _orders(rng: random.Random, number: str, _: str) -> list[str]:
    digits = "".join(ch for ch in number if ch.isdigit())
    return [number, number.lower(), digits, f"WO {digits}", digits[:4], number.replace("-", "")]


VARIANTS: dict[str, Callable[[random.Random, str, str], list[str]]] = {
    "name": _names, "email": _emails, "phone": _phones, "mac": _macs, "serial": _plain, "id": _plain,
    "domain": _sites, "site": _sites, "sip": lambda rng, sip, c: [sip, f"sip:{sip}", f"SIPS:{sip.upper()};x=1"],
    "order": _orders,
}


@dataclass(frozen=True)
class Probe:
    asker: str
    q: str
    org_id: str | None
    target: Target


def probes(targets: list[Target], count: int, seed: int) -> Iterator[Probe]:
    """Queries from other partners' clues, as an agent of another partner may type them; a tenth scoped to the
    target's own customer, another tenth to a customer of the asker."""
    rng = random.Random(seed)
    own_orgs = {p: sorted({t.org_id for t in targets if t.partner == p}) for p in AGENTS}
    by_kind = {kind: [t for t in targets if t.kind == kind] for kind in KINDS}
    for _ in range(count):
        target = rng.choice(by_kind[rng.choice(KINDS)])
        asker = rng.choice([p for p in AGENTS if p != target.partner])
        what, value = rng.choice(target.clues)
        q = rng.choice(VARIANTS[what](rng, value, target.country)).strip()[:256] or value
        scope = rng.random()
        org_id = target.org_id if scope < 0.1 else rng.choice(own_orgs[asker]) if scope < 0.2 else None
        yield Probe(asker, q, org_id, target)


# The product, and the world each partner sees alone

@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [*demo.RECORDS, *generator.records(USERS, seed=SEED)]


@pytest.fixture
async def product(records: list[dict[str, Any]]) -> AsyncIterator[Product]:
    # Searches as fast as the test sends them: the per-agent rate limit has tests of its own.
    settings = GatewaySettings(auth_mode="demo", search_burst=10**9, search_per_minute=10**9)
    async with running(settings) as (embedded, client):
        generated = [r for r in records if r not in demo.RECORDS]
        imported = await client.post("/api/v1/operator/import",
                                     content="".join(json.dumps(r) + "\n" for r in generated),
                                     headers=await login(client, demo.OPERATOR_EMAIL))
        assert (imported.json()["accepted"], imported.json()["rejected"]) == (len(generated), [])
        await embedded.settle()
        yield embedded, client


async def indexes(product: Product) -> tuple[MemorySearchStore, dict[str, MemorySearchStore]]:
    """The index of every partner's entities, from the events the product published, and each partner's own
    entities indexed as if no other partner existed."""
    shared, alone = MemorySearchStore(), {partner: MemorySearchStore() for partner in AGENTS}
    for event in product[0].bus.published([OrgUpserted.TOPIC, UserUpserted.TOPIC, DeviceUpserted.TOPIC,
                                           OrderPlaced.TOPIC]):
        await handlers.index(event, shared)
        if event.partner_id in alone:
            await handlers.index(event, alone[event.partner_id])
    return shared, alone


def _hits(answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(kind, hit["id"], hit["org_id"]) for kind in KINDS for hit in answer[kind]]


async def test_no_answer_to_10000_probes_reveals_anything_of_another_partner(
        product: Product, records: list[dict[str, Any]], tally: Tally) -> None:
    _, client = product
    targets = _targets(records)
    shared, alone = await indexes(product)
    headers = {partner: await login(client, email) for partner, email in AGENTS.items()}
    owned = {(t.kind, t.entity_id): t.partner for t in targets}
    found_by_owner = asked_by_owner = 0

    for n, probe in enumerate(probes(targets, QUERIES, SEED)):
        answer = await handlers.search(probe.q, probe.asker, probe.org_id, 100, shared)
        alone_answer = await handlers.search(probe.q, probe.asker, probe.org_id, 100, alone[probe.asker])
        tally.add(probe.target.kind)

        leaked = [hit for hit in _hits(answer) if owned.get(hit[:2], probe.asker) != probe.asker]
        assert leaked == [], probe
        assert answer == alone_answer, probe
        if n % 5 == 0:
            params: dict[str, str | int] = {"q": probe.q, "limit": 100,
                                            **({"org_id": probe.org_id} if probe.org_id else {})}
            through_gateway = await client.get("/api/v1/search", params=params, headers=headers[probe.asker])
            tally.add("through the gateway")
            assert through_gateway.status_code == 200, (probe, through_gateway.text)
            assert through_gateway.json() == json.loads(json.dumps(alone_answer)), probe
            by_owner = await handlers.search(probe.q, probe.target.partner, None, 100, alone[probe.target.partner])
            asked_by_owner += 1
            found_by_owner += probe.target.entity_id in [hit[1] for hit in _hits(by_owner)]

    assert sum(tally.cases[kind] for kind in KINDS) == QUERIES
    assert tally.cases["through the gateway"] == QUERIES // 5
    assert min(tally.cases[kind] for kind in KINDS) >= QUERIES // 5  # every kind of target was probed
    # The probes are ones that find: the same queries find their target when its own partner's agent asks.
    assert found_by_owner >= asked_by_owner * 3 // 4, (found_by_owner, asked_by_owner)


ID_ROUTES = {"customers": ["GET /api/v1/customers/{}", "POST /api/v1/customers/{}/read-only-sessions"],
             "users": ["GET /api/v1/users/{}", "GET /api/v1/users/{}/email", "POST /api/v1/users/{}/verification-codes",
                       "DELETE /api/v1/users/{}/suppression"],
             "devices": ["GET /api/v1/devices/{}"], "orders": ["GET /api/v1/orders/{}"]}


async def test_every_object_of_another_partner_answers_the_id_routes_exactly_like_an_unknown_id(
        product: Product, records: list[dict[str, Any]], tally: Tally) -> None:
    _, client = product
    rng = random.Random(SEED)
    headers = {partner: await login(client, email) for partner, email in AGENTS.items()}
    unknown: dict[tuple[str, str], httpx.Response] = {}

    async def call(route: str, object_id: str, asker: str) -> httpx.Response:
        method, path = route.split(" ")
        body = {"reason": "Ticket 4711"} if path.endswith("read-only-sessions") else None
        return await client.request(method, path.format(object_id), json=body, headers=headers[asker])

    for target in _targets(records):  # each object on one of its routes, asked by one other partner's agent
        asker = rng.choice([p for p in AGENTS if p != target.partner])
        route = rng.choice(ID_ROUTES[target.kind])
        if (route, asker) not in unknown:
            unknown[route, asker] = await call(route, f"nobody-{rng.randrange(10**9)}", asker)
        answer = await call(route, target.entity_id, asker)
        tally.add(route)

        expected = unknown[route, asker]
        assert (answer.status_code, answer.json()) == (404, expected.json()), (route, target)
        assert answer.headers["content-length"] == expected.headers["content-length"]

    assert Counter(route.split(" ")[0] for route in tally.cases) == {"GET": 5, "POST": 2, "DELETE": 1}
