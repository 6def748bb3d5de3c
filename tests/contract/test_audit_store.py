"""Access's audit log behaves the same in memory and on MongoDB: one entry per event, read by org or by partner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from contracts.access import ReadOnlySessionEnded
from contracts.gateway import AgentActionRecorded
from services.access.audit import AuditQuery
from services.access.audit_log import read_audit, record_action, record_many
from services.access.audit_store import AuditStore
from tests.contract.conftest import versioned_store

T0 = datetime(2025, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
async def store(database: AsyncDatabase[dict[str, Any]] | None) -> AuditStore:
    return await versioned_store(AuditStore, database)


def action(minute: int, org_id: str, partner_id: str, target_id: str) -> AgentActionRecorded:
    return AgentActionRecorded(agent_id="u-agent", agent_email="agent@northwind.example", action="user.viewed",
                               target_type="user", target_id=target_id, org_id=org_id, partner_id=partner_id,
                               occurred_at=T0 + timedelta(minutes=minute), reason="Ticket 4711")


async def test_an_event_kept_twice_is_one_entry_read_back_whole(store: AuditStore) -> None:
    event = action(0, "o-acme", "p-northwind", "u-jane")

    added = [await record_action(event, store), await record_action(event, store)]
    page = await read_audit(AuditQuery(org_id="o-acme"), store)

    assert added == [True, False]
    assert [(e.at, e.target.id, e.reason) for e in page.entries] == [(T0, "u-jane", "Ticket 4711")]


async def test_entries_are_found_by_org_and_by_partner_and_no_further(store: AuditStore) -> None:
    for event in (action(0, "o-acme", "p-northwind", "a"), action(1, "o-bistro", "p-northwind", "b"),
                  action(2, "o-acme", "p-contoso", "c"), action(3, "o-globex", "p-contoso", "d")):
        await record_action(event, store)

    def targets(found: list[Any]) -> list[str]:
        return sorted(e.target_id for e in found)

    assert targets(await store.of("o-acme", None, None)) == ["a", "c"]
    assert targets(await store.of(None, "p-northwind", None)) == ["a", "b"]
    assert targets(await store.of("o-acme", "p-contoso", "user.viewed")) == ["c"]
    assert await store.of("o-acme", "p-contoso", "device.viewed") == []


async def test_a_batch_is_kept_as_its_events_one_by_one_would_be_and_a_redelivered_batch_adds_nothing(
        store: AuditStore) -> None:
    one_by_one = await versioned_store(AuditStore, None)
    ended = ReadOnlySessionEnded(session_id="s-1", agent_id="u-agent", org_id="o-acme", partner_id="p-northwind",
                                 why="revoked", occurred_at=T0 + timedelta(minutes=5))
    batch = [action(0, "o-acme", "p-northwind", "u-jane"), ended, action(1, "o-acme", "p-northwind", "u-john")]
    await record_action(batch[0], store)  # kept alone before the batch, as after a batch that failed part way

    added = [await record_many(batch, store), await record_many(batch, store)]
    for event in batch:
        await (record_action(event, one_by_one) if isinstance(event, AgentActionRecorded)
               else record_many([event], one_by_one))

    assert added == [2, 0]
    kept = sorted(await store.of("o-acme", None, None), key=lambda e: e.at)
    assert kept == sorted(await one_by_one.of("o-acme", None, None), key=lambda e: e.at)
    assert [e.action for e in kept] == ["user.viewed", "user.viewed", "read_only_session.ended"]
