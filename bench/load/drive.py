"""One stretch of load: Locust, headless in a process of its own (it patches the standard library for gevent),
with the agents of bench/load/agents.py at a constant arrival rate for a bounded time, while the sampler watches
the product's processes, Locust's and the local Kafka's and FerretDB's."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.load.deployment import Deployment
from bench.load.sampler import Sample, Sampler

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "bench" / "load" / "agents.py"
INFRA = Path(os.environ.get("HELPDESK_INFRA_DIR") or ROOT / ".infra")
SPAWN_SECONDS = 2.0  # Locust starts the agents over this long; each then waits a random part of its tick
GRACE_SECONDS = 60.0  # beyond the run time, for Locust to start and stop


@dataclass
class Stretch:
    """What one stretch asked and where its figures are."""

    rate: float  # requests/s asked
    agents: int
    pace: float
    seconds: float
    started: float  # Unix time
    requests_log: Path
    findings: dict[str, Any]
    samples: list[Sample]

    def summary(self) -> dict[str, Any]:
        return {"rate": self.rate, "agents": self.agents, "pace": self.pace, "seconds": self.seconds,
                "started": self.started, "findings": self.findings, "samples": [asdict(s) for s in self.samples]}


def agents_for(rate: float, pace: float) -> int:
    """Agents needed for `rate` requests/s when each makes `pace` a second."""
    return max(1, math.ceil(rate / pace))


def infrastructure_pids(names: tuple[str, ...]) -> dict[str, int]:
    """The local infrastructure's processes (deploy/local/infra.sh keeps their pids), shared with other work."""
    found = {}
    for name in names:
        path = INFRA / "run" / f"{name}.pid"
        if path.exists():
            found[name] = int(path.read_text())
    return found


@dataclass(frozen=True)
class Mix:
    """How the agents work: requests/s each, the share of calls that send a code, seconds between samples."""

    pace: float
    verification_calls: float
    sample_seconds: float


def run(deployment: Deployment, rate: float, seconds: float, mix: Mix, work: Path, say: Any) -> Stretch:
    pace = mix.pace
    agents = agents_for(rate, pace)
    work.mkdir(parents=True, exist_ok=True)
    workload_path, requests_log, findings = work / "workload.json", work / "requests.csv", work / "findings.json"
    deployment.workload(agents, pace, mix.verification_calls).write(workload_path)
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--users", str(agents),
               "--spawn-rate", str(max(1.0, agents / SPAWN_SECONDS)), "--run-time", f"{seconds:.0f}s",
               "--stop-timeout", "5", "--exit-code-on-error", "0", "--only-summary", "--loglevel", "WARNING",
               "--workload", str(workload_path), "--requests-log", str(requests_log), "--findings", str(findings)]
    processes = {name: process.pid for name, process in deployment.cluster.processes.items()}
    processes.update(infrastructure_pids(("kafka", "ferretdb", "opensearch")
                                         if deployment.infrastructure.opensearch else ("kafka", "ferretdb")))
    metrics = {name: deployment.cluster.url(name) for name in deployment.cluster.processes}
    say(f"{rate:g} requests/s: {agents} agents at {pace:g} requests/s each, for {seconds:.0f} s")
    started = time.time()
    with (work / "locust.log").open("wb") as log:
        locust = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        with Sampler({**processes, "locust": locust.pid}, metrics, mix.sample_seconds) as sampler:
            code = locust.wait(timeout=seconds + GRACE_SECONDS)
    if code != 0 or not findings.exists():
        tail = (work / "locust.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"Locust ended with code {code}; the end of {work / 'locust.log'}:\n{tail}")
    return Stretch(rate, agents, pace, seconds, started, requests_log, json.loads(findings.read_text()),
                   sampler.samples)
