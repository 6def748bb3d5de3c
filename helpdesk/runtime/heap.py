"""A process that keeps its data in memory, and CPython's cyclic garbage collector.

The embedded mode holds every document, event and search entry as Python objects: millions of them after a big
import, all alive until replaced. The collector rescans survivors at every collection of an older generation, and
at 130,000 users that was a fifth of an import's time. What a bulk write leaves behind is data, not garbage, and
data holds no reference cycles (documents, entries and events are trees), so after each part of a bulk write the
process collects the young garbage there is and then moves every survivor out of the collector's sight.

A frozen object is still freed by reference counting as soon as nothing refers to it: replacing or deleting a
document releases it as before. Only a reference cycle that was alive at a freeze and dropped later is never
collected; `frozen_garbage` counts those, and a test keeps an import's at zero.
"""

from __future__ import annotations

import gc


def keep_survivors() -> None:
    """Collect the young generations, then stop scanning what survived: it is the data just written."""
    gc.collect(1)
    gc.freeze()


def frozen_garbage() -> int:
    """How many frozen objects are unreachable reference cycles, collecting them. For tests: it scans every object
    and leaves none frozen."""
    gc.collect()
    gc.unfreeze()
    return gc.collect()
