"""What the live benchmark sends the search service and how it times the answers: the dataset onto Kafka as
identity's relay would publish it, the bench agents' roles, the query mix over HTTP, and new users one at a time
until each is found."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bench.search.measure import percentile
from bench.search.node import cpu_of
from bench.search.queries import KINDS, Query
from contracts.identity import RoleAssigned, User, UserUpserted
from gateway.auth import Principal, TokenIssuer

TOPICS = {"OrgUpserted": ("identity.orgs", "org", "id"), "UserUpserted": ("identity.users", "user", "id"),
          "DeviceUpserted": ("identity.devices", "device", "id"), "OrderPlaced": ("identity.orders", "order", "number")}


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


def tokens(key_pem: str, partners: set[str]) -> dict[str, str]:
    issuer = TokenIssuer("helpdesk-demo", "helpdesk", 8 * 3600, key_pem)
    return {p: "Bearer " + issuer.issue(Principal(f"bench-agent-{p}", f"agent@{p}.example", "Bench Agent", p, p,
                                                  frozenset({"helpdesk"}))) for p in partners}


def wait_authorized(base: str, token: str, deadline: float) -> None:
    while httpx.get(f"{base}/api/v1/search", params={"q": "x"}, headers={"Authorization": token}).status_code != 200:
        if time.monotonic() > deadline:
            raise AssertionError("the gateway does not authorize the bench agents")
        time.sleep(0.2)


def http_latency(base: str, queries: list[Query], headers: dict[str, str] | None, internal: bool,
                 processes: dict[str, int]) -> dict[str, Any]:
    """The query mix one request at a time, over HTTP to the service itself or through the gateway; and the CPU
    that each of `processes` (name: pid) spent per request meanwhile."""
    results: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        def ask(query: Query) -> httpx.Response:
            if internal:
                return client.get("/internal/search", params={"q": query.text, "partner_id": query.partner_id})
            token = headers[query.partner_id] if headers else ""
            return client.get("/api/v1/search", params={"q": query.text}, headers={"Authorization": token})

        for query in queries[:50]:
            ask(query)
        spent = {name: cpu_of(pid) for name, pid in processes.items()}
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
    results["cpu_ms_per_request"] = {name: (cpu_of(pid) - spent[name]) * 1000 / len(queries)
                                     for name, pid in processes.items()}
    return results


def org_of(base: str, query: Query) -> str:
    """The customer of the user that a query of the mix finds."""
    answer = httpx.get(f"{base}/internal/search", params={"q": query.text, "partner_id": query.partner_id}).json()
    return str(answer["users"][0]["org_id"])


async def freshness(bootstrap: str, prefix: str, replicas: list[str], partner_id: str, org_id: str, count: int,
                    spacing: float = 0.0) -> dict[str, Any]:
    """Publish new users one at a time; time until each replica finds the new one (polled every 5 ms).

    `spacing`: the pause between one user found and the next published is drawn from 20 ms to 20 ms + spacing,
    so that, against an index made searchable every `spacing` seconds, users arrive at any point of its cycle
    (published right after the user before was found, each would wait almost a whole cycle)."""
    rng = random.Random(5)
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
                await asyncio.sleep(0.02 + rng.uniform(0, spacing))
    finally:
        await producer.stop()
    return {"events": count, "replicas": len(replicas), "spacing_s": spacing, "p50_ms": percentile(delays, 0.5),
            "p99_ms": percentile(delays, 0.99), "max_ms": max(delays)}
