"""The email service's composition root: its store, outbox relay, HTTP API and subscriptions; connects nothing."""

from __future__ import annotations

from runtime.outbox import OutboxRelay
from runtime.service import Infrastructure, Service
from runtime.web import Refusal, Refusals, create_app
from services.email import api, consumers, demo
from services.email.config import EmailSettings
from services.email.domain import InvalidAddress, NotSuppressed
from services.email.store import AddressStore

REFUSALS: Refusals = {
    InvalidAddress: Refusal(422, "invalid_address"),
    NotSuppressed: Refusal(404, "not_suppressed", "This address is not on the suppression list."),
}


def build(settings: EmailSettings, infrastructure: Infrastructure) -> Service:
    store = AddressStore.kept_by(infrastructure.documents)
    relay = OutboxRelay([store.documents], infrastructure.bus)
    app = create_app("Help Desk email service", infrastructure.checks, REFUSALS)
    app.include_router(api.router(store, relay))

    async def seed() -> None:
        if settings.seed == "demo":
            await demo.seed(store)

    return Service("email", app, subscriptions=consumers.subscriptions(store), relay=relay,
                   on_start=[store.create_indexes, seed])
