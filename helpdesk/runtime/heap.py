"""A process that keeps its data in memory, and CPython's cyclic garbage collector.

The embedded mode holds every document, event and search entry as Python objects: millions of them after a big
import, all alive until replaced. The collector scans every new object at least once and rescans survivors at
every collection of an older generation; at 130,000 users that was a fifth of an import's time, and scanning
each new object just once before keeping it still took a seventh. What an import leaves behind is data, not
garbage: documents, entries and events are trees, without reference cycles. So after each batch of an import
the process moves every object out of the collector's sight without scanning it (gc.freeze).

A frozen object is still freed by reference counting as soon as nothing refers to it: replacing or deleting a
document releases it as before. Only a reference cycle that exists at a freeze is never collected: the import
path makes none (a test holds it so), and what else is alive at that moment (the import request's own HTTP
objects, a few dozen) is not per record. Only the in-memory stores of the embedded mode use this; services on
MongoDB keep no data in memory.
"""

from __future__ import annotations

import gc


def keep_survivors() -> None:
    """Stop scanning every object alive now: after a batch of an import, that is the data just written."""
    gc.freeze()


def frozen_garbage() -> int:
    """How many frozen objects are unreachable reference cycles, collecting them. For tests: it scans every object
    and leaves none frozen."""
    gc.collect()
    gc.unfreeze()
    return gc.collect()
