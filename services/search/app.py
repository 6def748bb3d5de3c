"""Search's composition root: its read model (an index of its own, or shared on OpenSearch), HTTP API and
subscriptions; connects nothing until started."""

from __future__ import annotations

import asyncio

from opensearchpy import AsyncOpenSearch

from runtime.service import Infrastructure, Service
from runtime.web import create_app
from services.search import api, consumers, query
from services.search.config import SearchSettings
from services.search.gauges import index_gauges
from services.search.store import MemorySearchStore, OpenSearchSearchStore


def opensearch_store(settings: SearchSettings) -> OpenSearchSearchStore:
    client = AsyncOpenSearch(settings.opensearch_url, timeout=settings.opensearch_timeout_seconds,
                             max_retries=0, http_compress=False)
    return OpenSearchSearchStore(client, settings.opensearch_index, shards=settings.opensearch_shards,
                                 replicas=settings.opensearch_replicas,
                                 refresh_interval=settings.opensearch_refresh_interval)


def build(settings: SearchSettings, infrastructure: Infrastructure) -> Service:
    bus = infrastructure.bus
    # Neither store keeps anything in the service's MongoDB: readiness does not depend on it. The checks are
    # changed in place: whoever runs the service adds its own (that it has started) to the same table.
    checks = infrastructure.checks
    checks.pop("store", None)

    async def load_phone_metadata() -> None:
        query.load_phone_metadata()

    if settings.store == "opensearch":
        shared = opensearch_store(settings)
        checks["store"] = shared.ping
        app = create_app("Help Desk search service", checks, api.REFUSALS)
        app.include_router(api.router(shared))
        gauges = index_gauges(shared, bus)
        return Service("search", app, subscriptions=consumers.subscriptions(shared, replay=False),
                       unreachable=OpenSearchSearchStore.UNREACHABLE,
                       on_start=[load_phone_metadata, shared.create_indexes, gauges.start],
                       on_stop=[gauges.stop, shared.close])

    own = MemorySearchStore()
    app = create_app("Help Desk search service", checks, api.REFUSALS)
    app.include_router(api.router(own))
    gauges = index_gauges(own, bus)

    async def caught_up() -> None:
        """An index of its own is ready once it has read what the topics held when it started, its words in order
        for the first searches."""
        while not await bus.caught_up():  # noqa: ASYNC110 - the bus can only be asked
            await asyncio.sleep(0.1)
        own.sort_words()
        gauges.kick()  # shown caught up now, not at the next refresh

    return Service("search", app, subscriptions=consumers.subscriptions(own, replay=True),
                   on_start=[load_phone_metadata, gauges.start, caught_up], on_stop=[gauges.stop])
