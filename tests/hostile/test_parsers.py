"""The two parsers hostile input reaches first, property-tested: how search reads what an agent typed, and how
identity reads an import line. Neither ever raises on any input; what they normalise reads back the same; search
reads an identifier as identity stored it, however it is typed; and a valid record survives its trips to the store
and onto the bus unchanged."""

from __future__ import annotations

import asyncio
import json
import string
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import Event
from contracts.identity import (
    Device,
    DeviceUpserted,
    Domain,
    Order,
    OrderPlaced,
    Org,
    OrgUpserted,
    Partner,
    PartnerUpserted,
    User,
    UserUpserted,
)
from services.identity import domain, importing, parsing, records
from services.identity.store import IdentityStore, document_of
from services.search import domain as search_domain
from services.search import handlers, query
from services.search.store import MemorySearchStore
from tests.hostile.tally import Tally

pytestmark = pytest.mark.unit

EXAMPLES = 300
# The tally is meant to outlive each example: it counts them all.
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
FAST = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=SUPPRESSED)
# Regions as a customer's country may name them, and two that name none (the pattern only asks for two letters).
REGIONS = ("US", "GB", "FR", "DE", "IT", "ES", "BR", "SE", "PL", "JP", "CH", "IN", "AU", "ZZ", "QX")
COUNTRIES = st.lists(st.sampled_from(REGIONS), max_size=3, unique=True).map(tuple)
# What an agent may type: any text, and text made of the characters identifiers are made of.
IDENTIFIER_CHARACTERS = string.ascii_letters + string.digits + " +-.:@/()_;=[]%#?&'\"\\,"
TYPED = st.text(max_size=256) | st.text(IDENTIFIER_CHARACTERS, max_size=80)


# Search: reading a query

@FAST
@given(text=TYPED, countries=COUNTRIES)
def test_any_query_is_read_without_error_and_its_readings_read_back_the_same(
        text: str, countries: tuple[str, ...], tally: Tally) -> None:
    tally.add("queries")
    reading = query.read(text, countries)

    assert reading.text == text.strip()
    for plan in reading.identifier_plans:
        kind, value = plan.interpretation.kind, plan.interpretation.value
        again = query.read(value, countries)
        # A normal form is one: read again, it is read as the same thing (a phone number as an international one).
        assert (kind, value) in [(p.interpretation.kind, p.interpretation.value) for p in again.identifier_plans]
        assert all(clause.exact for clause in plan.clauses)
    for plan in reading.word_plans:
        assert all(search_domain.is_word(word) for clause in plan.clauses for word in clause.exact)


@FAST
@given(mac=st.integers(0, 2**48 - 1), notation=st.sampled_from(["colons", "dashes", "dots", "bare"]),
       upper=st.booleans())
def test_a_mac_in_any_notation_is_read_as_identity_stores_it(mac: int, notation: str, upper: bool,
                                                           tally: Tally) -> None:
    tally.add("macs")
    hex_digits = f"{mac:012x}"
    typed = {"colons": ":".join(hex_digits[i:i + 2] for i in range(0, 12, 2)),
             "dashes": "-".join(hex_digits[i:i + 2] for i in range(0, 12, 2)),
             "dots": ".".join(hex_digits[i:i + 4] for i in range(0, 12, 4)), "bare": hex_digits}[notation]
    typed = typed.upper() if upper else typed

    macs = [p.interpretation.value for p in query.read(typed).identifier_plans if p.interpretation.kind == "mac"]

    assert macs == [records.canonical_mac(typed)] == [hex_digits]


@st.composite
def phone_numbers(draw: st.DrawFn) -> tuple[str, str, str]:
    """A number of a region as people write it, that region, and the E.164 form identity stores."""
    region = draw(st.sampled_from(REGIONS[:-2]))
    kind = draw(st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]))
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    national = str(example.national_number)
    changed = national[:-3] + f"{draw(st.integers(0, 999)):03d}"
    number = phonenumbers.parse(f"+{example.country_code}{changed}", None)
    number_format = draw(st.sampled_from([phonenumbers.PhoneNumberFormat.E164,
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                                          phonenumbers.PhoneNumberFormat.NATIONAL]))
    typed = phonenumbers.format_number(number, number_format)
    typed = typed.replace(" ", draw(st.sampled_from([" ", "-", ".", ""])))
    return typed, region, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@FAST
