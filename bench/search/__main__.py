"""Compare the search read model's engines on one generated dataset, then measure the service on the real Kafka
and over HTTP. Prints the Markdown tables for docs/benchmarks.md and keeps the raw figures in bench/.data/.

    python -m bench.search --users 400000 --engines memory,sqlite,opensearch   # docs/benchmarks.md (43 min)
    python -m bench.search --users 20000 --engines memory,opensearch --no-live   # a quick look

Engines: memory and opensearch (the product's two stores; opensearch on the node at --opensearch-url, in indices
of the run's own, dropped afterwards), sqlite (FTS5 on disk) and scan (no index). The live part runs the service
on the real Kafka with each of the product's stores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.search import live, report
from bench.search.data import DATA, events_file
from bench.search.queries import load_or_make, queries_path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=2000, help="in all, a quarter of each kind")
    parser.add_argument("--engines", default="memory,sqlite,opensearch,scan")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of queries per kind, for slow engines")
    parser.add_argument("--rounds", type=int, default=3, help="times each engine runs the query mix")
    parser.add_argument("--opensearch-url", default="http://127.0.0.1:9200")
    parser.add_argument("--kafka", default="127.0.0.1:9092")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--fresh", type=int, default=200, help="events for the event-to-searchable measurement")
    parser.add_argument("--refresh-intervals", default="1s,250ms",
                        help="OpenSearch refresh intervals for event-to-searchable: the index's own, then others")
    parser.add_argument("--no-live", action="store_true", help="skip Kafka and HTTP")
    args = parser.parse_args()

    started = time.monotonic()
    print(f"dataset: {args.users:,} users", file=sys.stderr, flush=True)
    events = events_file(args.users, args.seed)
    queries = load_or_make(events, args.queries)
    results: dict[str, Any] = {
        "command": "python -m bench.search " + " ".join(sys.argv[1:]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"), "machine": _machine(), "users": args.users,
        "queries": len(queries), "engines": {},
    }
    for engine in [e for e in args.engines.split(",") if e]:
        print(f"engine: {engine}", file=sys.stderr, flush=True)
        out = DATA / f"search-result-{engine}.json"
        command = [sys.executable, "-m", "bench.search.measure", "--engine", engine, "--events", str(events),
                   "--queries", str(queries_path(events, args.queries)), "--budget", str(args.budget),
                   "--per-kind", str(args.queries // 4), "--rounds", str(args.rounds),
                   "--opensearch-url", args.opensearch_url, "--out", str(out)]
        began, load = time.monotonic(), os.getloadavg()[0]
        subprocess.run(command, check=True)
        results["engines"][engine] = {**json.loads(out.read_text()), "seconds": time.monotonic() - began,
                                      "load": [load, os.getloadavg()[0]]}
    if not args.no_live:
        began, load = time.monotonic(), os.getloadavg()[0]
        results["live"] = live.run(args.kafka, args.opensearch_url, events, queries, args.replicas, DATA,
                                   args.fresh, args.refresh_intervals.split(","))
        results["live"].update(seconds=time.monotonic() - began, load=[load, os.getloadavg()[0]])
    results["seconds"] = time.monotonic() - started
    (DATA / f"search-results-{args.users}.json").write_text(json.dumps(results, indent=2))
    print(report.markdown(results))


def _machine() -> str:
    cores = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    with open("/proc/meminfo") as meminfo:
        memory = int(meminfo.readline().split()[1]) / 1024 / 1024
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{cores} cores ({cpu}), {memory:.0f} GiB RAM, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
