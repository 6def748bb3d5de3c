"""A document changed while the outbox relay removes its published events, in one process: neither write undoes the
other. FerretDB 1.24 applies an update by reading the document and writing it back whole, so two updates of one
document at once could each overwrite the other's (a mail's `sent` undone by the relay, and the mail sent again)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from runtime.documents import Documents, MemoryDocuments, MongoDocuments
from tests.factories import user_upserted

CHANGES = 40


@pytest.fixture
async def docs(database: AsyncDatabase[dict[str, Any]] | None) -> Documents:
    if database is None:
        return MemoryDocuments("things")
    mongo = MongoDocuments(database, "things")
    await mongo.create_indexes()
    return mongo


async def test_changes_made_while_the_relay_removes_published_events_are_all_kept(docs: Documents) -> None:
    events = [user_upserted(version=n) for n in range(1, CHANGES + 1)]
    await docs.save({"_id": "m", "version": 1, "status": "queued"}, expected_version=None, events=events)
    published = await docs.pending(CHANGES)

    async def change() -> None:
        for version in range(1, CHANGES + 1):
            await docs.save({"_id": "m", "version": version + 1, "status": f"step {version}"},
                            expected_version=version)

    async def relay() -> None:
        for item in published:
            await docs.mark_published(item)

    await asyncio.gather(change(), relay())

    assert await docs.get("m") == {"_id": "m", "version": CHANGES + 1, "status": f"step {CHANGES}"}
    assert await docs.pending(CHANGES) == []
