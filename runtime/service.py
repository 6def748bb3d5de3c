"""What a service is once built: its HTTP app, its subscriptions and its background work."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from fastapi import FastAPI

from runtime import mongo
from runtime.bus import Bus, Errors, Subscription
from runtime.documents import Documents, MemoryDocuments, MongoDocuments
from runtime.mongo import Database
from runtime.outbox import OutboxRelay
from runtime.retry import until_it_works
from runtime.web import Check


@dataclass(frozen=True)
class Infrastructure:
    """What the runtime gives a service to build itself with: the bus, where its documents are kept (MongoDB, or
    this process's memory when `db` is None) and the checks of its readiness. A service makes its own stores from
    it, as many as it needs."""

    bus: Bus
    checks: dict[str, Check] = field(default_factory=dict)
    db: Database | None = None

    def documents(self, collection: str, indexes: Sequence[str] = ()) -> Documents:
        if self.db is None:
            return MemoryDocuments(collection, indexes)
        return MongoDocuments(self.db, collection, indexes)

    @property
    def unreachable(self) -> Errors:
        """The errors of documents kept where they can be out of reach (MongoDB); memory is always there."""
        return () if self.db is None else mongo.UNREACHABLE


@dataclass
class Service:
    name: str
    api: FastAPI
    subscriptions: Sequence[Subscription] = ()
    # Errors meaning one of the service's stores cannot be reached: its consumers wait them out (runtime.bus).
    unreachable: Errors = ()
    relay: OutboxRelay | None = None
    on_start: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=list)
    prepared: asyncio.Event = field(default_factory=asyncio.Event)
    _preparing: asyncio.Task[None] | None = None

    def attach(self, bus: Bus) -> None:
        for subscription in self.subscriptions:
            bus.subscribe(dataclasses.replace(
                subscription, unreachable=(*subscription.unreachable, *self.unreachable)))

    async def start(self) -> None:
        """Run the start-up steps in the background, retried until the store answers, then relay events."""
        self._preparing = asyncio.create_task(self._prepare())
        if self.relay is not None:
            await self.relay.start()

    async def _prepare(self) -> None:
        for step in self.on_start:  # a dependency is down: try again, readiness says 503 meanwhile
            await until_it_works(step, "start-up step failed, retrying", {"step": step.__name__})
        self.prepared.set()
        if self.relay is not None:
            self.relay.kick()

    async def ready(self) -> bool:
        return self.prepared.is_set()

    async def stop(self) -> None:
        if self._preparing is not None:
            self._preparing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._preparing
        if self.relay is not None:
            await self.relay.stop()
        for step in self.on_stop:
            await step()
