"""What search shows on GET /metrics: the entries in its read model and how far the replay that fills an index kept
in memory has come, refreshed every few seconds in the background (on OpenSearch the count is a request, which a
scrape should neither wait for nor cause)."""

from __future__ import annotations

from datetime import datetime, timedelta

from runtime import metrics
from runtime.bus import Bus
from runtime.timer import Timer
from services.search.store import SearchStore


def index_gauges(store: SearchStore, bus: Bus, every: timedelta = timedelta(seconds=5)) -> Timer:
    """A timer that sets helpdesk_search_index_entries and helpdesk_search_replay_progress_ratio; kick it to
    refresh them now."""
    metrics.show(metrics.SEARCH_INDEX_ENTRIES, metrics.SEARCH_REPLAY_PROGRESS)

    async def refresh(_: datetime) -> datetime | None:
        metrics.SEARCH_REPLAY_PROGRESS.set(bus.replay_progress())
        metrics.SEARCH_INDEX_ENTRIES.set(await store.count())
        return None

    return Timer(refresh, longest=every)
