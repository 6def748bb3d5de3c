"""Importing records: good lines upserted with exactly one event per change, bad lines reported."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from contracts.identity import Device, Order, Org, User
from runtime.bus import InProcessBus
from runtime.outbox import OutboxRelay
from services.identity import handlers, importing, parsing
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit

BASE = [
    {"type": "partner", "id": "p1", "name": "Northwind"},
    {"type": "org", "id": "o1", "name": "Acme", "partner_id": "p1"},
]
NOT_A_RECORD = "each line must be a JSON object whose 'type' is one of partner, org, user, device, order"
STAFF = {"type": "org", "id": "p1", "name": "Northwind staff", "partner_id": "p1"}
AGENT = {"type": "user", "id": "u-agent", "org_id": "p1", "email": "agent@northwind.example", "first_name": "Alex",
         "last_name": "Agent"}
JANE = {"type": "user", "id": "u1", "org_id": "o1", "email": "Jane@Acme.example", "first_name": "Jane",
        "last_name": "Doe"}


async def chunks(*records: object, size: int = 7) -> AsyncIterator[bytes]:
    """The body as a client streams it: in small pieces that cut lines anywhere."""
    body = b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)
    for start in range(0, len(body), size):
        yield body[start:start + size]


async def published(store: IdentityStore) -> list[str]:
    bus = InProcessBus()
    await OutboxRelay(list(store.collections.values()), bus).run_once()
    return [e.event_type for e in bus.published()]


async def test_good_lines_are_accepted_even_around_bad_ones() -> None:
    store = IdentityStore.memory()

    report = await importing.import_records(chunks(*BASE, b"{oops", {"type": "robot", "id": "r"}, JANE), store)

    assert report.accepted == 3
    assert report.rejected == [
        {"line": 3, "error": "not valid JSON"},
        {"line": 4, "error": NOT_A_RECORD},
    ]
    assert (await store.get(User, "u1")) is not None


DESK = {"type": "device", "id": "d1", "org_id": "o1", "product": "Desk Pro", "serial": "FOC123",
        "mac": "00:1A:2B:3C:4D:5E"}


@pytest.mark.parametrize(
    ("record", "error"),
    [
        ([1, 2], NOT_A_RECORD),
        ({"id": "x"}, NOT_A_RECORD),
        ({**JANE, "email": "jane.acme.example"}, "email: 'jane.acme.example' is not an e-mail address: An email "
                                                 "address must have an @-sign."),
        ({**JANE, "email": "jane@acme"}, "email: 'jane@acme' is not an e-mail address: The part after the @-sign "
                                         "is not valid. It should have a period."),
        ({**JANE, "first_name": ""}, "first_name: String should have at least 1 character"),
        ({**JANE, "status": "sleeping"}, "status: Input should be 'active', 'pending' or 'inactive'"),
        ({**JANE, "org_id": "nowhere"}, "org 'nowhere' does not exist; import it first"),
        ({**JANE, "surprise": 1}, "surprise: Extra inputs are not permitted"),
        ({**JANE, "phone_numbers": ["call me maybe"]}, "phone_numbers: 'call me maybe' is not a phone number"),
        ({**JANE, "phone_numbers": ["+1 415 55"]}, "phone_numbers: '+1 415 55' is not a possible phone number in US"),
        ({"type": "user", "org_id": "o1"}, "id: Field required"),
        ({"type": "org", "id": "o2", "name": "X", "partner_id": "ghost"}, "partner 'ghost' does not exist"),
        ({"type": "org", "id": "o2", "name": "X", "partner_id": "p1", "country": "USA"},
         "country: String should match pattern"),
        ({"type": "org", "id": "o2", "name": "X", "partner_id": "p1", "domains": [{"name": "x.example",
                                                                                  "status": "owned"}]},
         "domains.0.status: Input should be 'claimed' or 'verified'"),
        ({**DESK, "mac": "00:1A:2B:3C:4D"}, "mac: '00:1A:2B:3C:4D' is not a MAC address"),
        ({**DESK, "mac": "00:1A:2B:3C:4D:5G"}, "mac: '00:1A:2B:3C:4D:5G' is not a MAC address"),
        ({**DESK, "sip_address": "jane"}, "sip_address: 'jane' is not a SIP address (expected sip:user@host)"),
        ({**DESK, "owner_user_id": "u1", "owner_place": "Room 4"},
         "a device is owned by a user or stands in a place, not both"),
        ({**DESK, "phone_numbers": ["ext. front desk"]}, "phone_numbers: 'ext. front desk' is not a phone number"),
        ({**DESK, "phone_numbers": ["415 55"]}, "phone_numbers: '415 55' is not a possible phone number in US"),
        ({**DESK, "phone_numbers": [""]}, "phone_numbers.0: String should have at least 1 character"),
        ({"type": "org", "id": "o2", "name": "X", "partner_id": "p1", "phone_numbers": ["call me maybe"]},
         "phone_numbers: 'call me maybe' is not a phone number"),
        ({"type": "org", "id": "o2", "name": "X", "partner_id": "p1", "country": "FR", "phone_numbers": ["01 42"]},
         "phone_numbers: '01 42' is not a possible phone number in FR"),
        ({"type": "order", "number": "WO-1", "org_id": "o1", "status": "ok", "placed_at": "yesterday"},
         "placed_at: Input should be a valid datetime"),
        ({"type": "user", "id": "u1", "deleted": "yes"}, "deleted: Input should be True"),
    ],
)
async def test_a_bad_record_is_rejected_with_its_reason(record: object, error: str) -> None:
    store = IdentityStore.memory()

    report = await importing.import_records(chunks(*BASE, record), store)

    assert report.accepted == 2
    assert len(report.rejected) == 1
    assert report.rejected[0]["line"] == 3
    assert report.rejected[0]["error"].startswith(error), report.rejected[0]["error"]


@pytest.mark.parametrize("written", [b'"deleted": false', b'"deleted":false', b'"deleted" :\t false'])
async def test_a_record_that_says_it_is_not_deleted_is_upserted_however_it_is_spaced(written: bytes) -> None:
    store = IdentityStore.memory()
    jane = json.dumps(JANE).encode()[:-1] + b", " + written + b"}"

    report = await importing.import_records(chunks(*BASE, jane), store)

    assert (report.accepted, report.rejected) == (3, [])
    assert (await store.get(User, "u1")) is not None


LICENSE = {"sku": "MTG-PRO", "name": "Meetings Pro", "total": 50, "consumed": 3}
SUBSCRIPTION = {"id": "s1", "offer": "MTG-PRO", "quantity": 50, "status": "active"}


def org_with(counts: dict[str, object], org_id: str = "o2") -> dict[str, object]:
    """A customer with one licence and one subscription, some of their counts given as `where: value`
    (`licenses.0.total`)."""
    org: dict[str, Any] = {"type": "org", "id": org_id, "name": "Globex", "partner_id": "p1",
                           "licenses": [dict(LICENSE)], "subscriptions": [dict(SUBSCRIPTION)]}
    for where, value in counts.items():
        items, _, field = where.split(".")
        org[items][0][field] = value
    return org


@pytest.mark.parametrize("where", ["licenses.0.total", "licenses.0.consumed", "subscriptions.0.quantity"])
@pytest.mark.parametrize(("value", "error"), [
    (-1, "must be between 0 and 10,000,000"),
    (10_000_001, "must be between 0 and 10,000,000"),
    (10**30, "must be between 0 and 10,000,000"),  # more than a database's 64-bit integer holds
    (True, "must be a whole number between 0 and 10,000,000"),
    (1.5, "must be a whole number between 0 and 10,000,000"),
    (2.0, "must be a whole number between 0 and 10,000,000"),
    ("5", "must be a whole number between 0 and 10,000,000"),
    (None, "must be a whole number between 0 and 10,000,000"),
])
async def test_a_licence_or_subscription_count_out_of_bounds_is_rejected_with_the_bounds(
    where: str, value: object, error: str,
) -> None:
    store = IdentityStore.memory()

    report = await importing.import_records(chunks(*BASE, org_with({where: value}), JANE), store)

    assert report.accepted == 3
    assert report.rejected == [{"line": 3, "error": f"{where}: {error}"}]
    assert await store.get(Org, "o2") is None


async def test_licence_and_subscription_counts_at_their_bounds_are_kept() -> None:
    store = IdentityStore.memory()
    counts = ("licenses.0.total", "licenses.0.consumed", "subscriptions.0.quantity")
    empty = org_with(dict.fromkeys(counts, 0), "o2")
    full = org_with(dict.fromkeys(counts, 10_000_000), "o3")

    report = await importing.import_records(chunks(*BASE, empty, full), store)

    assert (report.accepted, report.rejected) == (4, [])
    kept = await store.get(Org, "o3")
    assert kept is not None
    assert (kept.licenses[0].total, kept.licenses[0].consumed, kept.subscriptions[0].quantity) == (
        10_000_000, 10_000_000, 10_000_000)


async def test_phone_numbers_are_read_in_the_org_country_and_kept_as_typed() -> None:
    store = IdentityStore.memory()
    italian_org = {"type": "org", "id": "o-it", "name": "Bianchi", "partner_id": "p1", "country": "IT"}
    numbers = ["02 1234 5678", "+39 02 1234 5678", "0039.02.1234.5678", "+1 (415) 555-0100"]
    user = {**JANE, "org_id": "o-it", "phone_numbers": numbers}

    report = await importing.import_records(chunks(*BASE, italian_org, user), store)

    assert report.rejected == []
    saved = await store.get(User, "u1")
    assert saved is not None
    assert [(p.display, p.e164) for p in saved.phone_numbers] == [
        ("02 1234 5678", "+390212345678"),
        ("+39 02 1234 5678", "+390212345678"),
        ("0039.02.1234.5678", "+390212345678"),
        ("+1 (415) 555-0100", "+14155550100"),
    ]


async def test_a_customers_own_numbers_are_read_in_its_country_and_kept_as_typed() -> None:
    store = IdentityStore.memory()
    italian_org = {"type": "org", "id": "o-it", "name": "Bianchi", "partner_id": "p1", "country": "it",
                   "phone_numbers": ["02 1234 5670", "+39 02 1234 5671", "0039.02.1234.5672", "+1 (415) 555-0199"]}

    report = await importing.import_records(chunks(*BASE, italian_org), store)

    assert report.rejected == []
    saved = await store.get(Org, "o-it")
    assert saved is not None
    assert [(p.display, p.e164) for p in saved.phone_numbers] == [
        ("02 1234 5670", "+390212345670"),
        ("+39 02 1234 5671", "+390212345671"),
        ("0039.02.1234.5672", "+390212345672"),
        ("+1 (415) 555-0199", "+14155550199"),
    ]


async def test_a_devices_lines_are_read_in_its_customers_country() -> None:
    store = IdentityStore.memory()
    italian_org = {"type": "org", "id": "o-it", "name": "Bianchi", "partner_id": "p1", "country": "IT"}
    desk_phone = {**DESK, "org_id": "o-it", "phone_numbers": ["02-1234-5679", "+33 1 42 68 53 01"]}

    report = await importing.import_records(chunks(*BASE, italian_org, desk_phone), store)

    assert report.rejected == []
    saved = await store.get(Device, "d1")
    assert saved is not None
    assert [(p.display, p.e164) for p in saved.phone_numbers] == [
        ("02-1234-5679", "+390212345679"), ("+33 1 42 68 53 01", "+33142685301")]


async def test_a_device_without_lines_has_none() -> None:
    store = IdentityStore.memory()

    await importing.import_records(chunks(*BASE, DESK), store)

    saved = await store.get(Device, "d1")
    assert saved is not None
    assert saved.phone_numbers == ()


@pytest.mark.parametrize("mac", ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "001A2B3C4D5E"])
async def test_a_mac_address_in_any_notation_is_stored_in_one_form(mac: str) -> None:
    store = IdentityStore.memory()

    await importing.import_records(chunks(*BASE, {**DESK, "mac": mac}), store)

    device = await store.get(Device, "d1")
    assert device is not None
    assert device.mac == "001a2b3c4d5e"


@pytest.mark.parametrize(
    ("given", "stored"),
    [("sip:Jane.Doe@Acme.example", "jane.doe@acme.example"), ("jane.doe@acme.example:5061", "jane.doe@acme.example"),
     ("sips:room-1@10.0.0.7;transport=tls", "room-1@10.0.0.7")],
)
async def test_a_sip_address_is_stored_without_scheme_port_or_parameters(given: str, stored: str) -> None:
    store = IdentityStore.memory()

    await importing.import_records(chunks(*BASE, {**DESK, "sip_address": given}), store)

    device = await store.get(Device, "d1")
    assert device is not None
    assert device.sip_address == stored


async def test_an_email_keeps_its_local_part_and_gets_a_lower_case_domain() -> None:
    store = IdentityStore.memory()

    await importing.import_records(chunks(*BASE, {**JANE, "email": "Jane.Doe@ACME.Example"}), store)

    assert (await store.get(User, "u1")).email == "Jane.Doe@acme.example"  # type: ignore[union-attr]


async def test_importing_the_same_record_twice_changes_nothing_the_second_time() -> None:
    store = IdentityStore.memory()
    await importing.import_records(chunks(*BASE, JANE), store)
    first = await published(store)

    again = await importing.import_records(chunks(*BASE, JANE), store)

    assert again.accepted == 3
    assert first == ["PartnerUpserted", "OrgUpserted", "UserUpserted"]
    assert await published(store) == []
    assert (await store.get(User, "u1")).version == 1  # type: ignore[union-attr]


async def test_a_change_raises_the_version_and_emits_one_event() -> None:
    store = IdentityStore.memory()
    await importing.import_records(chunks(*BASE, JANE), store)
    await published(store)

    await importing.import_records(chunks({**JANE, "last_name": "Smith"}), store)

    assert await published(store) == ["UserUpserted"]
    user = await store.get(User, "u1")
    assert user is not None
    assert (user.version, user.last_name) == (2, "Smith")


async def test_a_partner_role_change_is_announced() -> None:
    store = IdentityStore.memory()
    await importing.import_records(chunks(*BASE, STAFF, {**AGENT, "roles": ["helpdesk"]}), store)
    assert (await published(store))[-2:] == ["UserUpserted", "RoleAssigned"]

    await importing.import_records(chunks({**AGENT, "roles": []}), store)

    assert await published(store) == ["UserUpserted", "RoleRevoked"]


async def test_a_user_is_found_by_email_in_any_case_with_their_partner() -> None:
    store = IdentityStore.memory()
    await importing.import_records(chunks(*BASE, JANE), store)

    found = await handlers.user_by_email("  jane@ACME.example ", store)

    assert found is not None
    assert (found[0].id, found[1]) == ("u1", "p1")
    assert await handlers.user_by_email("nobody@acme.example", store) is None


async def test_a_line_over_the_size_limit_is_rejected_and_the_next_line_still_read() -> None:
    store = IdentityStore.memory()
    huge = b'{"type": "partner", "id": "p9", "name": "' + b"x" * (parsing.MAX_LINE_BYTES + 10) + b'"}'

    report = await importing.import_records(chunks(*BASE, huge, JANE, size=64 * 1024), store)

    assert report.accepted == 3
    assert report.rejected == [{"line": 3, "error": "line is longer than 1 MiB"}]


async def test_deleting_a_user_leaves_a_tombstone_and_revokes_their_partner_roles() -> None:
    store = IdentityStore.memory()
    await importing.import_records(chunks(*BASE, STAFF, {**AGENT, "roles": ["helpdesk"]}), store)
    await published(store)

    report = await importing.import_records(chunks({"type": "user", "id": "u-agent", "deleted": True}), store)
    again = await importing.import_records(chunks({"type": "user", "id": "u-agent", "deleted": True}), store)

    assert (report.accepted, again.accepted) == (1, 1)
    assert await published(store) == ["UserUpserted", "RoleRevoked"]
    tombstone = await store.get(User, "u-agent")
    assert tombstone is not None
    assert (tombstone.deleted, tombstone.version) == (True, 2)
    assert await handlers.user_by_email("agent@northwind.example", store) is None


async def test_a_deleted_user_can_be_imported_again() -> None:
    store = IdentityStore.memory()
    await importing.import_records(chunks(*BASE, JANE, {"type": "user", "id": "u1", "deleted": True}), store)

    await importing.import_records(chunks(JANE), store)

    user = await store.get(User, "u1")
    assert user is not None
    assert (user.deleted, user.version) == (False, 3)


async def test_an_address_belongs_to_one_user_until_that_user_is_gone() -> None:
    store = IdentityStore.memory()
    other_partner = [{"type": "partner", "id": "p2", "name": "Contoso"},
                     {"type": "org", "id": "o2", "name": "Globex", "partner_id": "p2"}]
    namesake = {**JANE, "id": "u2", "org_id": "o2", "email": "jane@acme.EXAMPLE"}

    taken = await importing.import_records(chunks(*BASE, JANE, *other_partner, namesake), store)
    renamed = await importing.import_records(chunks({**JANE, "last_name": "Smith"}), store)
    await importing.import_records(chunks({"type": "user", "id": "u1", "deleted": True}), store)
    freed = await importing.import_records(chunks(namesake), store)

    assert taken.rejected == [{"line": 6, "error": "email: 'jane@acme.example' already belongs to another user "
                                                   "('u1')"}]
    assert (renamed.accepted, renamed.rejected) == (1, [])  # the same user keeps their own address
    assert (freed.accepted, freed.rejected) == (1, [])
    found = await handlers.user_by_email("jane@acme.example", store)
    assert found is not None
    assert found[0].id == "u2"


async def test_an_order_is_deleted_by_its_number() -> None:
    store = IdentityStore.memory()
    order = {"type": "order", "number": "WO-1", "org_id": "o1", "status": "ok", "placed_at": "2024-01-01T00:00:00Z"}
    await importing.import_records(chunks(*BASE, order), store)

    await importing.import_records(chunks({"type": "order", "number": "WO-1", "deleted": True}), store)

    assert (await store.get(Order, "WO-1")).deleted is True  # type: ignore[union-attr]


async def test_a_customer_that_still_has_users_cannot_be_deleted() -> None:
    store = IdentityStore.memory()

    report = await importing.import_records(chunks(*BASE, JANE, {"type": "org", "id": "o1", "deleted": True}), store)

    assert report.rejected == [{"line": 4, "error": "'o1' still has users, devices or orders; delete those first"}]


async def test_a_customer_moving_to_another_partner_announces_its_users_again_under_the_new_one() -> None:
    store = IdentityStore.memory()
    other = {"type": "partner", "id": "p2", "name": "Contoso"}
    await importing.import_records(chunks(*BASE, other, JANE), store)
    await published(store)

    await importing.import_records(chunks({**BASE[1], "partner_id": "p2"}), store)

    bus = InProcessBus()
    await OutboxRelay(list(store.collections.values()), bus).run_once()
    assert [(e.event_type, e.partner_id) for e in bus.published()] == [
        ("OrgUpserted", "p2"), ("UserUpserted", "p2")]
