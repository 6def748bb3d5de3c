"""Grants end on time: at its expiry a grant is marked expired and AccessExpired is announced once, by a timer in
the service, whichever replica finds it first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from contracts import Event
from contracts.access import AccessExpired, AccessGranted
from runtime.timer import Timer
from services.access.grant_expiry import expire, expire_due
from services.access.handlers import grant_access, revoke_access
from services.access.store import GrantStore
from tests.waiting import eventually

pytestmark = pytest.mark.unit

NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def store() -> GrantStore:
    return GrantStore.memory()


async def announced(store: GrantStore) -> list[Event]:
    return [pending.event for pending in await store.documents.pending(100)]


class TestExpire:
    async def test_a_grant_past_its_time_is_marked_expired_and_announced(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)

        expired = await expire("o-acme", store, now=NOON + HOUR)

        assert expired
        grant = await store.get("o-acme")
        assert grant is not None
        assert (grant.expired_at, grant.expiry_pending) == (NOON + HOUR, False)
        event = (await announced(store))[-1]
        assert isinstance(event, AccessExpired)
        assert (event.org_id, event.partner_id) == ("o-acme", "p-northwind")

    async def test_a_second_replica_finding_the_same_grant_due_changes_nothing(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)

        first = await expire("o-acme", store, now=NOON + HOUR)
        second = await expire("o-acme", store, now=NOON + HOUR + timedelta(seconds=1))

        assert (first, second) == (True, False)
        assert [type(e) for e in await announced(store)] == [AccessGranted, AccessExpired]

    @pytest.mark.parametrize("history", ["before its time", "revoked", "until revoked", "never granted"])
    async def test_a_grant_not_due_is_left_as_it_is(self, store: GrantStore, history: str) -> None:
        if history != "never granted":
            await grant_access("o-acme", "p-northwind", "u-cadmin", None if history == "until revoked" else
                               NOON + HOUR, store, now=NOON)
        if history == "revoked":
            await revoke_access("o-acme", "u-cadmin", store, now=NOON)
        before = await announced(store)

        expired = await expire("o-acme", store, now=NOON + HOUR / 2 if history == "before its time" else NOON + HOUR)

        assert not expired
        assert await announced(store) == before

    async def test_a_grant_given_again_after_expiring_expires_again(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)
        await expire("o-acme", store, now=NOON + HOUR)
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + 3 * HOUR, store, now=NOON + 2 * HOUR)

        assert await expire("o-acme", store, now=NOON + 3 * HOUR)


class TestDue:
    async def test_every_grant_past_due_expires_and_the_next_expiry_is_told(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)
        await grant_access("o-bistro", "p-northwind", "u-cadmin", NOON + 3 * HOUR, store, now=NOON)
        await grant_access("o-globex", "p-contoso", "u-cadmin", None, store, now=NOON)

        next_due = await expire_due(store, now=NOON + 2 * HOUR)

        assert next_due == NOON + 3 * HOUR
        assert [e.org_id for e in await announced(store) if isinstance(e, AccessExpired)] == ["o-acme"]

    async def test_at_start_grants_past_due_are_found_even_without_the_mark(self, store: GrantStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)
        doc = await store.documents.get("o-acme")
        assert doc is not None
        del doc["expiry_pending"]  # as stored before the mark existed
        await store.documents.save(doc, expected_version=doc["version"])

        unmarked = await expire_due(store, now=NOON + 2 * HOUR)
        at_start = await expire_due(store, now=NOON + 2 * HOUR, everything=True)

        assert (unmarked, at_start) == (None, None)
        assert isinstance((await announced(store))[-1], AccessExpired)


class TestTimer:
    async def test_the_timer_expires_a_grant_when_its_time_comes_on_the_clock_it_is_given(
            self, store: GrantStore) -> None:
        now = [NOON]
        timer = Timer(lambda at: expire_due(store, at), clock=lambda: now[0])
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)
        await timer.start()
        try:
            await asyncio.sleep(0)
            not_yet = [e for e in await announced(store) if isinstance(e, AccessExpired)]
            now[0] = NOON + HOUR
            timer.kick()  # in the service, a grant's change or the time it asked to wake at

            async def expired() -> list[Event]:
                return [e for e in await announced(store) if isinstance(e, AccessExpired)]

            found = await eventually(expired, timeout=5, interval=0.01)
        finally:
            await timer.stop()

        assert not_yet == []
        assert len(found) == 1
