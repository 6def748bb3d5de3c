"""One engine, measured in a process of its own so its memory is its own: build the read model from the events
file, then time the query mix through the search use-case (`handlers.search`, as the service runs it).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.search.engines import ScanSearchStore, SqliteSearchStore
from bench.search.queries import KINDS, Query, make
from contracts import decode
from services.search import domain, handlers
from services.search.query import load_phone_metadata
from services.search.store import MemorySearchStore, MongoSearchStore, SearchStore

BATCH = 2000


def rss() -> int:
    """Resident memory of this process, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def rss_of(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def build(store: SearchStore, events: Path, limit: int | None) -> dict[str, Any]:
    """Decode every event as a consumer does and apply it in batches; time the two apart."""
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
            if limit is not None and count >= limit:
                break
    began = time.perf_counter()
    if batch:
        await store.apply_many(batch)
    indexing += time.perf_counter() - began
    return {"entities": count, "decode_seconds": decoding, "index_seconds": indexing,
            "build_seconds": decoding + indexing, "entities_per_second": count / (decoding + indexing),
            "index_entities_per_second": count / indexing}


def prefix(events: Path, limit: int, workdir: Path) -> Path:
    """The start of the events file that holds the first `limit` entities, as `build` reads them."""
    path = workdir / f"{events.stem}-first-{limit}.ndjson"
    count = 0
    with events.open("rb") as lines, path.open("wb") as out:
        for line in lines:
            out.write(line)
            count += domain.entry_for(decode(line)) is not None
            if count >= limit:
                break
    return path


async def run_queries(store: SearchStore, queries: list[Query], per_kind: int, budget: float
                      ) -> dict[str, Any]:
    """Latency and recall per kind of query; slow engines stop a kind when its time budget is spent."""
    load_phone_metadata()  # as the service does at start
    for query in queries[:20]:  # warm the caches and the code paths
        await handlers.search(query.text, query.partner_id, None, 20, store)
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


@dataclass
class Opened:
    store: SearchStore
    memory: Callable[[], int]  # resident bytes of whoever holds the index
    storage: Callable[[], Awaitable[int]]  # bytes on disk
    close: Callable[[], Awaitable[None]]


async def measure(engine: str, events: Path, queries: list[Query], per_kind: int, budget: float,
                  limit: int | None, workdir: Path, mongo_url: str, mongo_pid: int | None) -> dict[str, Any]:
    gc.collect()
    opened = await _open(engine, workdir, mongo_url, mongo_pid)
    try:
        memory, storage = opened.memory(), await opened.storage()
        built = await build(opened.store, events, limit)
        gc.collect()
        built["rss_bytes_per_entity"] = (opened.memory() - memory) / built["entities"]
        built["storage_bytes_per_entity"] = (await opened.storage() - storage) / built["entities"]
        built["query"] = await run_queries(opened.store, queries, per_kind, budget)
        return {"engine": engine, **built}
    finally:
        await opened.close()


async def _open(engine: str, workdir: Path, mongo_url: str, mongo_pid: int | None) -> Opened:
    async def nothing() -> None:
        return None

    async def no_storage() -> int:
        return 0

    if engine == "memory":
        return Opened(MemorySearchStore(), rss, no_storage, nothing)
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
    if engine == "mongo":
        from pymongo import AsyncMongoClient

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
        db = client[f"bench_search_{uuid.uuid4().hex[:8]}"]
        mongo = MongoSearchStore(db)
        await mongo.create_indexes()

        async def stored() -> int:
            stats = await db.command("dbStats")
            return int(stats.get("totalSize") or stats.get("storageSize") or 0)

        async def drop() -> None:
            await client.drop_database(db.name)
            await client.close()

        return Opened(mongo, (lambda: rss_of(mongo_pid)) if mongo_pid else (lambda: 0), stored, drop)
    raise ValueError(f"unknown engine {engine!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", required=True, choices=["memory", "sqlite", "mongo", "scan"])
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--per-kind", type=int, default=500)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds of queries per kind at most")
    parser.add_argument("--limit", type=int, default=None, help="build from the first N entities only")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/?directConnection=true")
    parser.add_argument("--mongo-pid", type=int, default=None, help="the MongoDB server's pid, for its memory")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    gc.set_threshold(100_000, 50, 100)  # as `helpdesk` runs services
    queries = [Query(**q) for q in json.loads(args.queries.read_text())]
    if args.limit is not None:  # ask only for what was built, else recall says nothing about the engine
        queries = make(prefix(args.events, args.limit, args.workdir), args.per_kind * len(KINDS), seed=11)
    result = asyncio.run(measure(args.engine, args.events, queries, args.per_kind, args.budget, args.limit,
                                 args.workdir, args.mongo_url, args.mongo_pid))
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
