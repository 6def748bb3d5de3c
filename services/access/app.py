"""The access service's composition root: its store, outbox relay, HTTP API and subscriptions; connects nothing."""

from __future__ import annotations

from runtime.outbox import OutboxRelay
from runtime.service import Infrastructure, Service
from runtime.web import Refusal, Refusals, create_app
from services.access import api, consumers, demo
from services.access.config import AccessSettings
from services.access.domain import ExpiryInPast
from services.access.store import GrantStore

REFUSALS: Refusals = {
    ExpiryInPast: Refusal(422, "expiry_in_past", "The grant would already have expired: choose a time in the "
                                                 "future, or none to grant access until it is revoked."),
}


def build(settings: AccessSettings, infrastructure: Infrastructure) -> Service:
    store = GrantStore.kept_by(infrastructure.documents)
    relay = OutboxRelay([store.documents], infrastructure.bus)
    app = create_app("Help Desk access service", infrastructure.checks, REFUSALS)
    app.include_router(api.router(store, relay))

    async def seed() -> None:
        if settings.seed == "demo":
            await demo.seed(store)

    return Service("access", app, subscriptions=consumers.subscriptions(store), relay=relay,
                   on_start=[store.create_indexes, seed])
