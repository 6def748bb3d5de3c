"""What only the OpenSearch read model has to get right: indices made before any write, large sweeps."""

from __future__ import annotations

import uuid

import pytest
from opensearchpy import AsyncOpenSearch

from services.search.domain import Entry
from services.search.query import Clause
from services.search.store import OpenSearchSearchStore
from tests.search_stores import scratch_opensearch

pytestmark = pytest.mark.integration


async def test_a_write_before_the_start_up_step_makes_the_indices_as_declared(opensearch_url: str) -> None:
    client = AsyncOpenSearch(opensearch_url, timeout=30)
    store = OpenSearchSearchStore(client, f"test-{uuid.uuid4().hex[:12]}", visible_at_once=True)
    try:
        await store.apply(Entry("user", "u1", "o1", "p1", 1, "Jane Doe", "", ("jane", "id:u1"), ()))

        mapping = await client.indices.get_mapping(index=store.placements)
        aliases = await client.indices.get_alias(name=store.placements)
        found = await store.find((Clause(frozenset(("jane",))),), "p1", None, 10)
    finally:
        await store.drop()
        await client.close()
    (index, described), = mapping.items()
    assert described["mappings"]["properties"]["partner_id"] == {"type": "keyword"}
    assert list(aliases) == [index] == [f"{store.placements}-1"]
    assert [e.entity_id for e in found] == ["u1"]


async def test_many_new_customers_at_once_take_their_members_with_them(opensearch_url: str) -> None:
    """A rebuild applies thousands of customers a batch: more than one query may ask for at once."""
    count = 600
    members = [Entry("user", f"u{n}", f"o{n}", "p-old", 1, f"User {n}", "", ("someone", f"id:u{n}"), ())
               for n in range(count)]
    customers = [Entry("customer", f"o{n}", f"o{n}", "p-new", 1, f"Customer {n}", "", (f"id:o{n}",), ())
                 for n in range(count)]
    async with scratch_opensearch(opensearch_url) as store:
        await store.apply_many(members)  # before their customers: filed under the partner their events named
        await store.apply_many(customers)

        moved = await store.find((Clause(frozenset(("someone",))),), "p-new", None, 1000)
        left = await store.find((Clause(frozenset(("someone",))),), "p-old", None, 1000)

    assert len(moved) == count
    assert left == []
