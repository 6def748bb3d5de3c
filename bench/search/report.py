"""The benchmark's figures as the Markdown tables of docs/benchmarks.md."""

from __future__ import annotations

from typing import Any

from bench.search.queries import KINDS

NAMES = {"memory": "memory (in-process index)", "sqlite": "SQLite FTS5 (on disk)",
         "opensearch": "OpenSearch 2.19 (one node, one shard)", "scan": "plain scan"}


def _ms(value: float) -> str:
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def _spread(values: list[float]) -> str:
    return f"{_ms(min(values))} to {_ms(max(values))}"


def _name(engine: str) -> str:
    return NAMES.get(engine, engine)


def markdown(results: dict[str, Any]) -> str:
    lines = [f"`{results['command']}` — {results['date']}, {results['machine']}; "
             f"{results['users']:,} users, {results['queries']:,} queries.", ""]
    engines: dict[str, Any] = results["engines"]
    parts = {**engines, **({"live part": results["live"]} if "live" in results else {})}
    lines += ["Machine load (1-minute load average at the start and end of each part; the machine has "
              f"{results['machine'].split()[0]} cores): " + ", ".join(
                  f"{name} {part['load'][0]:.1f} → {part['load'][1]:.1f} ({part['seconds'] / 60:.0f} min)"
                  for name, part in parts.items()) + f"; {results['seconds'] / 60:.0f} min in all.", ""]
    if engines:
        lines += [*_queries(engines, results["queries"]), "", *_building(engines)]
    if "opensearch" in engines:
        lines += ["", *_opensearch(engines["opensearch"])]
    if "live" in results:
        lines += ["", *_live(results["live"])]
    return "\n".join(lines)


