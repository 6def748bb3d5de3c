"""The figures of a stretch of load, from the requests Locust logged and the sampler's samples: per route the
requests, their rate and latency quantiles, refusals and errors; the same over time; CPU per process; consumer
lag; and, over the steps of a ceiling search, the highest rate that held and the process that ran out of CPU.

An answer's outcome: `ok` (2xx), `refused` (429: a documented rate limit, the per-agent search limit or the codes'
limits), `error` (any other status, or none)."""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load.sampler import Sample

SEARCHES = "all searches"
WARM_UP_SECONDS = 5.0  # the agents' start is left out of the tables (not of the charts)
HELD = 0.95  # of the rate asked, for a step of a ceiling search to count as sent at that rate
BUSY_CORES = 0.9  # a process's event loop runs on one core: this much of one is all it gets
INFRASTRUCTURE = ("kafka", "ferretdb", "opensearch")
GENERATOR = "locust"


@dataclass(frozen=True)
class Request:
    start: float  # Unix time
    route: str
    ms: float
    status: int
    replica: str

    @property
    def outcome(self) -> str:
        return "ok" if 200 <= self.status < 300 else "refused" if self.status == 429 else "error"


def read(path: Path) -> list[Request]:
    with path.open(newline="") as file:
        return [Request(float(row["start"]), row["route"], float(row["ms"]), int(row["status"]), row["replica"])
                for row in csv.DictReader(file)]


def quantile(values: list[float], share: float) -> float:
    """Nearest rank; NaN of nothing."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


def route_of(request: Request) -> list[str]:
    """The rows a request counts in: its route's, and the searches' together."""
    return [request.route, SEARCHES] if request.route.startswith("search ") else [request.route]


def routes(requests: Iterable[Request], seconds: float) -> dict[str, dict[str, float]]:
    """Per route (and all searches together): requests, per second, quantiles of the answered ones (ms), outcomes."""
    grouped: dict[str, list[Request]] = {}
    for request in requests:
        for route in route_of(request):
            grouped.setdefault(route, []).append(request)
    table = {}
    for route, asked in sorted(grouped.items(), key=lambda item: (item[0] != SEARCHES, item[0])):
        answered = [r.ms for r in asked if r.status]
        table[route] = {"requests": len(asked), "per_second": len(asked) / seconds,
                        **{f"p{q}_ms": quantile(answered, q / 100) for q in (50, 95, 99)},
                        "max_ms": max(answered, default=math.nan),
                        **{outcome: sum(r.outcome == outcome for r in asked) for outcome in ("ok", "refused", "error")}}
    return table


def errors(requests: Iterable[Request]) -> dict[str, int]:
    """The errors by route and status, as "route status": count."""
    found: dict[str, int] = {}
    for request in requests:
        if request.outcome == "error":
            key = f"{request.route} {request.status or 'no answer'}"
            found[key] = found.get(key, 0) + 1
    return found


def windows(requests: list[Request], started: float, width: float) -> dict[str, Any]:
    """Over time, in windows of `width` seconds from `started`: requests/s by outcome, p50 and p99 by route."""
    count = max(1, math.ceil(max((r.start - started for r in requests), default=0.0) / width))
    buckets: list[list[Request]] = [[] for _ in range(count)]
    for request in requests:
        buckets[min(count - 1, max(0, int((request.start - started) // width)))].append(request)
    names = sorted({route for r in requests for route in route_of(r)})
    latency = {name: [[r.ms for r in bucket if r.status and name in route_of(r)] for bucket in buckets]
               for name in names}
    return {"t": [(n + 0.5) * width for n in range(count)],
            "per_second": {outcome: [sum(r.outcome == outcome for r in bucket) / width for bucket in buckets]
                           for outcome in ("ok", "refused", "error")},
            "p50_ms": {name: [quantile(values, 0.5) for values in latency[name]] for name in names},
            "p99_ms": {name: [quantile(values, 0.99) for values in latency[name]] for name in names}}


def cpu_over_time(samples: list[Sample], started: float) -> dict[str, Any]:
    """Cores each process used between samples, and the whole machine's."""
    pairs = list(itertools.pairwise(samples))
    names = sorted({name for sample in samples for name in sample.cpu})
    return {"t": [later.at - started for _, later in pairs],
            "cores": {name: [_cores(before.cpu, later.cpu, name, later.at - before.at) for before, later in pairs]
                      for name in names},
            "machine": [(later.machine_busy - before.machine_busy) / (later.at - before.at) for before, later in pairs],
            "load_average": [later.load_average for _, later in pairs]}


def _cores(before: dict[str, float], later: dict[str, float], name: str, seconds: float) -> float:
    if name not in before or name not in later or seconds <= 0:
        return math.nan
    return (later[name] - before[name]) / seconds


