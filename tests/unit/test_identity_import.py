"""Importing records: good lines upserted with exactly one event per change, bad lines reported."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from contracts.identity import User
from helpdesk.runtime.bus import InProcessBus
from helpdesk.runtime.outbox import OutboxRelay
from services.identity import handlers
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit

BASE = [
    {"type": "partner", "id": "p1", "name": "Northwind"},
    {"type": "org", "id": "o1", "name": "Acme", "partner_id": "p1"},
]
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

    report = await handlers.import_records(chunks(*BASE, b"{oops", {"type": "robot", "id": "r"}, JANE), store)

    assert report.accepted == 3
    assert report.rejected == [
        {"line": 3, "error": "not valid JSON"},
        {"line": 4, "error": "'type' must be one of partner, org, user, device, order"},
    ]
    assert (await store.get(User, "u1")) is not None


@pytest.mark.parametrize(
    ("record", "error"),
    [
        ({**JANE, "email": "not-an-address"}, "email: String should match pattern"),
        ({**JANE, "first_name": ""}, "first_name: String should have at least 1 character"),
        ({**JANE, "status": "sleeping"}, "status: Input should be 'active', 'pending' or 'inactive'"),
        ({**JANE, "org_id": "nowhere"}, "org 'nowhere' does not exist; import it first"),
        ({**JANE, "surprise": 1}, "surprise: Extra inputs are not permitted"),
        ({"type": "user", "org_id": "o1"}, "id: Field required"),
        ({"type": "org", "id": "o2", "name": "X", "partner_id": "ghost"}, "partner 'ghost' does not exist"),
        ({"type": "device", "id": "d1", "org_id": "o1", "product": "Desk", "serial": "S", "mac": "zz"},
         "mac: 'zz' is not a MAC address"),
    ],
)
async def test_a_bad_record_is_rejected_with_its_reason(record: dict[str, object], error: str) -> None:
    store = IdentityStore.memory()

    report = await handlers.import_records(chunks(*BASE, record), store)

    assert report.accepted == 2
    assert len(report.rejected) == 1
    assert report.rejected[0]["line"] == 3
    assert error in report.rejected[0]["error"]


async def test_importing_the_same_record_twice_changes_nothing_the_second_time() -> None:
    store = IdentityStore.memory()
    await handlers.import_records(chunks(*BASE, JANE), store)
    first = await published(store)

    again = await handlers.import_records(chunks(*BASE, JANE), store)

    assert again.accepted == 3
    assert first == ["PartnerUpserted", "OrgUpserted", "UserUpserted"]
    assert await published(store) == []
    assert (await store.get(User, "u1")).version == 1  # type: ignore[union-attr]


async def test_a_change_raises_the_version_and_emits_one_event() -> None:
    store = IdentityStore.memory()
    await handlers.import_records(chunks(*BASE, JANE), store)
    await published(store)

    await handlers.import_records(chunks({**JANE, "last_name": "Smith"}), store)

    assert await published(store) == ["UserUpserted"]
    user = await store.get(User, "u1")
    assert user is not None
    assert (user.version, user.last_name) == (2, "Smith")


async def test_a_partner_role_change_is_announced() -> None:
    store = IdentityStore.memory()
    await handlers.import_records(chunks(*BASE, {**JANE, "roles": ["helpdesk"]}), store)
    assert (await published(store))[-2:] == ["UserUpserted", "RoleAssigned"]

    await handlers.import_records(chunks({**JANE, "roles": []}), store)

    assert await published(store) == ["UserUpserted", "RoleRevoked"]


async def test_a_user_is_found_by_email_in_any_case_with_their_partner() -> None:
    store = IdentityStore.memory()
    await handlers.import_records(chunks(*BASE, JANE), store)

    found = await handlers.user_by_email("  jane@ACME.example ", store)

    assert found is not None
    assert (found[0].id, found[1]) == ("u1", "p1")
    assert await handlers.user_by_email("nobody@acme.example", store) is None


async def test_a_line_over_the_size_limit_is_rejected_and_the_next_line_still_read() -> None:
    store = IdentityStore.memory()
    huge = b'{"type": "partner", "id": "p9", "name": "' + b"x" * (handlers.MAX_LINE_BYTES + 10) + b'"}'

    report = await handlers.import_records(chunks(*BASE, huge, JANE, size=64 * 1024), store)

    assert report.accepted == 3
    assert report.rejected == [{"line": 3, "error": "line is longer than 1 MiB"}]
