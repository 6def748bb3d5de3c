"""Email's address statuses behave the same in memory and on MongoDB: one record an address, whatever its case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from contracts.email import EmailStatusChanged, SuppressionRemoved
from services.email.domain import AddressStatus, DeliveryReport, LastMessage, NotSuppressed, Suppression
from services.email.handlers import record_reports, remove_suppression
from services.email.store import AddressStore
from tests.contract.conftest import versioned_store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RENE = "rene.lefevre@bistro.example"


@pytest.fixture
async def store(database: AsyncDatabase[dict[str, Any]] | None) -> AddressStore:
    return await versioned_store(AddressStore, database)


def bounce(address: str = RENE, at: datetime = T0) -> DeliveryReport:
    return DeliveryReport(address=address, status="bounced", reason="550 5.1.1", at=at)


async def test_an_address_reads_back_whole_under_its_lower_case_key(store: AddressStore) -> None:
    await record_reports([bounce("Rene.Lefevre@BISTRO.example")], store)

    message = LastMessage(kind="", status="bounced", at=T0, reason="550 5.1.1")
    assert await store.get(RENE) == AddressStatus(address=RENE, last_message=message,
                                                  suppression=Suppression(reason="550 5.1.1", since=T0), version=1)
    assert await store.documents.count() == 1


async def test_reports_and_removal_leave_exactly_their_events_in_the_outbox(store: AddressStore) -> None:
    await record_reports([bounce(), bounce(), bounce(at=T0 - timedelta(hours=1))], store)
    await remove_suppression(RENE, store, agent_id="u-agent", now=T0 + timedelta(minutes=1))
    with pytest.raises(NotSuppressed):
        await remove_suppression(RENE, store)

    events = [pending.event for pending in await store.documents.pending(10)]
    assert [type(e) for e in events] == [EmailStatusChanged, SuppressionRemoved]
    assert {e.key() for e in events} == {RENE}
    stored = await store.get(RENE)
    assert stored is not None
    assert (stored.suppression, stored.suppression_removed_at) == (None, T0 + timedelta(minutes=1))