def cpu(samples: list[Sample], since: float) -> dict[str, Any]:
    """Mean and peak cores per process from `since` on, and the machine's mean."""
    kept = [sample for sample in samples if sample.at >= since]
    if len(kept) < 2:
        return {"processes": {}, "machine": math.nan, "load_average": []}
    over = cpu_over_time(kept, kept[0].at)
    first, last = kept[0], kept[-1]
    seconds = last.at - first.at
    processes = {}
    for name, series in over["cores"].items():
        ended = next((s.cpu for s in reversed(kept) if name in s.cpu), {})
        if name in first.cpu and name in ended:
            processes[name] = {"mean": (ended[name] - first.cpu[name]) / seconds,
                               "peak": max((v for v in series if not math.isnan(v)), default=math.nan)}
    return {"processes": processes, "machine": (last.machine_busy - first.machine_busy) / seconds,
            "load_average": [s.load_average for s in kept]}


def lag_over_time(samples: list[Sample], started: float) -> dict[str, Any]:
    """Each process's consumer lag (every group and topic it reads, added up) over time."""
    names = sorted({name for sample in samples for name in sample.lag})
    return {"t": [sample.at - started for sample in samples],
            "lag": {name: [sum(sample.lag[name].values()) if name in sample.lag else math.nan for sample in samples]
                    for name in names}}


def lag_peaks(samples: list[Sample]) -> dict[str, float]:
    """The highest lag seen, by "process: group topic"."""
    peaks: dict[str, float] = {}
    for sample in samples:
        for name, lags in sample.lag.items():
            for key, value in lags.items():
                peaks[f"{name}: {key}"] = max(peaks.get(f"{name}: {key}", 0.0), value)
    return peaks


def busiest(processes: dict[str, dict[str, float]], product_only: bool = False) -> tuple[str, float]:
    """The process that used the most CPU, the load generator left out (and the infrastructure, whose servers use
    several threads, with `product_only`)."""
    left_out = (GENERATOR, *INFRASTRUCTURE) if product_only else (GENERATOR,)
    candidates = {name: cores["mean"] for name, cores in processes.items() if name not in left_out}
    name = max(candidates, key=lambda n: candidates[n], default="-")
    return name, candidates.get(name, math.nan)


def held(step: dict[str, Any], limit_ms: float) -> bool:
    """A step held when it sent what was asked and search answered every search, within the limit at p99. Errors
    of the other routes are the table's to show: they do not decide how fast search can be asked."""
    searches = step["routes"].get(SEARCHES, {})
    p99: float = searches.get("p99_ms", math.inf)
    return step["achieved_per_second"] >= HELD * step["rate"] and searches.get("error", 1) == 0 and p99 < limit_ms


def ceiling(steps: list[dict[str, Any]], limit_ms: float) -> dict[str, Any]:
    """The highest rate that held, stepping up (a step after one that failed does not count); the first step at
    which a product's process was busy BUSY_CORES or more, and which; the busiest process at the first step that
    failed."""
    highest = None
    for step in steps:
        if not held(step, limit_ms):
            break
        highest = step["rate"]
    failed = next((step for step in steps if not held(step, limit_ms)), None)
    saturated = next(((step["rate"], name, cores) for step in steps
                      for name, cores in [busiest(step["cpu"]["processes"], product_only=True)] if cores >= BUSY_CORES),
                     None)
    clean = [step["rate"] for step in steps if held(step, limit_ms) and step["errors"] == 0]
    return {"limit_ms": limit_ms, "highest_rate": highest, "highest_without_errors": max(clean, default=None),
            "first_failed_rate": failed["rate"] if failed else None,
            "busiest_at_failure": busiest(failed["cpu"]["processes"]) if failed else None,
            "machine_at_failure": failed["cpu"]["machine"] if failed else None,
            "first_saturated": saturated}


def summary(requests: list[Request], samples: list[Sample], rate: float) -> dict[str, Any]:
    """A stretch's figures, from WARM_UP_SECONDS after its first request to its last."""
    if not requests:
        raise ValueError("Locust logged no request")
    since = min(r.start for r in requests) + WARM_UP_SECONDS
    measured = [r for r in requests if r.start >= since]
    seconds = max(r.start for r in requests) - since
    if not measured or seconds <= 0:
        raise ValueError("the stretch is too short to measure: give it more than a few seconds")
    by_replica: dict[str, int] = {}
    for request in measured:
        by_replica[request.replica] = by_replica.get(request.replica, 0) + 1
    return {"rate": rate, "measured_seconds": seconds, "achieved_per_second": len(measured) / seconds,
            "routes": routes(measured, seconds), "errors": sum(r.outcome == "error" for r in measured),
            "refused": sum(r.outcome == "refused" for r in measured), "error_kinds": errors(measured),
            "replicas": dict(sorted(by_replica.items())), "cpu": cpu(samples, since), "lag_peaks": lag_peaks(samples)}
