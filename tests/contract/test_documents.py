"""Versioned documents with an outbox behave the same in memory and on MongoDB."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from runtime.documents import Documents, MemoryDocuments, MongoDocuments, VersionConflict
from tests.factories import user_upserted


@pytest.fixture
async def docs(database: AsyncDatabase[dict[str, Any]] | None) -> Documents:
    if database is None:
        return MemoryDocuments("things", indexes=("kind",))
    mongo = MongoDocuments(database, "things", indexes=("kind",))
    await mongo.create_indexes()
    return mongo


async def test_a_saved_document_reads_back_without_its_outbox(docs: Documents) -> None:
    await docs.save({"_id": "a", "version": 1, "kind": "x"}, expected_version=None, events=[user_upserted()])

    assert await docs.get("a") == {"_id": "a", "version": 1, "kind": "x"}
    assert await docs.get("missing") is None


async def test_saving_over_a_newer_version_is_a_conflict(docs: Documents) -> None:
    await docs.save({"_id": "a", "version": 1}, expected_version=None)
    await docs.save({"_id": "a", "version": 2}, expected_version=1)

    with pytest.raises(VersionConflict):
        await docs.save({"_id": "a", "version": 2}, expected_version=1)
    with pytest.raises(VersionConflict):
        await docs.save({"_id": "a", "version": 1}, expected_version=None)
    assert (await docs.get("a")) == {"_id": "a", "version": 2}


async def test_a_rejected_write_leaves_no_event_behind(docs: Documents) -> None:
    await docs.save({"_id": "a", "version": 1}, expected_version=None)
    with pytest.raises(VersionConflict):
        await docs.save({"_id": "a", "version": 5}, expected_version=4, events=[user_upserted()])

    assert await docs.pending(10) == []


async def test_events_stay_pending_in_order_until_marked_published(docs: Documents) -> None:
    first, second = user_upserted(version=1), user_upserted(version=2)
    await docs.save({"_id": "u1", "version": 1}, expected_version=None, events=[first])
    await docs.save({"_id": "u1", "version": 2}, expected_version=1, events=[second])

    pending = await docs.pending(10)
    assert [p.event.event_id for p in pending] == [first.event_id, second.event_id]
    assert {(p.collection, p.doc_id) for p in pending} == {("things", "u1")}

    await docs.mark_published(pending[0])
    assert [p.event.event_id for p in await docs.pending(10)] == [second.event_id]
    await docs.mark_published(pending[1])
    assert await docs.pending(10) == []


async def test_find_matches_fields_and_list_members(docs: Documents) -> None:
    await docs.save({"_id": "a", "version": 1, "kind": "x", "tags": ["red", "blue"]}, expected_version=None)
    await docs.save({"_id": "b", "version": 1, "kind": "y", "tags": ["red"]}, expected_version=None)

    assert [d["_id"] for d in await docs.find({"kind": "x"})] == ["a"]
    assert sorted(d["_id"] for d in await docs.find({"tags": "red"})) == ["a", "b"]
    assert await docs.find({"kind": "z"}) == []
    assert await docs.count() == 2


async def test_adding_new_documents_keeps_those_there_already_as_they_are(docs: Documents) -> None:
    await docs.save({"_id": "a", "version": 3, "kind": "kept"}, expected_version=None)

    added = await docs.add_new([{"_id": "a", "version": 1, "kind": "new"}, {"_id": "b", "version": 1, "kind": "new"},
                                {"_id": "c", "version": 1, "kind": "new"}])
    again = await docs.add_new([{"_id": "b", "version": 1, "kind": "other"}])

    assert (added, again) == (2, 0)
    assert await docs.get("a") == {"_id": "a", "version": 3, "kind": "kept"}
    assert await docs.get("b") == {"_id": "b", "version": 1, "kind": "new"}
    assert sorted(d["_id"] for d in await docs.find({"kind": "new"})) == ["b", "c"]  # found by its index
    assert await docs.add_new([]) == 0
    assert await docs.pending(10) == []
