"""Access's grants behave the same in memory and on MongoDB: what is granted, until when, and what is announced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from contracts.access import AccessGranted, AccessRevoked
from services.access.domain import AccessStatus, Grant
from services.access.handlers import grant_access, read_access, revoke_access
from services.access.store import GrantStore
from tests.contract.conftest import versioned_store

NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
async def store(database: AsyncDatabase[dict[str, Any]] | None) -> GrantStore:
    return await versioned_store(GrantStore, database)


async def test_a_grant_reads_back_whole_with_its_times_in_utc(store: GrantStore) -> None:
    await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)

    assert await store.get("o-acme") == Grant(org_id="o-acme", partner_id="p-northwind", granted_by="u-cadmin",
                                              granted_at=NOON, expires_at=NOON + HOUR, version=1)


async def test_a_grant_expires_when_read_after_its_expiry(store: GrantStore) -> None:
    await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + HOUR, store, now=NOON)

    assert (await read_access("o-acme", store, "p-northwind", now=NOON + HOUR / 2)).granted
    assert await read_access("o-acme", store, "p-northwind", now=NOON + HOUR) == AccessStatus(
        granted=False, partner_id="p-northwind", expires_at=None)


async def test_grant_repeat_and_revoke_leave_exactly_their_events_in_the_outbox(store: GrantStore) -> None:
    await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)
    await grant_access("o-acme", "p-northwind", "u-cadmin", None, store, now=NOON)
    await revoke_access("o-acme", "u-cadmin", store, now=NOON + HOUR)
    await revoke_access("o-acme", "u-cadmin", store, now=NOON + HOUR)

    events = [pending.event for pending in await store.documents.pending(10)]
    assert [type(e) for e in events] == [AccessGranted, AccessRevoked]
    assert [(e.key(), e.partner_id) for e in events] == [("o-acme", "p-northwind")] * 2
    assert not (await read_access("o-acme", store, now=NOON + HOUR)).granted
