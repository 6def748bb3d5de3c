"""What the fault tests of consumers, poison messages, the mail server and gateway replicas share: the product's
processes on the real local Kafka, FerretDB and OpenSearch under a run id of their own, an SMTP server the tests
start, stop and hold themselves, and ways to kill a process, publish events and wait for what follows."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import TypeVar

import httpx
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from prometheus_client.parser import text_string_to_metric_families

from contracts import Event
from runtime import dead_letters
from tests.conftest import KAFKA, MONGO, OPENSEARCH_URL, require_infra
from tests.e2e.processes import Cluster, free_port

T = TypeVar("T")

AGENT = "agent@northwind.example"  # the demo's Help Desk agent of Northwind, which manages Acme
ACME_ADMIN = "it@acme.example"  # the demo's customer admin of Acme, who reads Acme's audit log
OPERATOR = "operator@helpdesk.local"


@dataclass
class KillableCluster(Cluster):
    """The product's processes with settings of the test's own (`EMAIL_RETRY_FACTOR`…) given to every process:
    each reads only the variables of its own prefix."""

    settings: dict[str, str] = field(default_factory=dict)

    def env(self, name: str) -> dict[str, str]:
        return {**super().env(name), **self.settings}

    def kill(self, name: str) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost node ends a process: none of its shutdown code runs."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def restart(self, name: str) -> None:
        """Start the process again, on its port, and wait until it is ready."""
        self.start(name)
        self.wait_ready((name,))


@contextlib.contextmanager
def running(logs: Path, *, mail: MailServer | None = None, replicas: dict[str, int] | None = None,
            settings: dict[str, str] | None = None) -> Iterator[KillableCluster]:
    """Every service in a process of its own, search on OpenSearch, under a new run id; afterwards the processes
    stopped (SIGKILL for any still running after the grace period) and the run's topics, databases and indices
    deleted."""
    require_infra("Kafka", KAFKA)
    require_infra("FerretDB", MONGO.split("//", 1)[1].split("/", 1)[0])
    require_infra("OpenSearch", OPENSEARCH_URL.split("//", 1)[1])
    cluster = KillableCluster(KAFKA, MONGO, uuid.uuid4().hex[:10], logs, opensearch=OPENSEARCH_URL,
                              smtp=mail.address if mail else "127.0.0.1:8025", replicas=replicas or {},
                              settings=settings or {})
    try:
        cluster.start_all()
        cluster.wait_ready()
        yield cluster
    finally:
        cluster.stop_all()
        cluster.forget()


class _Keeper:
    """aiosmtpd's handler: keeps every mail it accepts; while the server is held, answers no RCPT."""

    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        await asyncio.to_thread(self.server.answering.wait)  # off the server's event loop: others are served
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mail = message_from_bytes(envelope.original_content or b"")
        with self.server.lock:
            self.server.mails += [(address.lower(), mail) for address in envelope.rcpt_tos]
        return "250 2.0.0 OK: queued"


class MailServer:
    """An SMTP server in this process, on a port it keeps across stops, so that the email service finds it again
    where it left it. What it accepted is kept for the test, by recipient."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[tuple[str, Message]] = []
        self.lock = threading.Lock()
        self.answering = threading.Event()  # while clear, a client's RCPT waits for an answer
        self.answering.set()
        self._controller: Controller | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(_Keeper(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Close the port: connections are refused, as when a mail server is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def hold(self) -> None:
        """Answer no RCPT until `release`: mail waits in the middle of its SMTP exchange, not yet accepted."""
        self.answering.clear()

    def release(self) -> None:
        self.answering.set()

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [mail for recipient, mail in self.mails if recipient == address.lower()]

    def counts(self, addresses: Sequence[str]) -> dict[str, int]:
        """How many mails each address received."""
        return {address: len(self.to(address)) for address in addresses}


@contextlib.contextmanager
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.release()
        server.stop()


async def publish(cluster: Cluster, events: Sequence[Event]) -> None:
    """The events on the run's topics as the services publish them (keyed, acks=all), all sent before any is
    waited for, so that a consumer meets them as one backlog."""
    producer = AIOKafkaProducer(bootstrap_servers=cluster.kafka, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(cluster.topic_prefix + event.TOPIC, event.to_json(), key=event.key().encode())
                for event in events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def held_dead_letters(cluster: Cluster, group: str) -> list[dead_letters.DeadLetter]:
    """What the group's dead-letter topic holds (its last 200), as `helpdesk dlq list --show 200` shows it."""
    held = asyncio.run(dead_letters.held(cluster.kafka, cluster.topic_prefix, show=200))
    return [letter for topic in held if topic.topic == f"{cluster.topic_prefix}dlq.{group}" for letter in topic.last]


def until(probe: Callable[[], T], timeout: float, what: str, *, interval: float = 0.2,
          done: Callable[[T], bool] = bool) -> T:
    """Call `probe` until what it returns is `done` (truthy, unless told otherwise) and return that; fail saying
    `what` was awaited, with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s; last seen: {value!r}")
        time.sleep(interval)


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    """The answer, and how many seconds it took to come."""
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def refused_for_now(answer: tuple[httpx.Response, float], within: float) -> bool:
    """Whether the answer is the product's 503 for a dependency that is down: its error shape, a Retry-After, and
    in time (within the gateway's timeout for a call to a service, not after a hang)."""
    response, seconds = answer
    return (response.status_code == 503 and response.json()["error"]["code"] == "service_unavailable"
            and response.headers.get("Retry-After", "").isdigit() and seconds < within)


def login(client: httpx.Client, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/demo-login", json={"email": email})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def metric(cluster: Cluster, name: str, sample: str, **labels: str) -> float:
    """The sum of a process's samples of `sample` whose labels include `labels` (0 when it has none)."""
    response = httpx.get(f"{cluster.url(name)}/metrics", timeout=10)
    response.raise_for_status()
    return sum(s.value for family in text_string_to_metric_families(response.text) for s in family.samples
               if s.name == sample and labels.items() <= s.labels.items())


def consumed(cluster: Cluster, name: str, group: str, topic: str) -> float:
    """How many events of `topic` the process's consumer `group` has handled successfully since it started."""
    return metric(cluster, name, "helpdesk_events_consumed_total", group=group, topic=topic)
