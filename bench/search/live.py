"""The search service as it runs in production, with each of its stores: the dataset's events on the real Kafka,
replicas of `helpdesk serve search` and the gateway in front; query latency over HTTP, how soon a new event is
searchable on every replica, and what a replica's start costs.

- memory: every replica replays the topics into an index of its own and is ready once caught up;
- opensearch: the replicas share the consumer group and one OpenSearch index, which they fill from the topics;
  a replica serves as soon as it has started, whatever the index holds.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.search import traffic
from bench.search.node import cpu_of, index_stats, opensearch_pid, rss_of
from bench.search.queries import Query
from services.search.app import opensearch_store
from services.search.config import SearchSettings
from services.search.store import OpenSearchSearchStore
from tests.e2e.processes import free_port, terminate, wait_for

STALLED_SECONDS = 300  # no entity indexed for this long: the replicas are stuck, stop the run


@dataclass
class Cluster:
    bootstrap: str
    prefix: str
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str, env: dict[str, str]) -> None:
        self.ports[name] = free_port()
        service = name.split("-")[0]
        prefix = service.upper()
        environment = {**os.environ, f"{prefix}_PORT": str(self.ports[name]), f"{prefix}_LOG_LEVEL": "WARNING",
                       f"{prefix}_KAFKA_BOOTSTRAP": self.bootstrap, f"{prefix}_TOPIC_PREFIX": self.prefix, **env}
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen([sys.executable, "-m", "helpdesk.cli", "serve", service],
                                                env=environment, stdout=log, stderr=log)

    def wait_ready(self, name: str, timeout: float) -> float:
        """Seconds from now until the replica answers /readyz with 200."""
        began = time.monotonic()
        if not wait_for(f"{self.url(name)}/readyz", self.processes[name], began + timeout):
            raise AssertionError(f"{name} did not become ready; see {self.logs / name}.log")
        return time.monotonic() - began

    def stop_all(self) -> None:
        for process in self.processes.values():
            terminate(process)
        self.processes.clear()


@dataclass(frozen=True)
class Agents:
    """The bench agents of every partner the queries name, and the key the gateway checks their tokens with."""

    key_pem: str
    tokens: dict[str, str]


def run(bootstrap: str, opensearch_url: str, events: Path, queries: list[Query], replicas: int, logs: Path,
        fresh: int, refresh_intervals: list[str]) -> dict[str, Any]:
    """`refresh_intervals`: the OpenSearch index is created with the first (SEARCH_OPENSEARCH_REFRESH_INTERVAL);
    event-to-searchable is measured again after setting each of the others on the live index."""
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    result: dict[str, Any] = {"topic_prefix": prefix}
    print("publishing the dataset to Kafka", file=sys.stderr, flush=True)
    result["publish"] = asyncio.run(traffic.publish_file(bootstrap, prefix, events))
    partners = {q.partner_id for q in queries}
    asyncio.run(traffic.assign_roles(bootstrap, prefix, partners))
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    agents = Agents(key, traffic.tokens(key, partners))
    entities = int(result["publish"]["events"])  # one event per entity in the dataset
    try:
        result["memory"] = _memory(Cluster(bootstrap, prefix, logs), entities, replicas, queries, agents, fresh)
        # The topics now hold the new users of the memory store's freshness measurement too.
        result["opensearch"] = _opensearch(Cluster(bootstrap, prefix, logs), opensearch_url, entities + fresh,
                                           replicas, queries, agents, fresh, refresh_intervals)
        return result
    finally:
        asyncio.run(traffic.delete_topics(bootstrap, prefix))


def _memory(cluster: Cluster, entities: int, replicas: int, queries: list[Query], agents: Agents, fresh: int
            ) -> dict[str, Any]:
    """Replicas that each replay the topics; ready (and serving) once caught up."""
    print("memory: replicas replaying the topics", file=sys.stderr, flush=True)
    names = [f"search-memory-{n}" for n in range(replicas)]
    try:
        began = time.monotonic()
        for name in names:
            cluster.start(name, {"SEARCH_STORE": "memory"})
        for name in names:
            cluster.wait_ready(name, 3600)
        ready = time.monotonic() - began
        start = {"replicas": replicas, "seconds": ready, "events_per_second": entities / ready,
                 "rss_bytes_per_entity": rss_of(cluster.processes[names[0]].pid) / entities}
        print(f"  replicas ready in {ready:.0f} s", file=sys.stderr, flush=True)
        return {"replica_start": start, **_serve(cluster, names, queries, agents, fresh, spacing=0.0)}
    finally:
        cluster.stop_all()


def _opensearch(cluster: Cluster, url: str, entities: int, replicas: int, queries: list[Query], agents: Agents,
                fresh: int, refresh_intervals: list[str]) -> dict[str, Any]:
    """Replicas sharing the consumer group and an index of the run's own: how fast they fill it from the topics,
    then the same questions as of the memory store, and how soon one more replica serves."""
    print("opensearch: replicas consuming the topics into the index", file=sys.stderr, flush=True)
    index = f"bench-{uuid.uuid4().hex[:8]}"
    env = {"SEARCH_STORE": "opensearch", "SEARCH_OPENSEARCH_URL": url, "SEARCH_OPENSEARCH_INDEX": index,
           "SEARCH_OPENSEARCH_REFRESH_INTERVAL": refresh_intervals[0]}
    names = [f"search-opensearch-{n}" for n in range(replicas)]
    node = opensearch_pid()
    # Made before the replicas start, as they would make them: a replica's consumer may write before its own
    # start-up has made them, and OpenSearch would then create an index of that name with guessed mappings.
    asyncio.run(_create(url, index, refresh_intervals[0]))
    try:
        node_cpu, began = cpu_of(node), time.monotonic()
        for name in names:
            cluster.start(name, env)
        serving = [cluster.wait_ready(name, 120) for name in names]
        counts = _wait_indexed(url, index, entities, began)
        seconds = time.monotonic() - began
        replica_cpu = sum(cpu_of(cluster.processes[name].pid) for name in names)
        indexing = {"replicas": replicas, "entities": entities, "seconds": seconds,
                    "events_per_second": entities / seconds, "steady_events_per_second": _steady(counts, entities),
                    "replica_cpu_seconds": replica_cpu, "opensearch_cpu_seconds": cpu_of(node) - node_cpu,
                    "first_ready_seconds": min(serving), "index": asyncio.run(_stats(url, index))}
        print(f"  indexed in {seconds:.0f} s ({entities / seconds:,.0f} events/s)", file=sys.stderr, flush=True)
        served = _serve(cluster, names, queries, agents, fresh, _seconds(refresh_intervals[0]), node)
        served["refresh_interval"] = refresh_intervals[0]
        served["freshness_at"] = {}
        for interval in refresh_intervals[1:]:
            httpx.put(f"{url}/{index}-entries,{index}-placements/_settings",
                      json={"index": {"refresh_interval": interval}}, timeout=30).raise_for_status()
            served["freshness_at"][interval] = asyncio.run(traffic.freshness(
                cluster.bootstrap, cluster.prefix, [cluster.url(n) for n in names], served["sample"]["partner_id"],
                served["sample"]["org_id"], fresh, _seconds(interval)))
        cluster.start("search-opensearch-new", env)
        new_replica = cluster.wait_ready("search-opensearch-new", 120)
        return {"indexing": indexing, "new_replica_seconds": new_replica, **served}
    finally:
        cluster.stop_all()
        asyncio.run(_drop(url, index))


def _wait_indexed(url: str, index: str, entities: int, began: float) -> list[tuple[float, int]]:
    """Poll the placements' count (one per entity, searchable within a refresh) until every entity is in; the
    counts seen, by seconds since `began`."""
    counts: list[tuple[float, int]] = [(0.0, 0)]
    told = 0.0
    while counts[-1][1] < entities:
        time.sleep(1)
        counts.append((time.monotonic() - began,
                       httpx.get(f"{url}/{index}-placements/_count", timeout=30).json()["count"]))
        seconds, counted = counts[-1]
        if seconds - told > 30:
            told = seconds
            print(f"  {counted:,} of {entities:,} ({counted / seconds:,.0f}/s)", file=sys.stderr, flush=True)
        moved = next(t for t, c in counts if c == counted)
        if seconds - moved > STALLED_SECONDS:
            raise AssertionError(f"indexing stalled at {counted:,} of {entities:,} entities")
    return counts


def _steady(counts: list[tuple[float, int]], entities: int) -> float:
    """Events/s from a tenth of the entities indexed to nine tenths: without the replicas' start and the last
    refresh."""
    first = next((t, c) for t, c in counts if c >= entities / 10)
    last = next((t, c) for t, c in counts if c >= entities * 9 / 10)
    return (last[1] - first[1]) / (last[0] - first[0]) if last[0] > first[0] else float("nan")


async def _stats(url: str, index: str) -> dict[str, int]:
    store = _store(url, index)
    try:
        return {"entries_docs": (await index_stats(store.client, store.entries))["docs"],
                **await index_stats(store.client, f"{store.entries},{store.placements}")}
    finally:
        await store.close()


def _store(url: str, index: str, refresh_interval: str = "1s") -> OpenSearchSearchStore:
    """The index as the replicas see it, made by the service's own composition root."""
    return opensearch_store(SearchSettings(opensearch_url=url, opensearch_index=index, opensearch_timeout_seconds=60,
                                           opensearch_refresh_interval=refresh_interval))


