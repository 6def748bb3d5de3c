"""Rebuilding the read model from identity's topics alone: every partition read from the beginning up to where
it ended when the rebuild began, in batches, with progress.

The shared read model on OpenSearch is rebuilt into indices of a new generation beside the live ones, swapped in
at once, and then brought up to date with what arrived meanwhile. An index kept in memory is rebuilt by every
replica when it starts; rebuilding one here shows what that costs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import Event, decode
from services.search import app, consumers, handlers
from services.search.config import SearchSettings
from services.search.store import MemorySearchStore, OpenSearchSearchStore, SearchStore

log = logging.getLogger(__name__)

Offsets = dict[tuple[str, int], int]


@dataclass(frozen=True)
class Progress:
    read: int  # offsets read so far, of `total` (compaction leaves gaps, so events may be fewer)
    total: int
    events: int
    changed: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


OnProgress = Callable[[Progress], None]


async def replay(bootstrap: str, topics: Sequence[str], on_batch: Callable[[list[Event]], Awaitable[int]],
                 on_progress: OnProgress | None = None, start: Offsets | None = None, batch: int = 2000
                 ) -> tuple[Progress, Offsets]:
    """Hand every event of the topics, from `start` (or the beginning) to their current end, to `on_batch`.

    Returns the final progress and the end offsets reached, to continue from.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                client_id="helpdesk-search-rebuild", max_partition_fetch_bytes=4 << 20)
    await consumer.start()
    began = time.monotonic()
    try:
        partitions = await _all_partitions(consumer, [t for t in topics if t in await consumer.topics()])
        if not partitions:
            return Progress(0, 0, 0, 0, 0.0), {}
        first, end = await consumer.beginning_offsets(partitions), await consumer.end_offsets(partitions)
        origin = {tp: max(first[tp], (start or {}).get((tp.topic, tp.partition), first[tp])) for tp in partitions}
        for tp in partitions:
            consumer.seek(tp, origin[tp])
        total = sum(max(0, end[tp] - origin[tp]) for tp in partitions)
        remaining = {tp for tp in partitions if end[tp] > origin[tp]}
        read = events = changed = 0
        reported = began
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=batch)
            found: list[Event] = []
            for tp, records in fetched.items():
                for record in records:
                    if record.offset >= end[tp]:
                        break
                    event = _decoded(record.value)
                    if event is not None:
                        found.append(event)
                read += sum(1 for r in records if r.offset < end[tp])
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
            events += len(found)
            changed += await on_batch(found) if found else 0
            now = time.monotonic()
            if on_progress is not None and (now - reported >= 1.0 or not remaining):
                reported = now
                on_progress(Progress(read, total, events, changed, now - began))
        progress = Progress(read, total, events, changed, time.monotonic() - began)
        return progress, {(tp.topic, tp.partition): end[tp] for tp in partitions}
    finally:
        await consumer.stop()


async def _all_partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    """Every partition of the topics: without a group, subscribing assigns them all once metadata arrives."""
    if not topics:
        return []
    consumer.subscribe(topics=topics)
    async with asyncio.timeout(30):
        while {tp.topic for tp in consumer.assignment()} != set(topics):  # noqa: ASYNC110 - aiokafka has no event
            await asyncio.sleep(0.05)
    return sorted(consumer.assignment())


def _decoded(body: bytes | None) -> Event | None:
    try:
        return decode(body or b"")
    except ValueError as error:  # the live consumers dead-letter it; a rebuild can only skip it
        log.warning("skipped an undecodable message", extra={"error": repr(error)})
        return None


async def rebuild(store: SearchStore, bootstrap: str, topics: Sequence[str], on_progress: OnProgress | None = None
                  ) -> tuple[Progress, Offsets]:
    """Read every event of the topics into `store`."""

    async def index(events: list[Event]) -> int:
        return await handlers.index_many(events, store)

    return await replay(bootstrap, topics, index, on_progress)


async def rebuild_shared(store: OpenSearchSearchStore, bootstrap: str, topics: Sequence[str],
                         on_progress: OnProgress | None = None) -> Progress:
    """Rebuild the shared read model beside the live one, swap it in, then catch up with what came meanwhile."""
    scratch = await store.scratch()
    progress, ends = await rebuild(scratch, bootstrap, topics, on_progress)
    await store.replace_with(scratch)

    async def index(events: list[Event]) -> int:
        return await handlers.index_many(events, store)

    caught_up, _ = await replay(bootstrap, topics, index, start=ends)
    return Progress(progress.read + caught_up.read, progress.total + caught_up.total,
                    progress.events + caught_up.events, progress.changed + caught_up.changed,
                    progress.seconds + caught_up.seconds)


def describe(progress: Progress) -> str:
    share = 100 * progress.read / progress.total if progress.total else 100.0
    return (f"{progress.read:,}/{progress.total:,} offsets ({share:.0f}%), {progress.events:,} events, "
            f"{progress.changed:,} entries changed, {progress.rate:,.0f} events/s, {progress.seconds:.1f} s")


async def rebuild_configured(settings: SearchSettings, on_progress: OnProgress | None = None) -> str:
    """Rebuild as the settings say (SEARCH_STORE, SEARCH_KAFKA_BOOTSTRAP, …); return a summary line."""
    topics = [settings.topic_prefix + topic for topic in consumers.TOPICS]
    if settings.store == "memory":
        memory = MemorySearchStore()
        progress, _ = await rebuild(memory, settings.kafka_bootstrap, topics, on_progress)
        return f"rebuilt in memory: {await memory.count():,} entries; {describe(progress)}"
    shared = app.opensearch_store(settings)
    try:
        await shared.create_indexes()
        progress = await rebuild_shared(shared, settings.kafka_bootstrap, topics, on_progress)
        return f"rebuilt {shared.entries}: {await shared.count():,} entries; {describe(progress)}"
    finally:
        await shared.close()
