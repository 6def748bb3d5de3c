"""The product as each mode runs it, started for the bench: which URLs each row asks, and whose CPU it counts.

- embedded: `helpdesk up` (with the search service's internal search answered beside the gateway, see serve.py)
  and a bare "hello" served by `helpdesk up`'s own server settings;
- distributed: every service as its own process on the local Kafka and FerretDB (helpdesk/cluster.py, as
  `helpdesk up --distributed` runs them), search in memory or on the local OpenSearch, and a "hello" served by
  `helpdesk serve`'s server settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

from bench.gateway.load import Target
from helpdesk.cluster import Cluster, free_port, terminate, wait_for

PARTNER = "p-northwind"
AGENT = "agent@northwind.example"
# A name, an e-mail address, a phone number and a MAC address, as an agent types them; all on the demo data.
QUERIES = ("jane", "jane.doe@acme.example", "+1 415 555 0100", "00:1A:2B:3C:4D:5E")
USER, CUSTOMER = "u-jane", "o-acme"
# The bench asks far more searches of one agent than the gateway's per-agent limit allows.
UNLIMITED = {"GATEWAY_SEARCH_BURST": str(10**9), "GATEWAY_SEARCH_PER_MINUTE": str(10**9)}
INFRA = Path(os.environ.get("HELPDESK_INFRA_DIR") or Path(__file__).resolve().parents[2] / ".infra")
READY_SECONDS = 120.0


@dataclass
class Setup:
    """One mode's processes, running."""

    mode: str
    targets: list[Target]
    processes: dict[str, int]  # the product's and the hello's: name -> pid
    profiled: int  # the process that serves the gateway
    stop: Callable[[], None]
    infra: dict[str, int] = field(default_factory=dict)  # the local infrastructure's, shared with other work

    @property
    def counted(self) -> dict[str, int]:
        """Whose CPU each run counts."""
        return {**self.processes, **self.infra}

    @property
    def waited(self) -> dict[str, int]:
        """Whose work a run waits for after its last answer: the product's, and the store its audit trail and
        reads go to. Kafka and OpenSearch serve other work all the time (and OpenSearch's node keeps busy on
        its own): they are counted, not waited for."""
        return {**self.processes, **{name: pid for name, pid in self.infra.items() if name == "ferretdb"}}


def cpu_of(pid: int) -> float:
    """CPU seconds a process has used so far, user and system, its threads included (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve(what: str, port: int, logs: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{what}.log").open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "bench.gateway.serve", what, str(port)],
                                env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)


def _wait(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    if not wait_for(url, process, time.monotonic() + READY_SECONDS):
        raise RuntimeError(f"{what} did not answer {url}; see its log in bench/.data/")


def targets(hello: str, search: str, gateway: str, token: str) -> list[Target]:
    """The rows of each mode: `hello`, `search` and `gateway` are base URLs."""
    bearer = (("Authorization", f"Bearer {token}"),)
    return [
        Target("hello", "bare ASGI hello (ceiling)", (f"{hello}/",)),
        Target("search_service", "search, the service's /internal/search",
               tuple(f"{search}/internal/search?q={quote(q)}&partner_id={PARTNER}&limit=20" for q in QUERIES)),
        Target("search_gateway", "search through the gateway",
               tuple(f"{gateway}/api/v1/search?q={quote(q)}" for q in QUERIES), bearer),
        Target("user_view", "user view through the gateway", (f"{gateway}/api/v1/users/{USER}",), bearer),
        Target("customer_view", "customer view through the gateway", (f"{gateway}/api/v1/customers/{CUSTOMER}",),
               bearer),
    ]


def login(gateway: str) -> str:
    answer = httpx.post(f"{gateway}/api/v1/auth/demo-login", json={"email": AGENT}, timeout=30)
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def embedded(logs: Path) -> Setup:
    hello_port, product_port = free_port(), free_port()
    hello = _serve("hello-up", hello_port, logs, {})
    product = _serve("embedded", product_port, logs, UNLIMITED)

    def stop() -> None:
        terminate(hello)
        terminate(product)

    try:
        _wait(f"http://127.0.0.1:{hello_port}/", hello, "hello (helpdesk up)")
        url = f"http://127.0.0.1:{product_port}"
        _wait(f"{url}/readyz", product, "helpdesk up")
        rows = targets(f"http://127.0.0.1:{hello_port}", url, url, login(url))
    except BaseException:
        stop()
        raise
    return Setup("embedded", rows, {"hello": hello.pid, "helpdesk up": product.pid}, product.pid, stop)


def distributed(logs: Path, opensearch: str | None) -> Setup:
    """A run of its own (its topics, databases and indices), forgotten when stopped."""
    env = os.environ.get
    run_id = f"bench{uuid.uuid4().hex[:8]}"
    cluster = Cluster(kafka=f"127.0.0.1:{env('KAFKA_PORT', '9092')}",
                      mongo=f"mongodb://127.0.0.1:{env('MONGO_PORT', '27017')}/?directConnection=true",
                      run_id=run_id, logs=logs / run_id, opensearch=opensearch,
                      smtp=f"127.0.0.1:{env('SMTP_PORT', '8025')}")
    hello_port = free_port()
    hello: subprocess.Popen[bytes] | None = None

    def stop() -> None:
        if hello is not None:
            terminate(hello)
        cluster.stop_all()
        cluster.forget()

    os.environ.update(UNLIMITED)  # the cluster's processes take this process's environment
    try:
        # As `helpdesk up --distributed` does: every topic as declared, before a service creates it otherwise.
        subprocess.run([sys.executable, "-m", "helpdesk.cli", "infra", "topics", "--bootstrap", cluster.kafka,
                        "--prefix", cluster.topic_prefix], check=True, stdout=subprocess.DEVNULL)
        cluster.start_all()
        hello = _serve("hello-serve", hello_port, logs / run_id, {})
        cluster.wait_ready(timeout=READY_SECONDS)
        _wait(f"http://127.0.0.1:{hello_port}/", hello, "hello (helpdesk serve)")
        _searchable(cluster.url("search"))
        rows = targets(f"http://127.0.0.1:{hello_port}", cluster.url("search"), cluster.url("gateway"),
                       login(cluster.url("gateway")))
    except BaseException:
        stop()
        raise
    processes = {name: process.pid for name, process in cluster.processes.items()}
    processes.update(hello=hello.pid)
    return Setup("distributed" if opensearch is None else "distributed, OpenSearch", rows, processes,
                 processes["gateway"], stop, _infra(opensearch is not None))


def _searchable(search: str) -> None:
    """Until search has read the demo data from identity's topics: every query finds something."""
    deadline = time.monotonic() + READY_SECONDS
    for query in QUERIES:
        while True:
            found = httpx.get(f"{search}/internal/search", params={"q": query, "partner_id": PARTNER}, timeout=10)
            if found.status_code == 200 and (found.json()["users"] or found.json()["devices"]):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"search did not find {query!r} within {READY_SECONDS:.0f} s")
            time.sleep(0.2)


def _infra(opensearch: bool) -> dict[str, int]:
    """The local Kafka broker and FerretDB (and OpenSearch when search uses it): the requests' audit events and
    reads pass through them. Their pids as deploy/local/infra.sh keeps them."""
    names = ("kafka", "ferretdb", *(("opensearch",) if opensearch else ()))
    return {name: int((INFRA / "run" / f"{name}.pid").read_text()) for name in names}
