"""What the machine and the product's processes do while the agents work, sampled every few seconds in a thread:
each process's CPU time (/proc/PID/stat), the whole machine's busy time (/proc/stat), the load average, and each
product process's consumer lag as it shows it on GET /metrics (helpdesk_consumer_lag, refreshed by the process
every 5 s; summed here over the partitions of each group and topic)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.gateway.setups import cpu_of


@dataclass(frozen=True)
class Sample:
    at: float  # Unix time
    cpu: dict[str, float]  # process name: CPU seconds used so far
    machine_busy: float  # CPU seconds the whole machine was busy so far, every core added
    load_average: float  # over the last minute
    lag: dict[str, dict[str, float]]  # process: "group topic": messages


def machine_busy() -> float:
    """Seconds of every core not idle nor waiting, since boot (the first line of /proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def lag_of(metrics_text: str) -> dict[str, float]:
    """helpdesk_consumer_lag summed over partitions, by "group topic"."""
    lag: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == "helpdesk_consumer_lag":
                key = f"{sample.labels['group']} {sample.labels['topic']}"
                lag[key] = lag.get(key, 0.0) + sample.value
    return lag


@dataclass
class Sampler:
    """Samples `processes` (name: pid) and the lag of `metrics` (name: base URL) every `interval` seconds."""

    processes: dict[str, int]
    metrics: dict[str, str]
    interval: float = 2.0
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with httpx.Client(timeout=5) as client:
            self.samples.append(self._sample(client))  # the last one at the very end

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while True:
                self.samples.append(self._sample(client))
                if self._stop.wait(self.interval):
                    return

    def _sample(self, client: httpx.Client) -> Sample:
        cpu = {}
        for name, pid in self.processes.items():
            try:
                cpu[name] = cpu_of(pid)
            except (FileNotFoundError, ProcessLookupError):  # it has exited
                continue
        lag = {}
        for name, url in self.metrics.items():
            try:
                lag[name] = lag_of(client.get(f"{url}/metrics").text)
            except httpx.HTTPError:
                continue
        return Sample(time.time(), cpu, machine_busy(), os.getloadavg()[0], lag)