@given(number=phone_numbers())
def test_a_phone_number_as_typed_is_read_as_the_number_identity_stored(number: tuple[str, str, str],
                                                                      tally: Tally) -> None:
    tally.add("phone numbers")
    typed, region, _ = number
    stored = domain.phone_number(typed, region).e164

    assert stored in query.phone_numbers(typed, (region,))
    assert f"tel:{stored}" in {term for p in query.read(typed, (region,)).identifier_plans for c in p.clauses
                               for term in c.exact}


@FAST
@given(letters=st.text(string.ascii_letters, min_size=1, max_size=4), number=st.integers(100, 10**9),
       separator=st.sampled_from(["-", " ", ""]), case=st.sampled_from([str.upper, str.lower]))
def test_an_order_number_however_typed_shares_a_key_with_the_stored_one(
        letters: str, number: int, separator: str, case: Any, tally: Tally) -> None:
    tally.add("order numbers")
    stored = f"{letters.upper()}-{number}"
    typed = case(f"{letters}{separator}{number}")

    keys = {term for p in query.read(typed).identifier_plans for c in p.clauses for term in c.exact}

    assert set(search_domain.order_keys(stored)) & keys
    assert f"order:{number}" in set(search_domain.order_keys(str(number)))


@FAST
# Commas aside: the search bar reads one as a separator ("Doe,Jane"), so a name that holds one between single
# letters ("Doe,J") is found by its other words only.
@given(name=st.text(min_size=1, max_size=60).filter(lambda name: "," not in name))
def test_a_name_typed_as_it_is_written_finds_it_word_by_word(name: str, tally: Tally) -> None:
    tally.add("names")
    indexed = set(search_domain.name_words(name))

    assert set(search_domain.query_words(name)) <= indexed


@FAST
@given(word=st.text(string.ascii_lowercase, min_size=1, max_size=12), data=st.data())
def test_one_typo_is_every_single_edit_and_never_the_word_itself(word: str, data: st.DataObject,
                                                                tally: Tally) -> None:
    tally.add("words")
    at = data.draw(st.integers(0, len(word) - 1))
    letter = data.draw(st.sampled_from(string.ascii_lowercase))
    edits = {word[:at] + word[at + 1:], word[:at] + letter + word[at:], word[:at] + letter + word[at + 1:]}
    if at + 1 < len(word):
        edits.add(word[:at] + word[at + 1] + word[at] + word[at + 2:])

    variants = query.one_typo(word)

    assert word not in variants
    assert edits - {word} <= variants


# Search: the whole use-case, against an index

@pytest.fixture(scope="module")
def index() -> MemorySearchStore:
    store = MemorySearchStore()
    org = Org(id="o-acme", name="Acme Corporation", partner_id="p1", country="FR", version=1,
              domains=(Domain(name="acme.example", status="verified"),))
    user = User(id="u-jane", org_id="o-acme", version=1, email="jane.doe@acme.example", first_name="Jane",
                last_name="Doe", phone_numbers=(domain.phone_number("01 42 68 53 00", "FR"),))
    device = Device(id="d-desk", org_id="o-acme", version=1, product="Desk Pro", serial="FOC2345X1YZ",
                    mac="001a2b3c4d5e", sip_address="jane.doe@acme.example")
    order = Order(number="WO-100200", org_id="o-acme", version=1, placed_at=datetime(2024, 1, 1, tzinfo=UTC),
                  status="provisioned")
    events = [OrgUpserted(org=org, partner_id="p1"), UserUpserted(user=user, partner_id="p1"),
              DeviceUpserted(device=device, partner_id="p1"), OrderPlaced(order=order, partner_id="p1")]

    async def indexed() -> None:
        for event in events:
            await handlers.index(event, store)

    asyncio.run(indexed())
    return store


@FAST
@given(text=TYPED, org_id=st.sampled_from([None, "o-acme", "o-other", ""]), limit=st.integers(1, 100))
def test_any_query_is_answered_in_the_partners_scope_without_error(
        index: MemorySearchStore, text: str, org_id: str | None, limit: int, tally: Tally) -> None:
    tally.add("searches")
    for partner in ("p1", "p2"):
        found = asyncio.run(handlers.search(text, partner, org_id, limit, index))

        hits = [hit for kind in ("customers", "users", "devices", "orders") for hit in found[kind]]
        assert all(len(found[kind]) <= limit for kind in ("customers", "users", "devices", "orders"))
        assert partner == "p1" or hits == []
        assert all(hit["org_id"] == "o-acme" for hit in hits)


