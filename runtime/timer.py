"""A timer in the service, not the database: it does what is due now, then sleeps until the next time something
is due, or until woken because something changed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from runtime.times import utc_now

log = logging.getLogger(__name__)

Work = Callable[[datetime], Awaitable[datetime | None]]
"""Does what is due at the time given; answers when the next thing is due (None: nothing known)."""


class Timer:
    """Runs `work` at start, at each time it answers, when kicked, and at least every `longest`: another replica's
    changes are not kicked here, so they are found at the next look at the latest."""

    def __init__(self, work: Work, clock: Callable[[], datetime] = utc_now,
                 longest: timedelta = timedelta(minutes=1)) -> None:
        self.work, self.clock, self.longest = work, clock, longest
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def kick(self) -> None:
        """Something changed that may be due sooner: look again now."""
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> datetime | None:
        return await self.work(self.clock())

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                due = await self.run_once()
            except Exception as error:  # the store is down: look again at the next tick
                log.warning("timer paused", extra={"error": repr(error)})
                due = None
            wait = self.longest if due is None else min(max(due - self.clock(), timedelta(0)), self.longest)
            # asyncio.timeout rather than wait_for, as in runtime.outbox: a cancellation is never swallowed.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait.total_seconds()):
                    await self._wake.wait()
