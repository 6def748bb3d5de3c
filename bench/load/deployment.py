"""The distributed deployment the agents work against, on the local Kafka and FerretDB: every service its own
process as `helpdesk up --distributed` starts them (helpdesk/cluster.py), two gateway replicas, search in memory
(or on OpenSearch), mail to the local SMTP server. A run of its own: its topics, databases and search indices are
named by its id and deleted at the end, with the mails it sent.

Seeded with the demo data (each service's own seed) and a generated dataset imported through the operator's
import, with the run's agents and callers (bench/load/workload.py) in the same import.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.load import mailroom, workload
from bench.load.sampler import lag_of
from helpdesk.cluster import Cluster, NotReady
from services.identity.demo import OPERATOR_EMAIL
from services.identity.generator import records

GATEWAYS = 2
READY_SECONDS = 180.0
STARTS = 3
SEEDED_SECONDS = 900.0
SETTLE_SECONDS = 60.0


@dataclass
class Infrastructure:
    """Where the shared local servers are."""

    kafka: str
    mongo: str
    smtp: str
    maildir: Path
    opensearch: str | None  # None: search keeps its index in memory


@dataclass
class Deployment:
    """The run's processes, seeded, with its agents (import records) and the books they work from."""

    cluster: Cluster
    infrastructure: Infrastructure
    agents: list[dict[str, Any]]  # import records
    books: dict[str, workload.Book]
    records: int  # imported
    import_seconds: float

    @property
    def gateways(self) -> list[str]:
        return [self.cluster.url(name) for name in self.cluster.names if name.startswith("gateway")]

    def workload(self, agents: int, pace: float, verification_calls: float) -> workload.Workload:
        """The first `agents` agents, each signed in now (a demo token lasts an hour: one per Locust run)."""
        chosen = self.agents[:agents]
        with httpx.Client(base_url=self.gateways[0], timeout=30) as client, ThreadPoolExecutor(4) as pool:
            tokens = list(pool.map(lambda agent: _token(client, agent["email"]), chosen))
        return workload.Workload(self.gateways, [{"token": token, "partner": agent["org_id"]}
                                                 for token, agent in zip(tokens, chosen, strict=True)],
                                 self.books, pace, verification_calls, str(self.infrastructure.maildir),
                                 self.cluster.run_id)

    def settle(self, say: Any) -> None:
        """Until no process has a consumer lag (at most SETTLE_SECONDS): what one stretch left behind is not the
        next one's to pay for."""
        deadline = time.monotonic() + SETTLE_SECONDS
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                lags = [lag_of(client.get(f"{self.cluster.url(name)}/metrics").text)
                        for name in self.cluster.processes]
                if not any(value for lag in lags for value in lag.values()):
                    return
                time.sleep(1.0)
        say(f"the consumers still lag after {SETTLE_SECONDS:.0f} s; going on")

    def stop(self) -> int:
        """Stop every process, delete the run's data; the number of the run's mails deleted."""
        self.cluster.stop_all()
        self.cluster.forget()
        return mailroom.forget(self.infrastructure.maildir, self.cluster.run_id)


def start(infrastructure: Infrastructure, run_id: str, logs: Path, users: int, agents: int, callers: int,
          say: Any) -> Deployment:
    """Start the processes, import the dataset with `agents` agents and `callers` callers, and wait until search
    finds it all and both gateways know the agents' roles."""
    cluster = Cluster(infrastructure.kafka, infrastructure.mongo, run_id, logs, opensearch=infrastructure.opensearch,
                      smtp=infrastructure.smtp, replicas={"gateway": GATEWAYS})
    try:
        say(f"starting {', '.join(cluster.names)} (run {run_id})")
        _start_all(cluster, say)
        generated = list(records(users))
        partners = sorted({r["partner_id"] for r in generated if r["type"] == "org" and r["partner_id"] != r["id"]})
        run_agents = workload.agents(partners, agents, run_id)
        run_callers = workload.callers(generated, callers, run_id)
        imported = [*generated, *run_agents, *run_callers]
        say(f"importing {len(imported):,} records ({users:,} users, {agents} agents, {callers} callers)")
        began = time.monotonic()
        _import(cluster.url("gateway"), imported)
        import_seconds = time.monotonic() - began
        say(f"imported in {import_seconds:.0f} s; waiting until search and both gateways have it")
        partner_of = {r["id"]: r["partner_id"] for r in generated if r["type"] == "org"}
        last_user = next(r for r in reversed(generated) if r["type"] == "user")
        _wait_searchable(cluster.url("search"), [(user, partner_of[user["org_id"]])
                                                 for user in (last_user, run_callers[-1])])
        deployment = Deployment(cluster, infrastructure, run_agents, workload.books(generated, run_callers),
                                len(imported), import_seconds)
        _wait_authorized(deployment.gateways, run_agents[-len(partners):])
        return deployment
    except BaseException:
        cluster.stop_all()
        cluster.forget()
        raise


def _start_all(cluster: Cluster, say: Any) -> None:
    """Start every process; again on new ports when one did not start (on a shared machine another program may
    take a port between its choice and the process binding it)."""
    for attempt in range(1, STARTS + 1):
        try:
            cluster.start_all()
            cluster.wait_ready(timeout=READY_SECONDS)
            return
        except NotReady as error:
            cluster.stop_all()
            cluster.ports.clear()
            if attempt == STARTS:
                raise
            say(f"{error.args[0].splitlines()[0]}; starting again")


def _token(client: httpx.Client, email: str) -> str:
    answer = client.post("/api/v1/auth/demo-login", json={"email": email})
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def _import(gateway: str, imported: list[dict[str, Any]]) -> None:
    """Through the operator's import, streamed, as `helpdesk seed --url` sends it."""
    def lines() -> Iterator[bytes]:
        for record in imported:
            yield json.dumps(record, ensure_ascii=False).encode() + b"\n"

    with httpx.Client(base_url=gateway, timeout=httpx.Timeout(30.0, read=None)) as client:
        headers = {"Authorization": f"Bearer {_token(client, OPERATOR_EMAIL)}", "Content-Type": "application/x-ndjson"}
        answer = client.post("/api/v1/operator/import", content=lines(), headers=headers)
    answer.raise_for_status()
    report = answer.json()
    if report["rejected_total"]:
        raise RuntimeError(f"the import rejected {report['rejected_total']} records: {report['rejected'][:5]}")


def _wait_searchable(search: str, users: list[tuple[dict[str, Any], str]]) -> None:
    """Until search finds each of `users` (a user and its partner) by its e-mail, as its partner's agents would."""
    deadline = time.monotonic() + SEEDED_SECONDS
    for user, partner in users:
        params = {"q": user["email"], "partner_id": partner}
        while user["id"] not in [hit["id"] for hit in
                                 httpx.get(f"{search}/internal/search", params=params, timeout=10).json()["users"]]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"search did not find {user['email']} within {SEEDED_SECONDS:.0f} s")
            time.sleep(0.5)


def _wait_authorized(gateways: list[str], agents: list[dict[str, Any]]) -> None:
    """Until every gateway lets each of `agents` search."""
    deadline = time.monotonic() + SEEDED_SECONDS
    with httpx.Client(base_url=gateways[0], timeout=10) as client:
        for agent in agents:
            headers = {"Authorization": f"Bearer {_token(client, agent['email'])}"}
            for gateway in gateways:
                while client.get(f"{gateway}/api/v1/search", params={"q": "x"}, headers=headers).status_code != 200:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{gateway} does not let {agent['email']} search")
                    time.sleep(0.5)
