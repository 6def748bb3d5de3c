"""Identity's composition root: wire the store, the outbox relay and the HTTP API; connect nothing here."""

from __future__ import annotations

from collections.abc import AsyncIterator

from runtime import heap
from runtime.outbox import OutboxRelay
from runtime.service import Infrastructure, Service
from runtime.web import create_app
from services.identity import api, consumers, demo, importing
from services.identity.config import IdentitySettings
from services.identity.parsing import LineParser
from services.identity.store import IdentityStore


def build(settings: IdentitySettings, infrastructure: Infrastructure) -> Service:
    store = IdentityStore.kept_by(infrastructure.documents)
    relay = OutboxRelay(list(store.collections.values()), infrastructure.bus)
    parser = LineParser(settings.import_workers)
    app = create_app("Help Desk identity service", infrastructure.checks, refusals=api.REFUSALS)
    # Kept in this process's memory, the imported data is long-lived: the collector need not rescan it.
    on_batch = heap.keep_survivors if store.in_memory else lambda: None
    app.include_router(api.router(store, relay, parser, on_batch))

    async def seed() -> None:
        if settings.seed == "demo":
            await importing.import_records(_once(demo.ndjson()), store)

    async def close_parser() -> None:
        parser.close()

    return Service("identity", app, subscriptions=consumers.subscriptions(store), relay=relay,
                   unreachable=infrastructure.unreachable,
                   on_start=[store.create_indexes, seed], on_stop=[close_parser])


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body
