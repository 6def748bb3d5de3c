"""Search's composition root."""

from __future__ import annotations

import asyncio

from runtime.bus import Bus
from runtime.mongo import Database
from runtime.service import Service
from runtime.web import Check, create_app
from services.search import api, consumers, query
from services.search.config import SearchSettings
from services.search.store import MemorySearchStore, MongoSearchStore, SearchStore


def store_for(settings: SearchSettings, db: Database) -> SearchStore:
    return MongoSearchStore(db) if settings.storage == "mongo" else MemorySearchStore()


def build(settings: SearchSettings, store: SearchStore, bus: Bus, checks: dict[str, Check]) -> Service:
    own_index = isinstance(store, MemorySearchStore)
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
