"""The search read model's adapters for tests: in memory, and on the real local OpenSearch."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from opensearchpy import AsyncOpenSearch

from services.search.store import OpenSearchSearchStore


@asynccontextmanager
async def scratch_opensearch(url: str, *, visible_at_once: bool = True, shards: int = 2
                             ) -> AsyncIterator[OpenSearchSearchStore]:
    """Indices of their own for one test (two shards, so that routing by partner matters), dropped afterwards."""
    client = AsyncOpenSearch(url, timeout=30)
    store = OpenSearchSearchStore(client, f"test-{uuid.uuid4().hex[:12]}", shards=shards,
                                  visible_at_once=visible_at_once)
    try:
        await store.create_indexes()
        yield store
    finally:
        await store.drop()
        await client.close()
