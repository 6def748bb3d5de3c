"""Start the gateway and every service as their own processes, on the real Kafka and FerretDB."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("identity", "search", "email", "access", "gateway")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    kafka: str
    mongo: str
    run_id: str
    logs: Path
    opensearch: str | None = None  # where search keeps its read model; None: each replica in its own memory
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def search_index(self) -> str:
        return f"t{self.run_id}-search"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, name: str) -> dict[str, str]:
        prefix = name.upper()
        env = {
            **os.environ,
            f"{prefix}_PORT": str(self.ports[name]),
            f"{prefix}_KAFKA_BOOTSTRAP": self.kafka,
            f"{prefix}_MONGO_URL": self.mongo,
            f"{prefix}_MONGO_DATABASE": f"{name}_{self.run_id}",
            f"{prefix}_TOPIC_PREFIX": f"t{self.run_id}.",
        }
        if name in ("identity", "email", "access"):
            env[f"{prefix}_SEED"] = "demo"
        if name == "search" and self.opensearch is not None:
            env.update(SEARCH_STORE="opensearch", SEARCH_OPENSEARCH_URL=self.opensearch,
                       SEARCH_OPENSEARCH_INDEX=self.search_index)
        if name == "email":
            env["EMAIL_SECRET"] = f"secret-of-run-{self.run_id}"
        if name == "gateway":
            env["GATEWAY_AUTH_MODE"] = "demo"
            env.update({f"GATEWAY_{s.upper()}_URL": self.url(s) for s in SERVICES if s != "gateway"})
        return env

    def start(self, name: str) -> None:
        self.ports.setdefault(name, free_port())
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "helpdesk.cli", "serve", name], env=self.env(name), stdout=log, stderr=log
        )

    def start_all(self) -> None:
        for name in SERVICES:
            self.ports[name] = free_port()
        for name in SERVICES:
            self.start(name)

    def wait_ready(self, names: tuple[str, ...] = SERVICES, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            if not wait_for(f"{self.url(name)}/readyz", self.processes[name], deadline):
                raise AssertionError(f"{name} did not become ready:\n{self.log_tail(name)}")

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            terminate(process)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


STARTUP_DEADLINE_SECONDS = 15


@contextlib.contextmanager
def embedded_product(log_dir: Path) -> Iterator[str]:
    """`helpdesk up` in a subprocess; yields its URL once /healthz answers, within the 15 s the README promises."""
    port = free_port()
    log_path = log_dir / "helpdesk-up.log"
    with log_path.open("wb") as log:  # a file, not a pipe: nobody reads the output while the tests run
        process = subprocess.Popen([sys.executable, "-m", "helpdesk.cli", "up", "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_for(f"{url}/healthz", process, time.monotonic() + STARTUP_DEADLINE_SECONDS):
            output = log_path.read_text(errors="replace")
            raise AssertionError(f"`helpdesk up` did not answer /healthz within {STARTUP_DEADLINE_SECONDS}s:\n{output}")
        yield url
    finally:
        terminate(process)


def wait_for(url: str, process: subprocess.Popen[bytes], deadline: float) -> bool:
    """Poll `url` until it answers 200; False once the process died or the deadline passed."""
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