# Identity: reading an import line

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)
FIELDS = ("id", "number", "name", "org_id", "partner_id", "email", "first_name", "last_name", "mac", "serial",
          "product", "sip_address", "phone_numbers", "country", "placed_at", "status", "roles", "licenses",
          "subscriptions", "domains", "sites", "deleted", "features", "locale", "created_at", "owner_user_id")


@st.composite
def record_like(draw: st.DrawFn) -> dict[str, Any]:
    """An object that looks like a record: a kind (or not), and known fields with values of any type."""
    fields = draw(st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES | st.text(IDENTIFIER_CHARACTERS, max_size=30),
                                  max_size=8))
    kind = draw(st.sampled_from([*records.KINDS, "nonsense", None]))
    return fields if kind is None else {"type": kind, **fields}


LINES = (st.binary(max_size=300) | record_like().map(lambda r: json.dumps(r).encode())
         | JSON_VALUES.map(lambda v: json.dumps(v).encode()))


@FAST
@given(line=LINES, country=st.sampled_from(REGIONS))
def test_any_line_is_read_or_rejected_with_a_reason_never_an_error(line: bytes, country: str, tally: Tally) -> None:
    tally.add("lines")
    parsed = parsing.parse_line(7, line)

    assert [parsed.entity is not None, parsed.record is not None, parsed.error is not None].count(True) == 1
    assert parsed.error is None or (isinstance(parsed.error, str) and parsed.error.strip())
    if isinstance(parsed.record, records.UserRecord | records.DeviceRecord):
        # Read in its customer's country once that is known: a number that does not read there is a reason too.
        refused = _refusal(parsed.record, country)
        assert refused is None or refused.strip()


def _refusal(record: records.UserRecord | records.DeviceRecord, country: str) -> str | None:
    """Why the record makes no entity in this country, or None when it makes one."""
    try:
        domain.entity_from(record, 1, country)
    except records.InvalidRecord as error:
        return str(error)
    return None


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=SUPPRESSED)
@given(lines=st.lists(LINES.filter(lambda line: b"\n" not in line and b"\r" not in line and line.strip()),
                      min_size=1, max_size=12))
def test_an_import_of_any_lines_reports_each_as_accepted_or_rejected(lines: list[bytes], tally: Tally) -> None:
    tally.add("imports")
    tally.add("import lines", len(lines))

    async def imported() -> importing.ImportReport:
        async def body() -> Any:
            yield b"\n".join(lines) + b"\n"

        return await importing.import_records(body(), IdentityStore.memory())

    report = asyncio.run(imported())

    assert report.accepted + report.rejected_total == len(lines)
    assert all(r["error"].strip() for r in report.rejected)


# Identity: a valid record, there and back

IDS = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=40)
TEXTS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40).filter(str.strip)  # no lone surrogates
LABELS = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)
DOMAINS = st.builds(lambda labels, tld: ".".join([*labels, tld]), st.lists(LABELS, min_size=1, max_size=3),
                    st.sampled_from(["com", "net", "io", "it", "example"]))
LOCAL_PARTS = st.lists(st.text(string.ascii_letters + string.digits + "_+-", min_size=1, max_size=8), min_size=1,
                       max_size=3).map(".".join)
EMAILS = st.builds(lambda local, host, upper: f"{local}@{host.upper() if upper else host}", LOCAL_PARTS, DOMAINS,
                   st.booleans())
MACS = st.builds(lambda n, sep: sep.join(f"{n:012x}"[i:i + 2] for i in range(0, 12, 2)) if sep != "."
                 else ".".join(f"{n:012X}"[i:i + 4] for i in range(0, 12, 4)),
                 st.integers(0, 2**48 - 1), st.sampled_from([":", "-", ".", ""]))
SIPS = st.builds(lambda scheme, local, host, port, params: f"{scheme}{local}@{host}{port}{params}",
                 st.sampled_from(["", "sip:", "sips:", "SIP:"]), LOCAL_PARTS, DOMAINS,
                 st.sampled_from(["", ":5061"]), st.sampled_from(["", ";transport=tls"]))
WHEN = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
COUNTS = st.integers(0, records.MAX_COUNT)


