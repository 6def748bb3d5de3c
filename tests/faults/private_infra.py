"""A Kafka broker, a FerretDB and an SMTP server of the fault tests' own, with the product's processes on them.

The outages stop and start a dependency, which the shared local infrastructure must never see: others' runs and
benchmarks use it. So these are deploy/local/infra.sh's components once more, on free ports and in a temporary
state directory, their jars and binary read from the shared state directory's caches (HELPDESK_INFRA_CACHE) so
that nothing is fetched or built again."""

from __future__ import annotations

import contextlib
import mailbox
import os
import random
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import TypeVar

import pytest

from helpdesk.cluster import SERVICES, port_is_free
from tests.conftest import IN_CI
from tests.e2e.processes import Cluster

ROOT = Path(__file__).resolve().parents[2]
INFRA_SCRIPT = ROOT / "deploy" / "local" / "infra.sh"
SHARED_STATE = Path(os.environ.get("HELPDESK_INFRA_DIR") or ROOT / ".infra")
COMPONENTS = ("kafka", "ferretdb", "smtp")
PORTS = ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "MONGO_PORT", "SMTP_PORT")
INFRA_COMMAND_SECONDS = 180.0  # the script's own start timeout (90 s) and a stop's, with room to spare
READY_SECONDS = 120.0
QUIET_PORTS = (20000, 32768)

T = TypeVar("T")


def quiet_ports(count: int) -> list[int]:
    """Free ports below the kernel's ephemeral range (32768 and up on Linux): a port the kernel hands out for a
    free port is one it also hands out to outgoing connections, and on a busy machine one was taken by a client
    before the process meant to listen on it started."""
    ports: list[int] = []
    while len(ports) < count:
        port = random.randrange(*QUIET_PORTS)
        if port not in ports and port_is_free(port):
            ports.append(port)
    return ports


@dataclass
class PrivateInfra:
    """infra.sh's components in `state`, on ports of their own."""

    state: Path
    ports: dict[str, int]  # by infra.sh's variable: KAFKA_PORT, KAFKA_CONTROLLER_PORT, MONGO_PORT, SMTP_PORT

    @property
    def kafka(self) -> str:
        return f"127.0.0.1:{self.ports['KAFKA_PORT']}"

    @property
    def mongo(self) -> str:
        return f"mongodb://127.0.0.1:{self.ports['MONGO_PORT']}/?directConnection=true"

    @property
    def smtp(self) -> str:
        return f"127.0.0.1:{self.ports['SMTP_PORT']}"

    def env(self) -> dict[str, str]:
        return {**os.environ, **{name: str(port) for name, port in self.ports.items()},
                "HELPDESK_INFRA_DIR": str(self.state), "HELPDESK_INFRA_CACHE": str(SHARED_STATE),
                "KAFKA_HEAP_OPTS": "-Xms128m -Xmx512m"}

    def run(self, command: str, *components: str) -> str:
        """`infra.sh COMMAND COMPONENT...` on this state directory; its output, or RuntimeError saying it."""
        done = subprocess.run(["bash", str(INFRA_SCRIPT), command, *components], env=self.env(), check=False,
                              capture_output=True, text=True, timeout=INFRA_COMMAND_SECONDS)
        if done.returncode != 0:
            raise RuntimeError(f"infra.sh {command} {' '.join(components)} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}")
        return done.stdout

    def up(self, *components: str) -> None:
        self.run("up", *(components or COMPONENTS))

    def down(self, *components: str) -> None:
        self.run("down", *(components or COMPONENTS))

    def received(self, recipient: str) -> list[Message]:
        """The mails this SMTP server received for `recipient`."""
        return [message for message in mailbox.Maildir(self.state / "mail", create=False)
                if message.get("X-RcptTo", "").lower() == recipient.lower()]


class FaultCluster(Cluster):
    """The product's processes with the agents' rate limits out of the way: a fault test's traffic is many agents'
    worth from one, and a 429 would hide the answer the test is about."""

    def env(self, name: str) -> dict[str, str]:
        return {**super().env(name), "GATEWAY_SEARCH_BURST": "100000", "GATEWAY_SEARCH_PER_MINUTE": "100000",
                "EMAIL_CODES_PER_AGENT_HOUR": "100000"}


def _require_java() -> None:
    """Java runs the private broker: without it the tests are skipped on a laptop, and fail under CI."""
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") or (java_home and Path(java_home, "bin", "java").exists()):
        return
    message = "the fault tests start a Kafka broker of their own, which needs Java 17+ (see deploy/local/README.md)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def private_product(workdir: Path, run_id: str) -> Iterator[tuple[PrivateInfra, FaultCluster]]:
    """A private Kafka, FerretDB and SMTP server under `workdir`, and every service as its own process on them
    (search keeps its read model in memory), ready; everything stopped afterwards, the data deleted, logs kept."""
    _require_java()
    ports = quiet_ports(len(PORTS) + len(SERVICES))  # one replica of each service
    infra = PrivateInfra(workdir / "infra", dict(zip(PORTS, ports[:len(PORTS)], strict=True)))
    cluster = FaultCluster(infra.kafka, infra.mongo, run_id, workdir / "logs", smtp=infra.smtp,
                           ports=dict(zip(SERVICES, ports[len(PORTS):], strict=True)))
    try:
        infra.up()
        cluster.start_all()
        cluster.wait_ready(timeout=READY_SECONDS)
        yield infra, cluster
    finally:
        cluster.stop_all()
        infra.down()
        for data in ("kafka", "ferretdb"):
            shutil.rmtree(infra.state / data, ignore_errors=True)


def settles(probe: Callable[[], object], timeout: float, interval: float = 0.5) -> bool:
    """Whether `probe` answers something truthy within `timeout` seconds: the caller then asserts what it expects,
    so that a failure shows what there was."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def until(probe: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    """What `probe` returns once it is truthy; AssertionError with its last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            break
        time.sleep(interval)
    if not value:
        raise AssertionError(f"not so within {timeout:.0f} s; last: {value!r}")
    return value