def _queries(engines: dict[str, Any], asked: int) -> list[str]:
    rounds = len(next(iter(engines.values()))["query_rounds"])
    lines = [f"Inside the service (`handlers.search`: reading the query, the store, ranking; ms, p50 / p99, the "
             f"median of {rounds} rounds):", "",
             "| engine | entities built | " + " | ".join(KINDS) + " | recall@20 |",
             "|---|---:|" + "---:|" * len(KINDS) + "---|"]
    for name, engine in engines.items():
        query = engine["query"]
        cells = [f"{_ms(query[k]['p50_ms'])} / {_ms(query[k]['p99_ms'])}" for k in KINDS]
        recall = " ".join(f"{query[k]['recall']:.0%}" for k in KINDS)
        counted = min(query[k]["queries"] for k in KINDS)
        lines.append(f"| {_name(name)} | {engine['entities']:,} | " + " | ".join(cells) + f" | {recall}"
                     + (f" ({counted:.0f}+ queries a kind)" if counted < asked // 4 else "") + " |")
    lines += ["", "Spread over the rounds (p99, lowest to highest, ms) and CPU per query (ms; this process, plus the "
              "OpenSearch node's):", "", "| engine | " + " | ".join(KINDS) + " | CPU / query |",
              "|---|" + "---:|" * len(KINDS) + "---:|"]
    for name, engine in engines.items():
        done = engine["query_rounds"]
        spread = [_spread([r[k]["p99_ms"] for r in done]) for k in KINDS]
        cpu = [r["cpu_ms_per_query"] for r in done]
        mine = _spread([c["this_process"] for c in cpu])
        server = [c["server"] for c in cpu]
        theirs = f" + {_spread(server)}" if any(server) else ""
        lines.append(f"| {_name(name)} | " + " | ".join(spread) + f" | {mine}{theirs} |")
    return lines


def _building(engines: dict[str, Any]) -> list[str]:
    lines = ["Building (decoding each event as a consumer does, then indexing; CPU in µs per entity, this process "
             "plus the OpenSearch node's):", "",
             "| engine | build | entities/s (decode + index) | entities/s (index only) | memory / entity | "
             "storage / entity | CPU / entity |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, engine in engines.items():
        cpu = engine["build_cpu_seconds"]
        per = 1e6 / engine["entities"]
        spent = f"{cpu['this_process'] * per:,.0f}" + (f" + {cpu['server'] * per:,.0f}" if cpu["server"] else "")
        lines.append(f"| {_name(name)} | {engine['build_seconds']:,.0f} s | "
                     f"{engine['entities_per_second']:,.0f} | {engine['index_entities_per_second']:,.0f} | "
                     f"{engine['rss_bytes_per_entity']:,.0f} B | {engine['storage_bytes_per_entity']:,.0f} B | "
                     f"{spent} |")
    return lines


def _opensearch(engine: dict[str, Any]) -> list[str]:
    server = engine["server"]
    after, before, asked = server["after"], server["before"], server["after_queries"]
    per = 1 / engine["entities"]
    queries = sum(r[k]["queries"] for r in engine["query_rounds"] for k in KINDS)
    searched = (asked["searches"] - after["searches"]) / queries
    gets = (asked["gets"] - after["gets"]) / queries
    node_ms = (asked["search_ms"] - after["search_ms"] + asked["get_ms"] - after["get_ms"]) / queries
    return [f"OpenSearch's own account after the build (`_stats` of both indices, `_nodes/stats`): "
            f"{after['docs']:,} documents ({after['deleted_docs']:,} deleted, not yet merged away) in "
            f"{after['segments']} segments, {after['store_bytes'] / 2**20:,.0f} MiB on disk "
            f"({(after['store_bytes'] - before['store_bytes']) * per:,.0f} B per entity); segments' heap "
            f"{after['segments_memory_bytes']:,} B, index writer {after['index_writer_memory_bytes'] / 2**20:,.1f} "
            f"MiB, version map {after['version_map_memory_bytes'] / 2**20:,.1f} MiB; heap in use "
            f"{after['heap_used_bytes'] / 2**20:,.0f} of {after['heap_max_bytes'] / 2**20:,.0f} MiB (old "
            f"generation {before['old_gen_bytes'] / 2**20:,.0f} → {after['old_gen_bytes'] / 2**20:,.0f} MiB); "
            f"node resident {before['rss_bytes'] / 2**20:,.0f} → {after['rss_bytes'] / 2**20:,.0f} MiB. "
            f"{_operations(after, engine['entities'])} While the {queries:,} queries of the rounds ran: "
            f"{searched:.1f} shard searches and {gets:.1f} documents got per query, {node_ms:.1f} ms of the "
            "node's time per query in them."]


def _operations(stats: dict[str, Any], entities: int) -> str:
    """Where the node's time went on these indices (its own per-index counters)."""
    return (f"The node's time on these indices: indexing {stats['indexed']:,} documents "
            f"{stats['index_ms'] / 1000:,.0f} s ({stats['index_ms'] * 1000 / entities:,.0f} µs per entity), "
            f"{stats['gets']:,} gets {stats['get_ms'] / 1000:,.0f} s, {stats['searches']:,} searches "
            f"{stats['search_ms'] / 1000:,.0f} s, {stats['refreshes']:,} refreshes "
            f"{stats['refresh_ms'] / 1000:,.0f} s, {stats['merges']:,} merges {stats['merge_ms'] / 1000:,.0f} s.")


def _live(live: dict[str, Any]) -> list[str]:
    publish = live["publish"]
    lines = [f"On the real Kafka: {publish['events']:,} events published in {publish['seconds']:,.0f} s."]
    if "memory" in live:
        start = live["memory"]["replica_start"]
        lines += ["", f"memory: {start['replicas']} replicas of `helpdesk serve search` replayed them and were ready "
                  f"in {start['seconds']:,.0f} s ({start['events_per_second']:,.0f} events/s each), "
                  f"{start['rss_bytes_per_entity']:,.0f} B resident per entity; a new replica serves once it "
                  "has replayed them all."]
    if "opensearch" in live:
        shared = live["opensearch"]
        indexing = shared["indexing"]
        cores = (indexing["replica_cpu_seconds"] + indexing["opensearch_cpu_seconds"]) / indexing["seconds"]
        lines += ["", f"opensearch: {indexing['replicas']} replicas in the consumer group filled the index from the "
                  f"topics in {indexing['seconds']:,.0f} s ({indexing['events_per_second']:,.0f} events/s in all, "
                  f"{indexing['steady_events_per_second']:,.0f} events/s from a tenth to nine tenths), "
                  f"using {indexing['replica_cpu_seconds']:,.0f} CPU seconds in the replicas and "
                  f"{indexing['opensearch_cpu_seconds']:,.0f} in the node ({cores:.1f} cores busy; "
                  f"{indexing['entities'] / indexing['replica_cpu_seconds']:,.0f} events per replica CPU second, "
                  f"{indexing['entities'] / indexing['opensearch_cpu_seconds']:,.0f} per node CPU second). "
                  f"Replicas served {indexing['first_ready_seconds']:.1f} s after they were started, with "
                  f"whatever the index held; one more replica, started afterwards, served after "
                  f"{shared['new_replica_seconds']:.1f} s. Index: {indexing['index']['entries_docs']:,} entries, "
                  f"{indexing['index']['docs'] - indexing['index']['entries_docs']:,} placements. "
                  f"{_operations(indexing['index'], indexing['entities'])}"]
    lines += ["", "Over HTTP, one request at a time (ms, p50 / p99):", "",
              "| store | path | " + " | ".join(KINDS) + " | recall@20 |", "|---|---|" + "---:|" * len(KINDS) + "---|"]
    for store in ("memory", "opensearch"):
        for label, key in (("search service (`/internal/search`)", "service_http"),
                           ("through the gateway (`/api/v1/search`, JWT checked)", "gateway_http")):
            if store in live:
                timed = live[store][key]
                lines.append(f"| {store} | {label} | " + " | ".join(
                    f"{_ms(timed[k]['p50_ms'])} / {_ms(timed[k]['p99_ms'])}" for k in KINDS) + " | " +
                    " ".join(f"{timed[k]['recall']:.0%}" for k in KINDS) + " |")
    lines += ["", "CPU per request while those ran (ms; the gateway, the search replica asked, the OpenSearch node):",
              "", "| store | path | gateway | search | OpenSearch node |", "|---|---|---:|---:|---:|"]
    for store in ("memory", "opensearch"):
        for label, key in (("search service", "service_http"), ("through the gateway", "gateway_http")):
            if store in live:
                spent = live[store][key]["cpu_ms_per_request"]
                node = f"{spent['opensearch']:.2f}" if "opensearch" in spent else ""
                lines.append(f"| {store} | {label} | {spent['gateway']:.2f} | {spent['search']:.2f} | {node} |")
    lines += ["", "Event to searchable on every replica (new users, one at a time, polled every 5 ms; ms):", "",
              "| store | users | p50 | p99 | max |", "|---|---:|---:|---:|---:|"]
    for store, label, fresh in _freshness(live):
        lines.append(f"| {store}{label} | {fresh['events']} | {fresh['p50_ms']:,.0f} | {fresh['p99_ms']:,.0f} | "
                     f"{fresh['max_ms']:,.0f} |")
    return lines


def _freshness(live: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    if "memory" in live:
        rows.append(("memory", "", live["memory"]["freshness"]))
    if "opensearch" in live:
        shared = live["opensearch"]
        rows.append(("opensearch", f", refresh every {shared['refresh_interval']}", shared["freshness"]))
        rows += [("opensearch", f", refresh every {interval} (set on the live index)", fresh)
                 for interval, fresh in shared["freshness_at"].items()]
    return rows
