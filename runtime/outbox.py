"""Publish the events waiting in documents' outboxes, then remove them: at least once, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from runtime import metrics
from runtime.bus import Bus
from runtime.documents import Documents
from runtime.times import utc_now

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, collections: Sequence[Documents], bus: Bus, interval: float = 1.0) -> None:
        self.collections = collections
        self.bus = bus
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waiting: dict[str, int] = {}  # by collection: the events found waiting at the last look
        metrics.show(metrics.OUTBOX_BACKLOG, metrics.OUTBOX_RELAY_DELAY)

    def kick(self) -> None:
        """Something was written: publish now rather than at the next tick."""
        self._wake.set()

    async def run_once(self, batch: int = 500) -> int:
        """Publish what is pending; return how many events went out. Stops at the first failure."""
        sent = 0
        for collection in self.collections:
            while pending := await collection.pending(batch):
                self._found_waiting(collection.name, len(pending))
                for item in pending:
                    await self.bus.publish(item.event)
                    await collection.mark_published(item)
                    metrics.OUTBOX_RELAY_DELAY.observe((utc_now() - item.event.occurred_at).total_seconds())
                    sent += 1
            self._found_waiting(collection.name, 0)
        return sent

    def _found_waiting(self, collection: str, count: int) -> None:
        """This relay's part of the process's backlog: the gauge is the sum over its relays, kept by differences."""
        metrics.OUTBOX_BACKLOG.inc(count - self._waiting.get(collection, 0))
        self._waiting[collection] = count

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for collection in list(self._waiting):  # what is left is no longer this process's to publish
            self._found_waiting(collection, 0)

    async def _loop(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that arrives as the
            # wake-up does, and stop() would then wait for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.run_once()
            except Exception as error:  # bus or store down: the events stay in the outbox for the next tick
                log.warning("outbox relay paused", extra={"error": repr(error)})
