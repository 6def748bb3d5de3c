"""The benchmark's figures as the Markdown tables of docs/benchmarks.md."""

from __future__ import annotations

from typing import Any

from bench.search.queries import KINDS

NAMES = {"memory": "memory (in-process index, chosen)", "sqlite": "SQLite FTS5 (on disk)",
         "mongo": "MongoDB collection on FerretDB 1.24", "scan": "plain scan"}


def _ms(value: float) -> str:
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def markdown(results: dict[str, Any]) -> str:
    lines = [f"`{results['command']}` — {results['date']}, {results['machine']}; "
             f"{results['users']:,} users, {results['queries']:,} queries.", ""]
    lines += ["Inside the service (`handlers.search`: reading the query, the store, ranking; ms, p50 / p99):", ""]
    lines += ["| engine | entities built | " + " | ".join(KINDS) + " | recall@20 |",
              "|---|---:|" + "---:|" * len(KINDS) + "---|"]
    for name, engine in results["engines"].items():
        query = engine["query"]
        cells = [f"{_ms(query[k]['p50_ms'])} / {_ms(query[k]['p99_ms'])}" for k in KINDS]
        recall = " ".join(f"{query[k]['recall']:.0%}" for k in KINDS)
        counted = min(query[k]["queries"] for k in KINDS)
        lines.append(f"| {NAMES.get(name, name)} | {engine['entities']:,} | " + " | ".join(cells) +
                     f" | {recall}" + (f" ({counted}+ queries a kind)" if counted < results['queries'] // 4 else "")
                     + " |")
    lines += ["", "Building (decoding each event as a consumer does, then indexing):", ""]
    lines += ["| engine | build | entities/s (decode + index) | entities/s (index only) | memory / entity | "
              "storage / entity |", "|---|---:|---:|---:|---:|---:|"]
    for name, engine in results["engines"].items():
        lines.append(f"| {NAMES.get(name, name)} | {engine['build_seconds']:,.0f} s | "
                     f"{engine['entities_per_second']:,.0f} | {engine['index_entities_per_second']:,.0f} | "
                     f"{engine['rss_bytes_per_entity']:,.0f} B | {engine['storage_bytes_per_entity']:,.0f} B |")
    if "live" in results:
        lines += ["", *_live(results["live"])]
    return "\n".join(lines)


def _live(live: dict[str, Any]) -> list[str]:
    publish, start, fresh = live["publish"], live["replica_start"], live["freshness"]
    lines = [f"On the real Kafka: {publish['events']:,} events published in {publish['seconds']:,.0f} s; "
             f"{start['replicas']} replicas of `helpdesk serve search` replayed them and were ready in "
             f"{start['seconds']:,.0f} s ({start['events_per_second']:,.0f} events/s each), "
             f"{start['rss_bytes_per_entity']:,.0f} B resident per entity.", "",
             "Over HTTP, one request at a time (ms, p50 / p99):", "",
             "| path | " + " | ".join(KINDS) + " |", "|---|" + "---:|" * len(KINDS)]
    for label, key in (("search service (`/internal/search`)", "service_http"),
                       ("through the gateway (`/api/v1/search`, JWT checked)", "gateway_http")):
        lines.append(f"| {label} | " + " | ".join(
            f"{_ms(live[key][k]['p50_ms'])} / {_ms(live[key][k]['p99_ms'])}" for k in KINDS) + " |")
    lines += ["", f"Event to searchable on every replica ({fresh['events']} new users, one at a time, polled every "
              f"5 ms): p50 {fresh['p50_ms']:,.0f} ms, p99 {fresh['p99_ms']:,.0f} ms, max {fresh['max_ms']:,.0f} ms."]
    return lines
