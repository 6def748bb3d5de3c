"""A customer grants its partner read-only access, revokes it; the grant reads as it stands at the moment of reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts import Event
from contracts.access import AccessGranted, AccessRevoked
from contracts.identity import Org, OrgUpserted
from services.access import demo
from services.access.domain import AccessStatus, ExpiryInPast
from services.access.handlers import follow_customer, grant_access, read_access, revoke_access
from services.access.store import GrantStore

pytestmark = pytest.mark.unit

NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def store() -> GrantStore:
    return GrantStore.memory()


async def announced(store: GrantStore) -> list[Event]:
    return [pending.event for pending in await store.documents.pending(100)]


class TestGrant:
    async def test_a_grant_is_to_the_managing_partner_and_announced(self, store: GrantStore) -> None:
        status = await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)

        assert status == AccessStatus(granted=True, partner_id="p-northwind", expires_at=None)
        [event] = await announced(store)
        assert isinstance(event, AccessGranted)
        assert (event.org_id, event.granted_by, event.expires_at, event.partner_id) == (
            "o-acme", "u-cadmin", None, "p-northwind")

    async def test_granting_what_already_stands_changes_and_announces_nothing(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)

        again = await grant_access("o-acme", "p-northwind", "u-other-admin", NOON + HOUR, store, now=NOON + HOUR / 2)

        assert again == AccessStatus(granted=True, partner_id="p-northwind", expires_at=NOON + HOUR)
        assert len(await announced(store)) == 1
        grant = await store.get("o-acme")
        assert grant is not None
        assert (grant.version, grant.granted_by) == (1, "u-cadmin")

    async def test_a_new_expiry_is_a_new_grant(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)

        longer = await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)

        assert longer.expires_at is None
        assert [type(e).__name__ for e in await announced(store)] == ["AccessGranted", "AccessGranted"]

    async def test_an_expiry_that_has_already_passed_is_refused_and_nothing_is_written(self, store: GrantStore) -> None:
        with pytest.raises(ExpiryInPast):
            await grant_access("o-acme", "p-northwind", "u-cadmin", NOON, store, now=NOON)

        assert await store.get("o-acme") is None
        assert await announced(store) == []


class TestExpiry:
    async def test_a_grant_past_its_expiry_reads_as_not_granted_though_the_store_still_holds_it(
            self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)

        before = await read_access("o-acme", store, now=NOON + HOUR - timedelta(seconds=1))
        at_expiry = await read_access("o-acme", store, now=NOON + HOUR)

        assert before == AccessStatus(granted=True, partner_id="p-northwind", expires_at=NOON + HOUR)
        assert at_expiry == AccessStatus(granted=False, partner_id=None, expires_at=None)
        stored = await store.get("o-acme")
        assert stored is not None
        assert stored.revoked_at is None

    async def test_an_expired_grant_can_be_given_again(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)

        renewed = await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + 3 * HOUR, store, now=NOON + 2 * HOUR)

        assert renewed.granted
        assert len(await announced(store)) == 2


class TestRevoke:
    async def test_revoking_ends_the_grant_and_is_announced_to_the_partner(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)

        revoked = await revoke_access("o-acme", "u-cadmin", store, now=NOON + HOUR)

        assert revoked
        assert not (await read_access("o-acme", store, now=NOON + HOUR)).granted
        event = (await announced(store))[-1]
        assert isinstance(event, AccessRevoked)
        assert (event.org_id, event.revoked_by, event.partner_id) == ("o-acme", "u-cadmin", "p-northwind")

    @pytest.mark.parametrize("history", ["never granted", "revoked", "expired"])
    async def test_revoking_when_no_grant_is_active_changes_and_announces_nothing(
            self, store: GrantStore, history: str) -> None:
        if history != "never granted":
            await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)
        if history == "revoked":
            await revoke_access("o-acme", "u-cadmin", store, now=NOON)
        before = await announced(store)

        revoked = await revoke_access("o-acme", "u-cadmin", store, now=NOON + 2 * HOUR)

        assert not revoked
        assert await announced(store) == before


class TestPartners:
    async def test_a_grant_counts_only_for_the_partner_it_was_given_to(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)

        theirs = await read_access("o-acme", store, partner_id="p-northwind", now=NOON)
        another = await read_access("o-acme", store, partner_id="p-contoso", now=NOON)

        assert theirs == AccessStatus(granted=True, partner_id="p-northwind", expires_at=None)
        assert another == AccessStatus(granted=False, partner_id="p-contoso", expires_at=None)

    async def test_a_grant_to_the_new_managing_partner_replaces_the_one_to_the_old(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)

        await grant_access("o-acme", "p-contoso", "u-cadmin", None, store, now=NOON + HOUR)

        assert not (await read_access("o-acme", store, partner_id="p-northwind", now=NOON + HOUR)).granted
        assert (await read_access("o-acme", store, partner_id="p-contoso", now=NOON + HOUR)).granted


class TestDemo:
    async def test_seeding_grants_acme_only_and_seeding_again_changes_nothing(self, store: GrantStore) -> None:
        await demo.seed(store)
        await demo.seed(store)

        assert (await read_access("o-acme", store, partner_id="p-northwind")).granted
        assert not (await read_access("o-bistro", store)).granted
        assert not (await read_access("o-globex", store)).granted
        events = await announced(store)
        assert [(type(e).__name__, e.key(), e.granted_by) for e in events if isinstance(e, AccessGranted)] == [
            ("AccessGranted", "o-acme", "u-cadmin")]
        assert len(events) == 1

    async def test_a_customer_that_revoked_stays_revoked_when_the_demo_is_seeded_again(self, store: GrantStore) -> None:
        await demo.seed(store)
        await revoke_access("o-acme", "u-cadmin", store)

        await demo.seed(store)

        assert not (await read_access("o-acme", store)).granted


def customer(partner_id: str, at: datetime, *, version: int = 2, deleted: bool = False) -> OrgUpserted:
    """Identity's announcement of Acme as it stands after a change made at `at`."""
    org = Org(id="o-acme", name="Acme", partner_id=partner_id, version=version, deleted=deleted)
    return OrgUpserted(org=org, partner_id=partner_id, occurred_at=at)


