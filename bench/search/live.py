"""The search service as it runs in production: the dataset's events on the real Kafka, replicas of
`helpdesk serve search` replaying them at start, the gateway in front; query latency over HTTP, and how soon a
new event is searchable on every replica."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.search.measure import percentile, rss_of
from bench.search.queries import KINDS, Query
from contracts.identity import RoleAssigned, User, UserUpserted
from gateway.auth import Principal, TokenIssuer
from tests.e2e.processes import free_port, terminate, wait_for

TOPICS = {"OrgUpserted": ("identity.orgs", "org", "id"), "UserUpserted": ("identity.users", "user", "id"),
          "DeviceUpserted": ("identity.devices", "device", "id"), "OrderPlaced": ("identity.orders", "order", "number")}


@dataclass
class Cluster:
    bootstrap: str
    prefix: str
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str, env: dict[str, str]) -> None:
        self.ports[name] = free_port()
        service = name.split("-")[0]
        prefix = service.upper()
        environment = {**os.environ, f"{prefix}_PORT": str(self.ports[name]), f"{prefix}_LOG_LEVEL": "WARNING",
                       f"{prefix}_KAFKA_BOOTSTRAP": self.bootstrap, f"{prefix}_TOPIC_PREFIX": self.prefix, **env}
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen([sys.executable, "-m", "helpdesk.cli", "serve", service],
                                                env=environment, stdout=log, stderr=log)

    def stop_all(self) -> None:
        for process in self.processes.values():
            terminate(process)


async def publish_file(bootstrap: str, prefix: str, events: Path) -> dict[str, float]:
    """Every event of the file onto its topic, keyed by its entity, as identity's relay would."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20,
                                max_batch_size=1 << 20, max_request_size=4 << 20)
    await producer.start()
    began, count = time.monotonic(), 0
    try:
        pending: list[asyncio.Future[Any]] = []
        with events.open("rb") as lines:
            for line in lines:
                event = json.loads(line)
                topic, entity, key = TOPICS[event["event_type"]]
                pending.append(await producer.send(prefix + topic, line.rstrip(b"\n"),
                                                   key=str(event[entity][key]).encode()))
                count += 1
                if len(pending) >= 20_000:
                    await asyncio.gather(*pending)
                    pending = []
                    print(f"  published {count:,} ({count / (time.monotonic() - began):,.0f}/s)", file=sys.stderr,
                          flush=True)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    seconds = time.monotonic() - began
    return {"events": count, "seconds": seconds, "events_per_second": count / seconds}


async def delete_topics(bootstrap: str, prefix: str) -> None:
    """The run's topics hold a copy of the dataset: remove them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


def http_latency(base: str, queries: list[Query], headers: dict[str, str] | None, internal: bool
                 ) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        def ask(query: Query) -> httpx.Response:
            if internal:
                return client.get("/internal/search", params={"q": query.text, "partner_id": query.partner_id})
            token = headers[query.partner_id] if headers else ""
            return client.get("/api/v1/search", params={"q": query.text}, headers={"Authorization": token})

        for query in queries[:50]:
            ask(query)
        for kind in KINDS:
            latencies, found = [], 0
            for query in (q for q in queries if q.kind == kind):
                began = time.perf_counter()
                response = ask(query)
                latencies.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()
                found += query.expected in [hit["id"] for hit in response.json()[query.group]]
            results[kind] = {"queries": len(latencies), "p50_ms": percentile(latencies, 0.5),
                             "p99_ms": percentile(latencies, 0.99), "recall": found / len(latencies)}
    return results


async def assign_roles(bootstrap: str, prefix: str, partners: set[str]) -> None:
    """Give each partner's bench agent the Help Desk role, as identity announces it to the gateway."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for partner in sorted(partners):
            event = RoleAssigned(user_id=f"bench-agent-{partner}", org_id=partner, role="helpdesk",
                                 partner_id=partner, roles=("helpdesk",), user_org_id=partner,
                                 user_partner_id=partner, user_version=1)
            await producer.send_and_wait(prefix + event.TOPIC, event.to_json(), key=event.key().encode())
    finally:
        await producer.stop()


def wait_authorized(base: str, token: str, deadline: float) -> None:
    while httpx.get(f"{base}/api/v1/search", params={"q": "x"}, headers={"Authorization": token}).status_code != 200:
        if time.monotonic() > deadline:
            raise AssertionError("the gateway does not authorize the bench agents")
        time.sleep(0.2)


