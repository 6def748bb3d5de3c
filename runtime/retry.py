"""Waiting out a dependency that is down: try again and again, a little longer each time, saying so in the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_DELAY, LONGEST_DELAY = 0.5, 5.0


async def until_it_works(attempt: Callable[[], Awaitable[T]], failed: str, context: Mapping[str, Any] | None = None,
                         after_failure: Callable[[], Awaitable[None]] | None = None) -> T:
    """What `attempt` answers once it stops raising; each failure is logged as `failed` (with `context`), followed
    by `after_failure` if given, then a wait of 0.5 s, 1 s, 2 s … at most 5 s. Cancel the caller to give up."""
    delay = FIRST_DELAY
    while True:
        try:
            return await attempt()
        except Exception as error:
            log.warning(failed, extra={**(context or {}), "error": repr(error)})
            if after_failure is not None:
                await after_failure()
            await asyncio.sleep(delay)
            delay = min(delay * 2, LONGEST_DELAY)