class TestCustomerLeavesItsPartner:
    async def test_the_grant_ends_when_the_customer_moves_and_does_not_return_with_it(
            self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)

        moved = await follow_customer(customer("p-contoso", NOON + HOUR), store, now=NOON + HOUR)
        back = await follow_customer(customer("p-northwind", NOON + 2 * HOUR, version=3), store, now=NOON + 2 * HOUR)

        assert (moved, back) == (True, False)
        assert (await read_access("o-acme", store, "p-northwind", now=NOON + 2 * HOUR)).granted is False
        revoked = (await announced(store))[-1]
        assert isinstance(revoked, AccessRevoked)
        assert (revoked.org_id, revoked.partner_id, revoked.revoked_by) == ("o-acme", "p-northwind",
                                                                            "customer left the partner")

    async def test_a_deleted_customer_ends_its_grant(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)

        assert await follow_customer(customer("p-northwind", NOON + HOUR, deleted=True), store, now=NOON + HOUR)
        assert (await read_access("o-acme", store, now=NOON + HOUR)).granted is False

    async def test_other_changes_repeats_and_changes_older_than_the_grant_leave_it(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)

        renamed = await follow_customer(customer("p-northwind", NOON + HOUR), store, now=NOON + HOUR)
        replayed = await follow_customer(customer("p-contoso", NOON - HOUR), store, now=NOON + HOUR)
        never_granted = await follow_customer(
            OrgUpserted(org=Org(id="o-globex", name="Globex", partner_id="p-contoso", version=1),
                        partner_id="p-contoso"), store)

        assert (renamed, replayed, never_granted) == (False, False, False)
        assert (await read_access("o-acme", store, "p-northwind", now=NOON + HOUR)).granted is True
        assert await store.get("o-globex") is None
        assert len(await announced(store)) == 1