def tokens(key_pem: str, partners: set[str]) -> dict[str, str]:
    issuer = TokenIssuer("helpdesk-demo", "helpdesk", 8 * 3600, key_pem)
    return {p: "Bearer " + issuer.issue(Principal(f"bench-agent-{p}", f"agent@{p}.example", "Bench Agent", p, p,
                                                  frozenset({"helpdesk"}))) for p in partners}


async def freshness(bootstrap: str, prefix: str, replicas: list[str], partner_id: str, org_id: str, count: int
                    ) -> dict[str, Any]:
    """Publish new users one at a time; time until each replica finds the new one (polled every 5 ms)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    delays: list[float] = []
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for n in range(count):
                marker = f"fresh{uuid.uuid4().hex[:10]}"
                user = User(id=str(uuid.uuid4()), org_id=org_id, email=f"{marker}@bench.example", first_name="Fresh",
                            last_name=marker, version=1)
                event = UserUpserted(user=user, partner_id=partner_id)
                sent = time.perf_counter()
                await producer.send_and_wait(prefix + event.TOPIC, event.to_json(), key=user.id.encode())
                for replica in replicas:
                    while True:
                        answer = await client.get(f"{replica}/internal/search",
                                                  params={"q": user.email, "partner_id": partner_id})
                        if answer.json()["users"]:
                            delays.append((time.perf_counter() - sent) * 1000)
                            break
                        if time.perf_counter() - sent > 10:
                            raise AssertionError(f"event {n} not searchable on {replica} after 10 s")
                        await asyncio.sleep(0.005)
                await asyncio.sleep(0.02)
    finally:
        await producer.stop()
    return {"events": count, "replicas": len(replicas), "p50_ms": percentile(delays, 0.5),
            "p99_ms": percentile(delays, 0.99), "max_ms": max(delays)}


def run(bootstrap: str, events: Path, queries: list[Query], replicas: int, logs: Path, fresh: int
        ) -> dict[str, Any]:
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    result: dict[str, Any] = {"topic_prefix": prefix}
    print("publishing the dataset to Kafka", file=sys.stderr, flush=True)
    result["publish"] = asyncio.run(publish_file(bootstrap, prefix, events))
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    cluster = Cluster(bootstrap, prefix, logs)
    try:
        began = time.monotonic()
        names = [f"search-{n}" for n in range(replicas)]
        for name in names:
            cluster.start(name, {"SEARCH_STORAGE": "memory"})
        for name in names:
            if not wait_for(f"{cluster.url(name)}/readyz", cluster.processes[name], time.monotonic() + 3600):
                raise AssertionError(f"{name} did not become ready; see {logs / name}.log")
        ready = time.monotonic() - began
        entities = result["publish"]["events"]
        result["replica_start"] = {"replicas": replicas, "seconds": ready, "events_per_second": entities / ready,
                                   "rss_bytes_per_entity": rss_of(cluster.processes[names[0]].pid) / entities}
        print(f"replicas ready in {ready:.0f} s", file=sys.stderr, flush=True)
        partners = {q.partner_id for q in queries}
        asyncio.run(assign_roles(bootstrap, prefix, partners))
        # Latency, not the per-agent search limit, is measured here.
        cluster.start("gateway", {"GATEWAY_SEARCH_URL": cluster.url(names[0]), "GATEWAY_DEMO_SIGNING_KEY": key,
                                  "GATEWAY_IDENTITY_URL": "http://127.0.0.1:9", "GATEWAY_SEARCH_BURST": "1000000",
                                  "GATEWAY_SEARCH_PER_MINUTE": "1000000"})
        if not wait_for(f"{cluster.url('gateway')}/healthz", cluster.processes["gateway"], time.monotonic() + 60):
            raise AssertionError("the gateway did not start")
        agents = tokens(key, partners)
        wait_authorized(cluster.url("gateway"), next(iter(agents.values())), time.monotonic() + 60)
        result["service_http"] = http_latency(cluster.url(names[0]), queries, None, internal=True)
        result["gateway_http"] = http_latency(cluster.url("gateway"), queries, agents, internal=False)
        sample = next(q for q in queries if q.kind == "email")
        org_id = _org_of(cluster.url(names[0]), sample)
        result["freshness"] = asyncio.run(freshness(bootstrap, prefix, [cluster.url(n) for n in names],
                                                    sample.partner_id, org_id, fresh))
        return result
    finally:
        cluster.stop_all()
        asyncio.run(delete_topics(bootstrap, prefix))


def _org_of(base: str, query: Query) -> str:
    answer = httpx.get(f"{base}/internal/search", params={"q": query.text, "partner_id": query.partner_id}).json()
    return str(answer["users"][0]["org_id"])
