"""A load test of the Help Desk agents' mix against the distributed deployment on loopback, with Locust: requests/s,
p50/p95/p99 per route, errors, consumer lag and CPU per process over time, charts and a Markdown report.

    python -m bench.load --seconds 300                      # the 5-minute run at the default rate
    python -m bench.load --seconds 0 --find-ceiling         # step the rate up until search p99 reaches 100 ms
    python -m bench.load --seconds 300 --find-ceiling --out docs/load    # both, as in docs/load/report.md

It starts the product's processes on the local Kafka, FerretDB and SMTP server (`deploy/local/infra.sh up`), two
gateway replicas, imports the dataset, runs the agents (bench/load/agents.py) and deletes the run's topics,
databases and mails at the end. The report, its charts and results.json go to --out; Locust's logs, the
requests it logged and the processes' logs to bench/.data/load/<run id>/.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.gateway.__main__ import _commit, _machine
from bench.load import charts, deployment, drive, figures, report, workload
from bench.load.deployment import Infrastructure

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / ".data" / "load"
INFRA = Path(os.environ.get("HELPDESK_INFRA_DIR") or ROOT / ".infra")
CHART_WINDOWS = 60  # a run's charts show about this many windows


def _arguments() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300, help="of the constant-rate run; 0: none")
    parser.add_argument("--rate", type=float, default=10, help="requests/s of the constant-rate run")
    parser.add_argument("--pace", type=float, default=1.0, help="requests/s of each agent: agents = rate / pace")
    parser.add_argument("--verification-calls", type=float, default=workload.VERIFICATION_CALLS,
                        help="the share of calls that send a verification code (and check it)")
    parser.add_argument("--users", type=int, default=500, help="users of the generated dataset")
    parser.add_argument("--callers", type=int, default=150, help="users the verification codes are sent to")
    parser.add_argument("--find-ceiling", action="store_true",
                        help="then step the rate up until search p99 reaches --ceiling-ms")
    parser.add_argument("--ceiling-ms", type=float, default=100.0)
    parser.add_argument("--ceiling-start", type=float, default=5)
    parser.add_argument("--ceiling-step", type=float, default=5)
    parser.add_argument("--ceiling-max", type=float, default=100)
    parser.add_argument("--step-seconds", type=float, default=60)
    parser.add_argument("--sample-seconds", type=float, default=2.0, help="between CPU and lag samples")
    parser.add_argument("--opensearch", action="store_true", help="search on the local OpenSearch, not in memory")
    parser.add_argument("--kafka", default=f"127.0.0.1:{env('KAFKA_PORT', '9092')}")
    parser.add_argument("--mongo", default=f"mongodb://127.0.0.1:{env('MONGO_PORT', '27017')}/?directConnection=true")
    parser.add_argument("--smtp", default=f"127.0.0.1:{env('SMTP_PORT', '8025')}")
    parser.add_argument("--maildir", type=Path, default=INFRA / "mail", help="where the SMTP server keeps mail")
    parser.add_argument("--opensearch-url", default=f"http://127.0.0.1:{env('OPENSEARCH_PORT', '9200')}")
    parser.add_argument("--out", type=Path, default=DATA, help="the report, its charts and results.json")
    parser.add_argument("--report", type=Path, metavar="RESULTS",
                        help="run nothing: write the report of a run's results.json again, beside it")
    arguments = parser.parse_args()
    if arguments.seconds <= 0 and not arguments.find_ceiling and arguments.report is None:
        parser.error("nothing to do: give --seconds or --find-ceiling")
    return arguments


def say(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def main() -> None:
    # Stopped (by CI's timeout, say), it still stops its processes and deletes the run's data on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    arguments = _arguments()
    if arguments.report is not None:
        (arguments.report.parent / "report.md").write_text(report.markdown(json.loads(arguments.report.read_text())))
        return
    run_id = f"load{uuid.uuid4().hex[:8]}"
    work = DATA / run_id
    arguments.out.mkdir(parents=True, exist_ok=True)
    rates = _ceiling_rates(arguments) if arguments.find_ceiling else []
    agents = drive.agents_for(max([arguments.rate if arguments.seconds > 0 else 0, *rates]), arguments.pace)
    results: dict[str, Any] = {
        "command": "python -m bench.load " + " ".join(sys.argv[1:]), "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "commit": _commit(), "machine": _machine(), "locust": version("locust"), "run_id": run_id,
        "opensearch": arguments.opensearch, "pace": arguments.pace, "sample_seconds": arguments.sample_seconds,
        "verification_calls": arguments.verification_calls,
        "load_average_start": list(os.getloadavg())}
    infrastructure = Infrastructure(arguments.kafka, arguments.mongo, arguments.smtp, arguments.maildir,
                                    arguments.opensearch_url if arguments.opensearch else None)
    began = time.monotonic()
    running = deployment.start(infrastructure, run_id, work / "logs", arguments.users, agents, arguments.callers, say)
    results["dataset"] = {"users": arguments.users, "agents": agents, "callers": arguments.callers,
                          "records": running.records, "import_seconds": running.import_seconds}
    try:
        if arguments.seconds > 0:
            results["run"], results["charts"] = _run(running, arguments, work / "run", arguments.out)
        if rates:
            results["ceiling"] = _ceiling(running, arguments, rates, work, arguments.out)
    finally:
        say("stopping the processes and deleting the run's topics, databases and mails")
        results["mails_deleted"] = running.stop()
    results["load_average_end"] = list(os.getloadavg())
    results["minutes"] = (time.monotonic() - began) / 60
    (arguments.out / "results.json").write_text(_json(results))
    (arguments.out / "report.md").write_text(report.markdown(results))
    say(f"report: {arguments.out / 'report.md'}")


def _mix(arguments: argparse.Namespace) -> drive.Mix:
    return drive.Mix(arguments.pace, arguments.verification_calls, arguments.sample_seconds)


def _ceiling_rates(arguments: argparse.Namespace) -> list[float]:
    rates, rate = [], arguments.ceiling_start
    while rate <= arguments.ceiling_max:
        rates.append(rate)
        rate += arguments.ceiling_step
    return rates


def _run(running: deployment.Deployment, arguments: argparse.Namespace, work: Path, out: Path
         ) -> tuple[dict[str, Any], dict[str, str]]:
    stretch = drive.run(running, arguments.rate, arguments.seconds, _mix(arguments), work, say)
    requests = figures.read(stretch.requests_log)
    summary = {**figures.summary(requests, stretch.samples, stretch.rate), "agents": stretch.agents,
               "seconds": stretch.seconds, "findings": stretch.findings}
    first = min(r.start for r in requests)
    width = max(1.0, round(stretch.seconds / CHART_WINDOWS))
    drawn = {"latency": charts.latency(figures.windows(requests, first, width), out / "latency.png"),
             "throughput": charts.throughput(figures.windows(requests, first, width), stretch.rate,
                                             out / "throughput.png"),
             "consumer lag": charts.lag(figures.lag_over_time(stretch.samples, first), out / "lag.png"),
             "CPU": charts.cpu(figures.cpu_over_time(stretch.samples, first), out / "cpu.png")}
    say(f"sent {summary['achieved_per_second']:.1f}/s; search p99 "
        f"{summary['routes'].get(figures.SEARCHES, {}).get('p99_ms', float('nan')):.1f} ms; "
        f"{summary['errors']} errors, {summary['refused']} refused")
    return summary, drawn


def _ceiling(running: deployment.Deployment, arguments: argparse.Namespace, rates: list[float], work: Path,
             out: Path) -> dict[str, Any]:
    steps = []
    for rate in rates:
        stretch = drive.run(running, rate, arguments.step_seconds, _mix(arguments), work / f"step-{rate:g}", say)
        step = {**figures.summary(figures.read(stretch.requests_log), stretch.samples, rate),
                "agents": stretch.agents, "findings": stretch.findings}
        step["held"] = figures.held(step, arguments.ceiling_ms)
        steps.append(step)
        say(f"{rate:g}/s: sent {step['achieved_per_second']:.1f}/s, search p99 "
            f"{step['routes'].get(figures.SEARCHES, {}).get('p99_ms', float('nan')):.1f} ms, {step['errors']} errors"
            f" -> {'held' if step['held'] else 'did not hold'}")
        if not step["held"]:
            break
        running.settle(say)
    return {"step_seconds": arguments.step_seconds, "steps": steps,
            "verdict": figures.ceiling(steps, arguments.ceiling_ms),
            "chart": charts.ceiling(steps, arguments.ceiling_ms, out / "ceiling.png")}


def _json(results: dict[str, Any]) -> str:
    def plain(value: Any) -> Any:  # NaN is no JSON
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        return value

    return json.dumps(plain(results), indent=1)


if __name__ == "__main__":
    main()
