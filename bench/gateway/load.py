"""The two load generators as the bench drives them, and what one run of either measured.

- hey keeps a fixed number of connections busy, each sending its next request when the last is answered. It
  asks one URL per run, so a target with several (the query mix) gets the point's time split evenly among them,
  one run each, and their answers pooled. hey writes each answer's time in seconds with four decimals: its
  latencies have a resolution of 0.1 ms.
- vegeta sends requests at a constant rate whatever the answers do, rotating over the target's URLs. At most
  MAX_WORKERS requests are in flight: past what the server can answer, the rate it sent falls below the one asked
  (shown as such) instead of queueing without bound. Its times are to the nanosecond.

Both are built by scripts/ensure-load-tools.sh. Their own CPU time (they share the cores with the server) is
read from the kernel's account of this process's finished children.
"""

from __future__ import annotations

import csv
import io
import math
import os
import resource
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("HELPDESK_INFRA_DIR") or ROOT / ".infra") / "bin"
MAX_WORKERS = 64
TIMEOUT_SECONDS = 10


def ensure_tools() -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-load-tools.sh")], check=True)


@dataclass(frozen=True)
class Target:
    """What one row of the table asks: its URLs in turn, with these headers."""

    key: str
    label: str
    urls: tuple[str, ...]
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Answers:
    """One run: what was sent, each answer's latency (seconds), and how many were not a 200."""

    sent: int
    latencies: list[float]  # of every answer, whatever its status
    failed: int  # answered with another status, or not at all
    seconds: float  # from the first request sent to the last answer
    sending_seconds: float  # from the first request sent to the last (constant rate), else `seconds`
    generator_cpu: float  # CPU seconds of the load generator

    @property
    def per_second(self) -> float:
        """Requests answered with 200, per second."""
        return (self.sent - self.failed) / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        """Nearest rank, in ms."""
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000 if ordered else math.nan


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def fixed_concurrency(target: Target, connections: int, seconds: float) -> Answers:
    """`connections` connections for `seconds` in all, shared evenly by the target's URLs."""
    runs: list[Answers] = []
    for url in target.urls:
        headers = [arg for name, value in target.headers for arg in ("-H", f"{name}: {value}")]
        command = [str(BIN / "hey"), "-c", str(connections), "-z", f"{seconds / len(target.urls):.3f}s",
                   "-t", str(TIMEOUT_SECONDS), "-o", "csv", *headers, url]
        before = _children_cpu()
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        runs.append(hey_answers(out, _children_cpu() - before))
    return Answers(sum(r.sent for r in runs), [latency for r in runs for latency in r.latencies],
                   sum(r.failed for r in runs), sum(r.seconds for r in runs), sum(r.sending_seconds for r in runs),
                   sum(r.generator_cpu for r in runs))


def hey_answers(encoded: str, cpu: float) -> Answers:
    """hey's CSV: response-time, DNS+dialup, DNS, Request-write, Response-delay, Response-read, status-code,
    offset (seconds from its start). A request that got no answer at all is not in it."""
    rows = list(csv.reader(io.StringIO(encoded)))[1:]
    span = max((float(row[7]) + float(row[0]) for row in rows), default=0.0)
    return Answers(len(rows), [float(row[0]) for row in rows], sum(row[6] != "200" for row in rows), span, span,
                   cpu)


def constant_rate(target: Target, rate: int, seconds: float) -> Answers:
    """`rate` requests a second for `seconds`, rotating over the target's URLs."""
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as work:
        targets, results = Path(work) / "targets", Path(work) / "results.bin"
        targets.write_text(vegeta_targets(target.urls, target.headers))
        before = _children_cpu()
        subprocess.run([str(BIN / "vegeta"), "attack", "-targets", str(targets), "-rate", f"{rate}/s",
                        "-duration", f"{seconds:.3f}s", "-max-workers", str(MAX_WORKERS), "-timeout",
                        f"{TIMEOUT_SECONDS}s", "-max-body", "0", "-output", str(results)], check=True)
        cpu = _children_cpu() - before
        out = subprocess.run([str(BIN / "vegeta"), "encode", "--to", "csv", str(results)], capture_output=True,
                             text=True, check=True).stdout
    return vegeta_answers(out, cpu)


def vegeta_targets(urls: Sequence[str], headers: Sequence[tuple[str, str]]) -> str:
    lines = "".join(f"{name}: {value}\n" for name, value in headers)
    return "".join(f"GET {url}\n{lines}\n" for url in urls)


def vegeta_answers(encoded: str, cpu: float) -> Answers:
    """vegeta's CSV: sent at (Unix ns), status, latency (ns), bytes out, bytes in, error, body, …"""
    rows = list(csv.reader(io.StringIO(encoded)))
    sent = [int(row[0]) for row in rows]
    done = [int(row[0]) + int(row[2]) for row in rows]
    latencies = [int(row[2]) / 1e9 for row in rows if row[1] != "0"]
    failed = sum(row[1] != "200" for row in rows)
    first = min(sent, default=0)
    answering, sending = max(done, default=first) - first, max(sent, default=first) - first
    return Answers(len(rows), latencies, failed, answering / 1e9, sending / 1e9, cpu)
