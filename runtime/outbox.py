"""Publish the events waiting in documents' outboxes, then remove them: at least once, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from runtime.bus import Bus
from runtime.documents import Documents

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, collections: Sequence[Documents], bus: Bus, interval: float = 1.0) -> None:
        self.collections = collections
        self.bus = bus
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def kick(self) -> None:
        """Something was written: publish now rather than at the next tick."""
        self._wake.set()

    async def run_once(self, batch: int = 500) -> int:
        """Publish what is pending; return how many events went out. Stops at the first failure."""
        sent = 0
        for collection in self.collections:
            while pending := await collection.pending(batch):
                for item in pending:
                    await self.bus.publish(item.event)
                    await collection.mark_published(item)
                    sent += 1
        return sent

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

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
