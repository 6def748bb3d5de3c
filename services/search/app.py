"""Search's composition root."""

from __future__ import annotations

from helpdesk.runtime.bus import Bus
from helpdesk.runtime.service import Service
from helpdesk.runtime.web import Check, create_app
from services.search import api, consumers
from services.search.config import SearchSettings
from services.search.store import MongoSearchStore, SearchStore


def build(settings: SearchSettings, store: SearchStore, bus: Bus, checks: dict[str, Check]) -> Service:
    app = create_app("Help Desk search service", checks)
    app.include_router(api.router(store))
    on_start = [store.create_indexes] if isinstance(store, MongoSearchStore) else []
    return Service("search", app, subscriptions=consumers.subscriptions(store), on_start=on_start)