@st.composite
def valid_records(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A record of any kind that identity must accept, written as it may arrive, and its customer's country."""
    kind = draw(st.sampled_from(records.KINDS))
    country = draw(st.sampled_from(REGIONS[:-2]))
    numbers = draw(st.lists(phone_numbers().filter(lambda n: n[1] == country), max_size=2))
    phones = [typed for typed, _, _ in numbers]
    record: dict[str, Any] = {"type": kind}
    if kind == "partner":
        record |= {"id": draw(IDS), "name": draw(TEXTS)}
    elif kind == "org":
        record |= {"id": draw(IDS), "name": draw(TEXTS), "partner_id": draw(IDS),
                   "country": draw(st.sampled_from([country, country.lower()])),
                   "created_at": draw(st.none() | WHEN.map(datetime.isoformat)),
                   "domains": [{"name": d, "status": draw(st.sampled_from(["claimed", "verified"]))}
                               for d in draw(st.lists(DOMAINS, max_size=2))],
                   "sites": draw(st.lists(DOMAINS, max_size=2)),
                   "licenses": [{"sku": draw(IDS), "name": draw(TEXTS), "total": draw(COUNTS),
                                 "consumed": draw(COUNTS)} for _ in range(draw(st.integers(0, 2)))],
                   "subscriptions": [{"id": draw(IDS), "offer": draw(IDS), "quantity": draw(COUNTS),
                                      "status": "active", "start": draw(st.none() | WHEN.map(datetime.isoformat))}
                                     for _ in range(draw(st.integers(0, 2)))],
                   "phone_numbers": phones}
    elif kind == "user":
        record |= {"id": draw(IDS), "org_id": draw(IDS), "email": draw(EMAILS), "first_name": draw(TEXTS),
                   "last_name": draw(TEXTS), "display_name": draw(st.just("") | TEXTS), "phone_numbers": phones,
                   "status": draw(st.sampled_from(["active", "pending", "inactive"])),
                   "roles": draw(st.lists(st.sampled_from(sorted(domain.ROLES)), unique=True, max_size=2)),
                   "licenses": draw(st.lists(IDS, max_size=2)),
                   "features": draw(st.dictionaries(IDS, st.booleans(), max_size=3)),
                   "locale": draw(st.sampled_from(["en", "it"]))}
    elif kind == "device":
        owner = draw(st.sampled_from(["owner_user_id", "owner_place"]))
        record |= {"id": draw(IDS), "org_id": draw(IDS), "product": draw(TEXTS), "serial": draw(IDS),
                   "mac": draw(MACS), "sip_address": draw(st.none() | SIPS), owner: draw(IDS),
                   "status": draw(st.sampled_from(["online", "offline"])), "phone_numbers": phones}
    else:
        record |= {"number": draw(IDS), "org_id": draw(IDS), "placed_at": draw(WHEN).isoformat(),
                   "status": draw(TEXTS), "subscription_id": draw(st.none() | IDS)}
    return record, country


def announced(entity: domain.Entity) -> Event:
    """The event that carries the entity on the bus, as identity announces it."""
    match entity:
        case Partner():
            return PartnerUpserted(partner=entity, partner_id=entity.id)
        case Org():
            return OrgUpserted(org=entity, partner_id=entity.partner_id)
        case User():
            return UserUpserted(user=entity, partner_id="p1")
        case Device():
            return DeviceUpserted(device=entity, partner_id="p1")
    return OrderPlaced(order=entity, partner_id="p1")


def _imported(line: bytes, country: str) -> domain.Entity:
    """The entity identity makes of an import line, its national numbers read in `country`."""
    record = records.parse_record(line)
    assert not isinstance(record, records.DeletionRecord)
    return domain.entity_from(record, 1, country)


def record_of(entity: domain.Entity) -> dict[str, Any]:
    """The entity written back as an import line gives it: its phone numbers as they were typed."""
    kind = next(kind for kind, model in domain.ENTITIES.items() if isinstance(entity, model))
    fields = entity.model_dump(mode="json", exclude={"version"})
    if "phone_numbers" in fields:
        fields["phone_numbers"] = [number["display"] for number in fields["phone_numbers"]]
    return {"type": kind, **fields}


@FAST
@given(given_record=valid_records(), ascii_only=st.booleans())
def test_a_valid_record_survives_the_store_the_bus_and_a_second_import_unchanged(
        given_record: tuple[dict[str, Any], str], ascii_only: bool, tally: Tally) -> None:
    record, country = given_record
    tally.add(f"{record['type']} records")
    line = json.dumps(record, ensure_ascii=ascii_only).encode()

    entity = _imported(line, country)
    stored = type(entity).model_validate(document_of(entity))
    event = announced(entity)
    imported_again = _imported(json.dumps(record_of(entity)).encode(), country)

    assert stored == entity
    assert type(event).model_validate_json(event.model_dump_json()) == event
    assert imported_again == entity
    if isinstance(entity, Device):
        assert entity.mac == records.canonical_mac(record["mac"])
