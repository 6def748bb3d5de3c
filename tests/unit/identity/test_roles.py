"""Who may hold which role, and what identity announces when a person's roles, org or partner change."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from contracts import Event
from contracts.identity import Org, RoleAssigned, RoleRevoked
from runtime.bus import InProcessBus
from runtime.outbox import OutboxRelay
from services.identity import importing
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit

PARTNERS = [
    {"type": "partner", "id": "p-north", "name": "Northwind"},
    {"type": "org", "id": "p-north", "name": "Northwind staff", "partner_id": "p-north"},
    {"type": "partner", "id": "p-cont", "name": "Contoso"},
    {"type": "org", "id": "p-cont", "name": "Contoso staff", "partner_id": "p-cont"},
    {"type": "org", "id": "o-acme", "name": "Acme", "partner_id": "p-north"},
]
AGENT = {"type": "user", "id": "u-agent", "org_id": "p-north", "email": "agent@north.example", "first_name": "Alex",
         "last_name": "Agent", "roles": ["helpdesk"]}
CADMIN = {"type": "user", "id": "u-cadmin", "org_id": "o-acme", "email": "it@acme.example", "first_name": "Carla",
          "last_name": "Admin", "roles": ["customer_admin"]}


async def lines(*records: object) -> AsyncIterator[bytes]:
    yield b"".join(json.dumps(r).encode() + b"\n" for r in records)


async def imported(store: IdentityStore, *records: object) -> importing.ImportReport:
    return await importing.import_records(lines(*records), store)


async def role_events(store: IdentityStore) -> list[Event]:
    bus = InProcessBus()
    await OutboxRelay(list(store.collections.values()), bus).run_once()
    return [e for e in bus.published() if isinstance(e, RoleAssigned | RoleRevoked)]


def summary(events: list[Event]) -> list[tuple[str, str, str | None, str]]:
    return [(e.event_type, e.role, e.partner_id, e.org_id) for e in events if isinstance(e, RoleAssigned | RoleRevoked)]


async def started(*records: object) -> IdentityStore:
    store = IdentityStore.memory()
    report = await imported(store, *PARTNERS, *records)
    assert report.rejected == []
    await role_events(store)
    return store


class TestWhoMayHoldWhichRole:
    @pytest.mark.parametrize("role", ["helpdesk", "helpdesk_advanced", "partner_admin", "operator"])
    async def test_a_staff_role_on_a_customers_user_is_refused_with_the_reason(self, role: str) -> None:
        store = await started()

        report = await imported(store, {**CADMIN, "roles": [role]})

        assert report.accepted == 0
        assert report.rejected == [{"line": 1, "error": f"roles: {role!r} is held only by a partner's own staff, "
                                                        "and 'o-acme' is a customer org"}]

    async def test_customer_admin_on_a_partners_own_staff_is_refused(self) -> None:
        store = await started()

        report = await imported(store, {**AGENT, "roles": ["customer_admin"]})

        assert report.rejected == [{"line": 1, "error": "roles: 'customer_admin' is held only by users of a "
                                                        "customer org, and 'p-north' is the own staff org of "
                                                        "partner 'p-north'"}]

    async def test_a_role_that_does_not_exist_is_refused(self) -> None:
        store = await started()

        report = await imported(store, {**AGENT, "roles": ["helpdsk"]})

        assert report.rejected[0]["error"].startswith("roles: 'helpdsk' is not a role; the roles are customer_admin")

    async def test_a_refused_line_gives_no_one_a_role(self) -> None:
        store = await started()

        await imported(store, {**CADMIN, "roles": ["customer_admin", "helpdesk"]})

        assert await role_events(store) == []

    async def test_a_partners_staff_org_cannot_become_a_customer_nor_a_customer_a_staff_org(self) -> None:
        store = await started(AGENT)

        staff = await imported(store, {**PARTNERS[1], "partner_id": "p-cont"})
        customer = await imported(store, {**PARTNERS[4], "partner_id": "o-acme"})

        assert staff.rejected == [{"line": 1, "error": "partner_id: 'p-north' is a partner's own staff org and "
                                                       "cannot become a customer org"}]
        assert customer.accepted == 0
        org = await store.get(Org, "p-north")
        assert org is not None
        assert org.partner_id == "p-north"


class TestAnnouncements:
    async def test_every_role_event_carries_all_the_user_holds_after_the_change(self) -> None:
        store = await started()

        await imported(store, {**AGENT, "roles": ["helpdesk", "partner_admin"]})
        events = await role_events(store)

        assert summary(events) == [("RoleAssigned", "helpdesk", "p-north", "p-north"),
                                   ("RoleAssigned", "partner_admin", "p-north", "p-north")]
        assert {(e.roles, e.user_org_id, e.user_partner_id, e.user_version) for e in events
                if isinstance(e, RoleAssigned)} == {(("helpdesk", "partner_admin"), "p-north", "p-north", 1)}

    async def test_operators_and_customer_admins_are_announced_like_partner_roles(self) -> None:
        store = await started()

        await imported(store, CADMIN, {"type": "user", "id": "u-op", "org_id": "p-north", "email": "op@x.example",
                                       "first_name": "O", "last_name": "P", "roles": ["operator"]})

        assert summary(await role_events(store)) == [("RoleAssigned", "customer_admin", "p-north", "o-acme"),
                                                      ("RoleAssigned", "operator", "p-north", "p-north")]

    async def test_a_user_moved_to_another_partner_loses_the_old_partners_roles(self) -> None:
        store = await started(AGENT)

        await imported(store, {**AGENT, "org_id": "p-cont"})
        events = await role_events(store)

        assert summary(events) == [("RoleRevoked", "helpdesk", "p-north", "p-north"),
                                   ("RoleAssigned", "helpdesk", "p-cont", "p-cont")]
        last = events[-1]
        assert isinstance(last, RoleAssigned)
        assert (last.roles, last.user_org_id, last.user_partner_id) == (("helpdesk",), "p-cont", "p-cont")

    async def test_a_user_moved_to_a_customer_org_holds_no_partner_role(self) -> None:
        store = await started(AGENT)

        await imported(store, {**AGENT, "org_id": "o-acme", "roles": []})
        events = await role_events(store)

        assert summary(events) == [("RoleRevoked", "helpdesk", "p-north", "p-north")]
        last = events[-1]
        assert isinstance(last, RoleRevoked)
        assert (last.roles, last.user_org_id, last.user_partner_id) == ((), "o-acme", "p-north")

    async def test_a_customer_moved_to_another_partner_moves_its_admins_roles_with_it(self) -> None:
        store = await started(CADMIN)

        await imported(store, {**PARTNERS[4], "partner_id": "p-cont"})
        events = await role_events(store)

        assert summary(events) == [("RoleRevoked", "customer_admin", "p-north", "o-acme"),
                                   ("RoleAssigned", "customer_admin", "p-cont", "o-acme")]
        assert {(e.roles, e.user_partner_id) for e in events if isinstance(e, RoleAssigned | RoleRevoked)} == {
            (("customer_admin",), "p-cont")}

    async def test_a_deleted_user_holds_nothing(self) -> None:
        store = await started(CADMIN)

        await imported(store, {"type": "user", "id": "u-cadmin", "deleted": True})
        events = await role_events(store)

        assert summary(events) == [("RoleRevoked", "customer_admin", "p-north", "o-acme")]
        assert isinstance(events[0], RoleRevoked)
        assert events[0].roles == ()

    async def test_an_unchanged_user_is_not_announced_again(self) -> None:
        store = await started(AGENT)

        await imported(store, AGENT)

        assert await role_events(store) == []