async def _create(url: str, index: str, refresh_interval: str) -> None:
    store = _store(url, index, refresh_interval)
    try:
        await store.create_indexes()
    finally:
        await store.close()


async def _drop(url: str, index: str) -> None:
    store = _store(url, index)
    try:
        await store.drop()
    finally:
        await store.close()


def _serve(cluster: Cluster, names: list[str], queries: list[Query], agents: Agents, fresh: int, spacing: float,
           node: int | None = None) -> dict[str, Any]:
    """The query mix over HTTP to the first replica and through a gateway in front of it, with the CPU each
    process (and the OpenSearch `node`) spent per request; then new users, each timed until every replica finds
    it."""
    gateway = f"gateway-{names[0]}"
    # Latency, not the per-agent search limit, is measured here.
    cluster.start(gateway, {"GATEWAY_AUTH_MODE": "demo", "GATEWAY_DEMO_SIGNING_KEY": agents.key_pem,
                            "GATEWAY_SEARCH_URL": cluster.url(names[0]),
                            "GATEWAY_IDENTITY_URL": "http://127.0.0.1:9", "GATEWAY_SEARCH_BURST": "1000000",
                            "GATEWAY_SEARCH_PER_MINUTE": "1000000"})
    if not wait_for(f"{cluster.url(gateway)}/healthz", cluster.processes[gateway], time.monotonic() + 60):
        raise AssertionError("the gateway did not start")
    traffic.wait_authorized(cluster.url(gateway), next(iter(agents.tokens.values())), time.monotonic() + 60)
    processes = {"gateway": cluster.processes[gateway].pid, "search": cluster.processes[names[0]].pid,
                 **({"opensearch": node} if node is not None else {})}
    result = {"service_http": traffic.http_latency(cluster.url(names[0]), queries, None, True, processes),
              "gateway_http": traffic.http_latency(cluster.url(gateway), queries, agents.tokens, False, processes)}
    sample = next(q for q in queries if q.kind == "email")
    result["sample"] = {"partner_id": sample.partner_id, "org_id": traffic.org_of(cluster.url(names[0]), sample)}
    result["freshness"] = asyncio.run(traffic.freshness(cluster.bootstrap, cluster.prefix,
                                                        [cluster.url(n) for n in names], sample.partner_id,
                                                        result["sample"]["org_id"], fresh, spacing))
    return result


def _seconds(interval: str) -> float:
    """An OpenSearch duration ("1s", "250ms", "1m") in seconds."""
    for unit, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if interval.endswith(unit):
            return float(interval.removesuffix(unit)) * scale
    raise ValueError(f"not a duration: {interval!r}")
