"""The access service's composition root: wire the store, the outbox relay and the HTTP API; connect nothing here."""

from __future__ import annotations

from runtime.bus import Bus
from runtime.outbox import OutboxRelay
from runtime.service import Service
from runtime.web import Check, create_app
from services.access import api, consumers, demo
from services.access.config import AccessSettings
from services.access.store import GrantStore


def build(settings: AccessSettings, store: GrantStore, bus: Bus, checks: dict[str, Check]) -> Service:
    relay = OutboxRelay([store.documents], bus)
    app = create_app("Help Desk access service", checks)
    app.include_router(api.router(store, relay))

    async def seed() -> None:
        if settings.seed == "demo":
            await demo.seed(store)

    return Service("access", app, subscriptions=consumers.subscriptions(store), relay=relay,
                   on_start=[store.create_indexes, seed])
