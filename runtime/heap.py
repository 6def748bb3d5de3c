"""A process that keeps its data in memory, and CPython's cyclic garbage collector.

The embedded mode holds every document, event and search entry as Python objects: millions of them after a big
import, all alive until replaced. The collector scans every new object at least once and rescans survivors at
every collection of an older generation; at 130,000 users that was a fifth of an import's time, and scanning
each new object just once before keeping it still took a seventh. What an import leaves behind is data, not
garbage: documents, entries and events are trees, without reference cycles. So after each batch of an import
the process moves every object out of the collector's sight without scanning it (gc.freeze).

A frozen object is still freed by reference counting as soon as nothing refers to it: replacing or deleting a
document releases it as before. What is never freed is a reference cycle frozen with the rest, whether it was
garbage already or became garbage later: the import path makes none (a test holds it so), but a request being
served at that moment holds some (its frames, futures and exceptions) and drops them when it is done. So a
batch is frozen only while no other request is in flight; otherwise the next batch is. What remains is the
importing request's own objects, a few dozen, not per record. The in-memory stores of the embedded mode use this
after each batch; a service process of the distributed mode, once its start-up steps are done (`keep_loaded`: a
search replica's own index, read from its topics). Services on MongoDB keep no data in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterator
from contextvars import ContextVar

THRESHOLDS = (100_000, 50, 100)
"""The collector's thresholds for a service process: large read models in memory, many objects per record. With
the defaults (700, 10, 10) a third of an import's time went to scanning objects that live for the whole run."""

_requests = 0  # requests this process is serving now
_serving: ContextVar[bool] = ContextVar("serving", default=False)


@contextlib.contextmanager
def serving() -> Iterator[None]:
    """Around every request the process serves. A call made while serving one (the embedded gateway calling a
    service in process) is part of that request, not another."""
    global _requests
    if _serving.get():
        yield
        return
    token = _serving.set(True)
    _requests += 1
    try:
        yield
    finally:
        _requests -= 1
        _serving.reset(token)


def others_in_flight() -> int:
    """How many requests, besides the caller's own, the process is serving now."""
    return _requests - (1 if _serving.get() else 0)


def keep_survivors() -> None:
    """Stop scanning every object alive now: after a batch of an import, that is the data just written. Not while
    another request is in flight: what it holds in cycles would never be freed."""
    if others_in_flight() == 0:
        gc.freeze()


async def keep_loaded() -> None:
    """Once a process has loaded what it serves (a search replica's own index, caught up with its topics), stop
    scanning it: a full collection walks every object in sight, 0.9 s for the index of 200,000 users, a pause for
    every request in flight, and one falls due whenever a quarter as many objects again have outlived two younger
    collections. Frozen at a moment with no request in flight, as `keep_survivors` explains; what is indexed later
    is scanned as usual."""
    while others_in_flight():  # noqa: ASYNC110 - the count of requests in flight can only be asked
        await asyncio.sleep(0.01)
    gc.freeze()


def frozen_garbage() -> int:
    """How many frozen objects are unreachable reference cycles, collecting them. For tests: it scans every object
    and leaves none frozen."""
    gc.collect()
    gc.unfreeze()
    return gc.collect()
