"""The request path through the gateway under load, beside a bare ASGI "hello" on the same server settings (the
ceiling) and the search service asked directly: requests/s, p50/p99 and CPU per request of every process,
at a fixed number of connections (hey) and at a constant arrival rate (vegeta). Prints the Markdown table of
docs/benchmarks.md and keeps the raw figures in bench/.data/.

    python -m bench.gateway                                   # as in docs/benchmarks.md, about ten minutes
    python -m bench.gateway --modes embedded --rounds 1       # a quick look
    python -m bench.gateway --profile                         # and a py-spy recording of the gateway at 8 connections

Modes: embedded (`helpdesk up`, one process), distributed (every service its own process on the local Kafka and
FerretDB, search in memory) and opensearch (the same, search on the local OpenSearch); the last two need
`deploy/local/infra.sh up`. Every point is measured once a round, the rounds one after another, and within a
round the rows of one point one after another, so that the gateway and the service it calls are measured side by
side; the table gives the median of the rounds.
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

from bench.gateway import load, profile, report, setups
from bench.gateway.load import Answers, Target
from bench.gateway.setups import cpu_of

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / ".data"
WARM_UP_SECONDS = 1.0
IDLE_WINDOWS, IDLE_WINDOW_SECONDS = 4, 0.5
SETTLE_WINDOW_SECONDS = 0.25
SETTLE_LIMIT_SECONDS = 5.0
QUIET_CPU_SECONDS = 0.02  # above idle in a window: two clock ticks, the kernel's resolution
PROFILED_CONNECTIONS = 8
# A row that sent less than this share of a rate asked (the server kept all of vegeta's requests in flight), or
# answered more than the rest of them with errors, in the first round, is not asked the higher rates.
KEPT_UP = 0.9


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="embedded,distributed", help="embedded, distributed, opensearch")
    parser.add_argument("--connections", default="1,8,32", help="hey's fixed concurrency points")
    parser.add_argument("--rates", default="200,400,800,1500", help="vegeta's constant rates, requests/s")
    parser.add_argument("--seconds", type=float, default=2.0, help="of load at each point, each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--opensearch-url", default=f"http://127.0.0.1:{os.environ.get('OPENSEARCH_PORT', '9200')}")
    parser.add_argument("--profile", action="store_true",
                        help=f"record the gateway's process with py-spy under {PROFILED_CONNECTIONS} connections")
    parser.add_argument("--report", type=Path, metavar="RESULTS",
                        help="measure nothing: print the tables of a run's raw figures, its profiles summarised anew")
    args = parser.parse_args()
    if args.report is not None:
        print(report.markdown(_summarised_again(json.loads(args.report.read_text()))))
        return

    load.ensure_tools()
    DATA.mkdir(parents=True, exist_ok=True)
    points = ([{"connections": int(c)} for c in args.connections.split(",") if c]
              + [{"rate": int(r)} for r in args.rates.split(",") if r])
    results: dict[str, Any] = {
        "command": "python -m bench.gateway " + " ".join(sys.argv[1:]), "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "commit": _commit(), "machine": _machine(), "load_average": os.getloadavg(), "seconds_per_point": args.seconds,
        "rounds": args.rounds, "modes": {}}
    started = time.monotonic()
    for mode in [m for m in args.modes.split(",") if m]:
        print(f"{mode}: starting", file=sys.stderr, flush=True)
        setup = _start(mode, args.opensearch_url)
        try:
            results["modes"][setup.mode] = _measure(setup, points, args.rounds, args.seconds, args.profile)
        finally:
            setup.stop()
    results["seconds"] = time.monotonic() - started
    out = DATA / "gateway-results.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"raw figures: {out.relative_to(ROOT)}", file=sys.stderr)
    print(report.markdown(results))


def _start(mode: str, opensearch_url: str) -> setups.Setup:
    logs = DATA / "gateway-logs"
    if mode == "embedded":
        return setups.embedded(logs)
    if mode in ("distributed", "opensearch"):
        return setups.distributed(logs, opensearch_url if mode == "opensearch" else None)
    raise SystemExit(f"unknown mode {mode!r}: embedded, distributed or opensearch")


def _measure(setup: setups.Setup, points: list[dict[str, int]], rounds: int, seconds: float, profiled: bool
             ) -> dict[str, Any]:
    for target in setup.targets:  # first requests pay for imports, caches and connections: not measured
        load.fixed_concurrency(target, 4, WARM_UP_SECONDS * len(target.urls))
    idle = _idle(setup)
    runs: list[dict[str, Any]] = []
    behind: dict[str, int] = {}  # row -> the rate it could not keep in the first round
    load_average = [os.getloadavg()[0]]
    for number in range(1, rounds + 1):
        for point in points:
            print(f"{setup.mode}: round {number} of {rounds}, {_describe(point)}", file=sys.stderr, flush=True)
            for target in setup.targets:
                if "rate" in point and point["rate"] > behind.get(target.key, point["rate"]):
                    continue  # it fell behind a lower rate: a higher one only measures a longer queue
                run = {"round": number, "target": target.key, **point, **_run(setup, target, point, seconds, idle)}
                runs.append(run)
                if number == 1 and "rate" in point and (run["sent_per_second"] < KEPT_UP * point["rate"]
                                                        or run["failed"] > run["sent"] * (1 - KEPT_UP)):
                    behind.setdefault(target.key, point["rate"])
    load_average.append(os.getloadavg()[0])
    measured: dict[str, Any] = {"targets": {t.key: t.label for t in setup.targets}, "runs": runs, "behind": behind,
                                "load_average": load_average, "idle_cpu_per_second": idle}
    if profiled:
        measured["profile"] = _profile(setup, seconds)
    return measured


def _describe(point: dict[str, int]) -> str:
    if "connections" in point:
        return f"{point['connections']} connection{'s' * (point['connections'] != 1)}"
    return f"{point['rate']} requests/s"


def _run(setup: setups.Setup, target: Target, point: dict[str, int], seconds: float, idle: float
         ) -> dict[str, Any]:
    load_average = os.getloadavg()[0]
    before = _cpu(setup.counted)
    if "connections" in point:
        answers = load.fixed_concurrency(target, point["connections"], seconds)
    else:
        answers = load.constant_rate(target, point["rate"], seconds)
    settled = _settle(setup, idle)
    after = _cpu(setup.counted)
    spent = {name: after[name] - before[name] for name in before}
    return {**_figures(answers, spent), "load_average": load_average, "settle_seconds": settled}


def _cpu(processes: dict[str, int]) -> dict[str, float]:
    return {name: cpu_of(pid) for name, pid in processes.items()}


def _idle(setup: setups.Setup) -> float:
    """CPU seconds a second that the processes a run waits for spend with nothing asked of them (timers,
    polling): the least of a few windows, should work left from before still be running in the first."""
    rates = []
    for _ in range(IDLE_WINDOWS):
        before = sum(_cpu(setup.waited).values())
        time.sleep(IDLE_WINDOW_SECONDS)
        rates.append((sum(_cpu(setup.waited).values()) - before) / IDLE_WINDOW_SECONDS)
    return min(rates)


def _settle(setup: setups.Setup, idle: float) -> float:
    """Wait until the product's processes are back to idle, so that a run's CPU includes the work its requests
    left behind (the audit events consumed and stored after the answers), and the next run's does not; seconds
    waited, at most SETTLE_LIMIT_SECONDS."""
    began = time.monotonic()
    while time.monotonic() - began < SETTLE_LIMIT_SECONDS:
        before = sum(_cpu(setup.waited).values())
        time.sleep(SETTLE_WINDOW_SECONDS)
        if sum(_cpu(setup.waited).values()) - before <= idle * SETTLE_WINDOW_SECONDS + QUIET_CPU_SECONDS:
            break
    return time.monotonic() - began


def _figures(answers: Answers, spent: dict[str, float]) -> dict[str, Any]:
    per_request = 1000 / answers.sent if answers.sent else 0.0
    return {"sent": answers.sent, "failed": answers.failed, "seconds": answers.seconds,
            "per_second": answers.per_second,
            "sent_per_second": answers.sent / answers.sending_seconds if answers.sending_seconds else 0.0,
            "p50_ms": answers.quantile(0.50), "p90_ms": answers.quantile(0.90), "p99_ms": answers.quantile(0.99),
            "max_ms": answers.quantile(1.0),
            "cpu_ms_per_request": {name: cpu * per_request for name, cpu in spent.items()},
            "generator_cpu_ms_per_request": answers.generator_cpu * per_request}


def _profile(setup: setups.Setup, seconds: float) -> dict[str, Any]:
    """The gateway's process under PROFILED_CONNECTIONS connections of searches, outside the measured runs."""
    target = next(t for t in setup.targets if t.key == "search_gateway")
    seconds = max(seconds, 8.0)
    out = DATA / f"gateway-profile-{setup.mode.lower().replace(', ', '-')}.speedscope.json"
    print(f"{setup.mode}: profiling the gateway for {seconds:.0f} s", file=sys.stderr, flush=True)
    recorder = profile.record(setup.profiled, out, seconds)
    time.sleep(profile.ATTACH_SECONDS)
    answers = load.fixed_concurrency(target, PROFILED_CONNECTIONS, seconds)
    recorder.wait()
    return {"file": str(out.relative_to(ROOT)), "requests_per_second": answers.per_second,
            **profile.summarise(profile.load(out))}


def _summarised_again(results: dict[str, Any]) -> dict[str, Any]:
    for measured in results["modes"].values():
        if "profile" in measured:
            recorded = measured["profile"]
            recorded.update(profile.summarise(profile.load(ROOT / recorded["file"])))
    return results


def _commit() -> str:
    """HEAD, and whether the product's code differs from it in the work tree."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=False).stdout.strip()
    if not head:
        return f"unknown ({ROOT} is not a git work tree)"
    changed = subprocess.run(["git", "status", "--porcelain", "--", "gateway", "runtime", "services", "helpdesk",
                              "contracts"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
    return f"{head} with uncommitted changes" if changed else head


def _machine() -> str:
    cores = len(os.sched_getaffinity(0))  # as nproc counts them
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{cores} cores ({cpu}), Python {platform.python_version()}"


if __name__ == "__main__":
    main()
