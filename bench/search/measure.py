"""One engine, measured in a process of its own so its memory is its own: build the read model from the events
file, then time the query mix through the search use-case (`handlers.search`, as the service runs it), a few
rounds on the same index since the machine's noise moves p99 more than the engine does.

    python -m bench.search.measure --engine memory --events FILE --queries FILE --out result.json
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.search.engines import ScanSearchStore, SqliteSearchStore
from bench.search.node import cpu_of, heap_stats, index_stats, opensearch_pid, rss_of
from bench.search.queries import KINDS, Query
from contracts import decode
from runtime import heap
from services.search import domain, handlers
from services.search.app import opensearch_store
from services.search.config import SearchSettings
from services.search.query import load_phone_metadata
from services.search.store import MemorySearchStore, SearchStore

BATCH = 2000
ENGINES = ("memory", "sqlite", "opensearch", "scan")


def rss() -> int:
    """Resident memory of this process, in bytes."""
    return rss_of(os.getpid())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def nothing() -> None:
    return None


async def build(store: SearchStore, events: Path,
                settle: Callable[[], Awaitable[None]] = nothing) -> dict[str, Any]:
    """Decode every event as a consumer does and apply it in batches; time the two apart. `settle` makes the
    last writes searchable (an OpenSearch refresh) and counts as indexing."""
    decoding = indexing = 0.0
    count = 0
    batch: list[domain.Entry] = []
    with events.open("rb") as lines:
        for line in lines:
            began = time.perf_counter()
            entry = domain.entry_for(decode(line))
            decoding += time.perf_counter() - began
            if entry is not None:
                batch.append(entry)
                count += 1
            if len(batch) == BATCH:
                began = time.perf_counter()
                await store.apply_many(batch)
                indexing += time.perf_counter() - began
                batch = []
                if count % 200_000 == 0:
                    print(f"  {count:,} entries, {count / (decoding + indexing):,.0f}/s", file=sys.stderr, flush=True)
    began = time.perf_counter()
    if batch:
        await store.apply_many(batch)
    await settle()
    indexing += time.perf_counter() - began
    return {"entities": count, "decode_seconds": decoding, "index_seconds": indexing,
            "build_seconds": decoding + indexing, "entities_per_second": count / (decoding + indexing),
            "index_entities_per_second": count / indexing}


async def warm_up(store: SearchStore, queries: list[Query]) -> None:
    load_phone_metadata()  # as the service does at start
    for query in queries[:20]:  # warm the caches and the code paths
        await handlers.search(query.text, query.partner_id, None, 20, store)


async def run_queries(store: SearchStore, queries: list[Query], per_kind: int, budget: float
                      ) -> dict[str, Any]:
    """Latency and recall per kind of query; slow engines stop a kind when its time budget is spent."""
    results: dict[str, Any] = {}
    for kind in KINDS:
        mine = [q for q in queries if q.kind == kind][:per_kind]
        latencies: list[float] = []
        found = 0
        started = time.perf_counter()
        for query in mine:
            began = time.perf_counter()
            answer = await handlers.search(query.text, query.partner_id, None, 20, store)
            latencies.append((time.perf_counter() - began) * 1000)
            found += query.expected in [hit["id"] for hit in answer[query.group]]
            if time.perf_counter() - started > budget:
                break
        results[kind] = {"queries": len(latencies), "p50_ms": percentile(latencies, 0.5),
                         "p99_ms": percentile(latencies, 0.99), "mean_ms": statistics.fmean(latencies),
                         "recall": found / len(latencies)}
    return results


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per kind, the median over rounds of each figure (recall is the same in every round)."""
    return {kind: {figure: statistics.median(r[kind][figure] for r in rounds) for figure in rounds[0][kind]}
            for kind in KINDS}


@dataclass
class Opened:
    store: SearchStore
    memory: Callable[[], int]  # resident bytes of whoever holds the index
    storage: Callable[[], Awaitable[int]]  # bytes on disk
    close: Callable[[], Awaitable[None]]
    server_cpu: Callable[[], float] | None = None  # CPU seconds of a server holding the index, if not this process
    settle: Callable[[], Awaitable[None]] = nothing  # make what was written searchable
    figures: Callable[[], Awaitable[dict[str, Any]]] | None = None  # the engine's own account of itself
    details: dict[str, Any] = field(default_factory=dict)


class Cpu:
    """CPU seconds spent from one mark to the next, by this process and by the server holding the index."""

    def __init__(self, server: Callable[[], float] | None) -> None:
        self.server = server
        self.marked = self._now()

    def _now(self) -> tuple[float, float]:
        return time.process_time(), self.server() if self.server else 0.0

    def since(self) -> dict[str, float]:
        now = self._now()
        spent = {"this_process": now[0] - self.marked[0], "server": now[1] - self.marked[1]}
        self.marked = now
        return spent


