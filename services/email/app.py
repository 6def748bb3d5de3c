"""The email service's composition root: wire the store, the outbox relay and the HTTP API; connect nothing here."""

from __future__ import annotations

from runtime.bus import Bus
from runtime.outbox import OutboxRelay
from runtime.service import Service
from runtime.web import Check, create_app
from services.email import api, demo
from services.email.config import EmailSettings
from services.email.store import AddressStore


def build(settings: EmailSettings, store: AddressStore, bus: Bus, checks: dict[str, Check]) -> Service:
    relay = OutboxRelay([store.documents], bus)
    app = create_app("Help Desk email service", checks)
    app.include_router(api.router(store, relay))

    async def seed() -> None:
        if settings.seed == "demo":
            await demo.seed(store)

    return Service("email", app, relay=relay, on_start=[store.create_indexes, seed])
