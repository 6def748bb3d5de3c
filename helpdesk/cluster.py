"""Every service as its own process on Kafka, MongoDB, OpenSearch and an SMTP server: how such a process is
configured, started, waited for and stopped. `helpdesk up --distributed` (helpdesk/supervisor.py) and the tests on
the real infrastructure both run the product this one way."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pymongo import MongoClient

from runtime import topics

SERVICES = ("identity", "search", "email", "access", "gateway")  # the gateway last: it calls the others
SEEDED = ("identity", "email", "access")  # the services with demo data of their own
MAX_REPLICAS = 16
STOP_TIMEOUT_SECONDS = 15.0
TOPIC_DELETION_SECONDS = 30.0


class NotReady(RuntimeError):
    """A process exited, or did not answer /readyz in time; the message names it and ends with its log's tail."""


def replica(service: str, number: int) -> str:
    """A process's name: the service's own for its first replica, then `search-2`, `search-3`…"""
    return service if number == 1 else f"{service}-{number}"


def service_of(process: str) -> str:
    return process.split("-", 1)[0]


def parse_replicas(text: str) -> dict[str, int]:
    """`search=2,gateway=2` -> {"search": 2, "gateway": 2}; ValueError saying what is wrong."""
    counts: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        service, _, count = item.partition("=")
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}: choose among {', '.join(SERVICES)}")
        if not count.isdigit() or not 1 <= int(count) <= MAX_REPLICAS:
            raise ValueError(f"{service}: give a number of replicas from 1 to {MAX_REPLICAS}, as in {service}=2")
        counts[service] = int(count)
    return counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds: a closed port is free
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def new_signing_key() -> str:
    """A demo tokens' key for the run: every gateway replica must accept the tokens any of them signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@dataclass
class Cluster:
    """The product's processes for one run, whose id names its topics, databases and search indices."""

    kafka: str
    mongo: str
    run_id: str
    logs: Path
    opensearch: str | None = None  # where search keeps its read model; None: each replica in its own memory
    smtp: str = "127.0.0.1:8025"
    replicas: dict[str, int] = field(default_factory=dict)  # processes per service beyond one
    seed: bool = True
    email_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    demo_signing_key: str = field(default_factory=new_signing_key)
    ports: dict[str, int] = field(default_factory=dict)  # set before start to choose a process's port
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Every process of the run, in the order they start."""
        return [replica(service, n) for service in SERVICES for n in range(1, self.replicas.get(service, 1) + 1)]

    @property
    def topic_prefix(self) -> str:
        return f"t{self.run_id}."

    @property
    def search_index(self) -> str:
        return f"t{self.run_id}-search"

    def database(self, service: str) -> str:
        return f"{service}_{self.run_id}"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def env(self, name: str) -> dict[str, str]:
        service = service_of(name)
        prefix = service.upper()
        env = {
            **os.environ,
            f"{prefix}_PORT": str(self.ports[name]),
            f"{prefix}_KAFKA_BOOTSTRAP": self.kafka,
            f"{prefix}_MONGO_URL": self.mongo,
            f"{prefix}_MONGO_DATABASE": self.database(service),
            f"{prefix}_TOPIC_PREFIX": self.topic_prefix,
        }
        if service in SEEDED:
            env[f"{prefix}_SEED"] = "demo" if self.seed else "none"
        if service == "search" and self.opensearch is not None:
            env.update(SEARCH_STORE="opensearch", SEARCH_OPENSEARCH_URL=self.opensearch,
                       SEARCH_OPENSEARCH_INDEX=self.search_index)
        if service == "email":
            host, port = self.smtp.rsplit(":", 1)
            env.update(EMAIL_SECRET=self.email_secret, EMAIL_MAILER="smtp", EMAIL_SMTP_HOST=host,
                       EMAIL_SMTP_PORT=port)
        if service == "gateway":
            # Each service's first replica: nothing balances calls across a service's replicas here.
            env.update(GATEWAY_AUTH_MODE="demo", GATEWAY_DEMO_SIGNING_KEY=self.demo_signing_key)
            env.update({f"GATEWAY_{s.upper()}_URL": self.url(s) for s in SERVICES if s != "gateway"})
        return env

    def start(self, name: str) -> None:
        if name not in self.ports:
            self._choose_ports([name])
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.log_path(name).open("ab") as log:
            # A session of its own: a Ctrl-C in the terminal reaches the supervisor, which stops them in order.
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "helpdesk.cli", "serve", service_of(name)], env=self.env(name),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_all(self) -> None:
        self.create_topics()
        self._choose_ports(self.names)
        for name in self.names:
            self.start(name)

    def create_topics(self) -> list[str]:
        """The run's topics as contracts/topics.py declares them, before a process could make one with the broker's
        defaults: `helpdesk infra topics --prefix t<run id>. --replication-factor 1` (deploy/local's Kafka is one
        broker). What it said, one line per change."""
        outcome = asyncio.run(topics.ensure(self.kafka, prefix=self.topic_prefix, factor=1))
        if outcome.errors:
            raise RuntimeError(f"the run's topics are not as declared: {'; '.join(outcome.errors)}")
        return outcome.lines()

    def _choose_ports(self, names: list[str]) -> None:
        for name in names:
            while name not in self.ports:
                port = free_port()
                if port not in self.ports.values():
                    self.ports[name] = port

    def wait_ready(self, names: tuple[str, ...] | None = None, timeout: float = 90.0) -> None:
        """Until every process answers /readyz; NotReady naming the first that exited or is late."""
        deadline = time.monotonic() + timeout
        for name in names or tuple(self.names):
            process = self.processes[name]
            if not wait_for(f"{self.url(name)}/readyz", process, deadline):
                why = (f"exited with code {process.returncode}" if process.poll() is not None
                       else f"did not answer {self.url(name)}/readyz within {timeout:.0f} s")
                raise NotReady(f"{name} {why}; the end of {self.log_path(name)}:\n{self.log_tail(name)}")

    def watch(self) -> str:
        """Wait until a process exits; its name."""
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    return name
            time.sleep(0.5)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            terminate(process)

    def stop_all(self) -> None:
        """SIGTERM to every process (the gateways first), then wait for all; kill those still running after that."""
        stopping = [self.processes.pop(name) for name in reversed(list(self.processes))]
        for process in stopping:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in stopping:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_path(name)
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def forget(self) -> None:
        """Delete the run's databases, search indices and topics (with them, its consumer groups' offsets)."""
        with MongoClient[dict[str, object]](self.mongo, serverSelectionTimeoutMS=10_000) as client:
            for service in SERVICES:
                client.drop_database(self.database(service))
        if self.opensearch is not None:
            httpx.delete(f"{self.opensearch}/{self.search_index}-*", timeout=30).raise_for_status()
        asyncio.run(delete_topics(self.kafka, self.topic_prefix))


async def delete_topics(bootstrap: str, prefix: str) -> None:
    """Delete the topics named with `prefix` and wait until they are gone: Kafka deletes in the background."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        doomed = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
        deadline = time.monotonic() + TOPIC_DELETION_SECONDS
        while any(topic.startswith(prefix) for topic in await admin.list_topics()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"Kafka did not delete the topics {prefix}* within {TOPIC_DELETION_SECONDS:.0f} s")
            await asyncio.sleep(0.5)
    finally:
        await admin.close()


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
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