async def measure(engine: str, events: Path, queries: list[Query], per_kind: int, budget: float, rounds: int,
                  workdir: Path, opensearch_url: str) -> dict[str, Any]:
    gc.collect()
    opened = await _open(engine, workdir, opensearch_url)
    try:
        memory, storage = opened.memory(), await opened.storage()
        before = await opened.figures() if opened.figures else {}
        cpu = Cpu(opened.server_cpu)
        built = await build(opened.store, events, opened.settle)
        built["build_cpu_seconds"] = cpu.since()
        gc.collect()
        built["rss_bytes_per_entity"] = (opened.memory() - memory) / built["entities"]
        built["storage_bytes_per_entity"] = (await opened.storage() - storage) / built["entities"]
        if opened.figures:
            built["server"] = {**opened.details, "before": before, "after": await opened.figures()}
        await warm_up(opened.store, queries)
        built["query_rounds"] = []
        for n in range(rounds):
            cpu.since()
            timed = await run_queries(opened.store, queries, per_kind, budget)
            asked = sum(timed[k]["queries"] for k in KINDS)
            timed["cpu_ms_per_query"] = {who: seconds * 1000 / asked for who, seconds in cpu.since().items()}
            built["query_rounds"].append(timed)
            print(f"  round {n + 1}: p99 " + ", ".join(f"{k} {timed[k]['p99_ms']:.2f}" for k in KINDS) + " ms",
                  file=sys.stderr, flush=True)
        built["query"] = median_round(built["query_rounds"])
        if opened.figures:
            built["server"]["after_queries"] = await opened.figures()
        return {"engine": engine, **built}
    finally:
        await opened.close()


async def _open(engine: str, workdir: Path, opensearch_url: str) -> Opened:
    async def no_storage() -> int:
        return 0

    if engine == "memory":
        memory = MemorySearchStore()

        async def caught_up() -> None:
            """What a search replica does once it has read its topics: its words sorted, its index frozen."""
            memory.sort_words()
            await heap.keep_loaded()

        return Opened(memory, rss, no_storage, nothing, settle=caught_up)
    if engine == "scan":
        return Opened(ScanSearchStore(), rss, no_storage, nothing)
    if engine == "sqlite":
        path = workdir / f"fts-{uuid.uuid4().hex[:8]}.sqlite"
        sqlite = SqliteSearchStore(path)

        async def files() -> int:
            return sqlite.size()

        async def remove() -> None:
            for file in list(workdir.glob(path.name + "*")):  # noqa: ASYNC240 - after the measurements
                file.unlink()

        return Opened(sqlite, rss, files, remove)
    if engine == "opensearch":
        return await _open_opensearch(opensearch_url)
    raise ValueError(f"unknown engine {engine!r}")


async def _open_opensearch(url: str) -> Opened:
    """Fresh indices, made as the service makes them (its own settings' defaults: one shard, no replica, a
    refresh every second), under a name of their own; the node's process is measured from outside."""
    pid = opensearch_pid()
    # A longer timeout than the service's: a bulk of BATCH entries on a busy machine must not fail the run.
    settings = SearchSettings(opensearch_url=url, opensearch_index=f"bench-{uuid.uuid4().hex[:8]}",
                              opensearch_timeout_seconds=120)
    store = opensearch_store(settings)
    await store.create_indexes()
    indices = f"{store.entries},{store.placements}"

    async def stored() -> int:
        return (await index_stats(store.client, indices))["store_bytes"]

    async def figures() -> dict[str, Any]:
        return {**await index_stats(store.client, indices), **await heap_stats(store.client),
                "rss_bytes": rss_of(pid)}

    async def drop() -> None:
        await store.drop()
        await store.close()

    return Opened(store, lambda: rss_of(pid), stored, drop, server_cpu=lambda: cpu_of(pid), settle=store.refresh,
                  figures=figures, details={"index": settings.opensearch_index, "pid": pid,
                                            "shards": settings.opensearch_shards})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", required=True, choices=ENGINES)
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--per-kind", type=int, default=500)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds of queries per kind at most")
    parser.add_argument("--rounds", type=int, default=3, help="times the query mix is run on the built index")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    parser.add_argument("--opensearch-url", default="http://127.0.0.1:9200")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    gc.set_threshold(100_000, 50, 100)  # as `helpdesk` runs services
    queries = [Query(**q) for q in json.loads(args.queries.read_text())]
    result = asyncio.run(measure(args.engine, args.events, queries, args.per_kind, args.budget, args.rounds,
                                 args.workdir, args.opensearch_url))
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
