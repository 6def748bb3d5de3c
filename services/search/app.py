"""Search's composition root: its read model (an index of its own, or shared on MongoDB), HTTP API and
subscriptions; connects nothing."""

from __future__ import annotations

import asyncio

from runtime.service import Infrastructure, Service
from runtime.web import create_app
from services.search import api, consumers, query
from services.search.config import SearchSettings
from services.search.store import MemorySearchStore, MongoSearchStore, SearchStore


def store_for(settings: SearchSettings, infrastructure: Infrastructure) -> SearchStore:
    if settings.storage == "mongo":
        if infrastructure.db is None:
            raise ValueError("SEARCH_STORAGE=mongo needs a MongoDB database")
        return MongoSearchStore(infrastructure.db)
    return MemorySearchStore()


def build(settings: SearchSettings, infrastructure: Infrastructure) -> Service:
    store, bus = store_for(settings, infrastructure), infrastructure.bus
    own_index = isinstance(store, MemorySearchStore)
    checks = dict(infrastructure.checks)
    if own_index:
        checks.pop("store", None)  # an index of its own needs no database to answer
    app = create_app("Help Desk search service", checks)
    app.include_router(api.router(store))

    async def caught_up() -> None:
        """An index of its own is ready once it has read what the topics held when it started."""
        while not await bus.caught_up():  # noqa: ASYNC110 - the bus can only be asked
            await asyncio.sleep(0.1)

    async def load_phone_metadata() -> None:
        query.load_phone_metadata()

    on_start = [load_phone_metadata, store.create_indexes if isinstance(store, MongoSearchStore) else caught_up]
    return Service("search", app, subscriptions=consumers.subscriptions(store, replay=own_index), on_start=on_start)
