"""The search read model behaves the same in memory and on MongoDB."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.search.domain import Entry
from services.search.store import MemorySearchStore, MongoSearchStore, SearchStore


@pytest.fixture
async def store(database: AsyncDatabase[dict[str, Any]] | None) -> SearchStore:
    if database is None:
        return MemorySearchStore()
    mongo = MongoSearchStore(database)
    await mongo.create_indexes()
    return mongo


def entry(entity_id: str = "u1", partner_id: str = "p1", org_id: str = "o1", version: int = 1,
          terms: tuple[str, ...] = ("jane", "doe")) -> Entry:
    return Entry("user", entity_id, org_id, partner_id, "Jane Doe", "jane@acme.example", version, terms,
                 {"name": "Jane Doe"})


async def test_an_entry_is_found_by_all_its_terms_and_a_prefix_of_the_last(store: SearchStore) -> None:
    await store.apply(entry())

    assert [e.entity_id for e in await store.find(("jane", "doe"), "p1", None, 10)] == ["u1"]
    assert [e.entity_id for e in await store.find(("jane", "do"), "p1", None, 10)] == ["u1"]
    assert await store.find(("ja", "doe"), "p1", None, 10) == []
    assert await store.find(("john",), "p1", None, 10) == []


async def test_another_partners_entries_are_never_found(store: SearchStore) -> None:
    await store.apply(entry("mine", partner_id="p1"))
    await store.apply(entry("theirs", partner_id="p2"))

    assert [e.entity_id for e in await store.find(("jane",), "p1", None, 10)] == ["mine"]
    assert [e.entity_id for e in await store.find(("jane",), "p2", None, 10)] == ["theirs"]


async def test_org_id_narrows_to_one_customer(store: SearchStore) -> None:
    await store.apply(entry("a", org_id="o1"))
    await store.apply(entry("b", org_id="o2"))

    assert [e.entity_id for e in await store.find(("jane",), "p1", "o2", 10)] == ["b"]


async def test_a_repeated_or_older_version_changes_nothing(store: SearchStore) -> None:
    assert await store.apply(entry(version=2, terms=("jane", "smith"))) is True
    assert await store.apply(entry(version=2, terms=("jane", "smith"))) is False
    assert await store.apply(entry(version=1, terms=("jane", "doe"))) is False

    assert await store.find(("doe",), "p1", None, 10) == []
    assert len(await store.find(("smith",), "p1", None, 10)) == 1
    assert await store.count() == 1


async def test_a_newer_version_replaces_the_old_terms(store: SearchStore) -> None:
    await store.apply(entry(version=1, terms=("jane", "doe")))
    await store.apply(entry(version=2, terms=("jane", "smith")))

    assert await store.find(("doe",), "p1", None, 10) == []
    found = await store.find(("smith",), "p1", None, 10)
    assert [dataclasses.replace(e, fields={}) for e in found] == [
        dataclasses.replace(entry(version=2, terms=("jane", "smith")), fields={})
    ]


async def test_moving_a_customer_to_another_partner_moves_its_entries(store: SearchStore) -> None:
    await store.apply(entry("a", org_id="o1", partner_id="p1"))

    await store.move_org("o1", "p2")

    assert await store.find(("jane",), "p1", None, 10) == []
    assert [e.entity_id for e in await store.find(("jane",), "p2", None, 10)] == ["a"]
