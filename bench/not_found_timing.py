"""How long a view takes to answer for the agent's own object, another partner's object and an unknown id.

    python -m bench.not_found_timing --users 30000 --requests 2000

A generated dataset (bench/.data/, as bench.import_throughput makes it) is loaded twice, in process: into
identity's store alone, to time identity's view use-case (`services.identity.views`), and into the embedded
product, to time `GET /api/v1/users/{id}` and `GET /api/v1/customers/{id}` through the gateway (token, roles,
identity's internal HTTP API, audit) over an in-process ASGI transport. The agent is partner 1's help desk
agent. Requests of the three cases are interleaved in a seeded random order, after a warm-up; the table gives
p50/p90/p99 per case and, for the two 404 cases, how far apart their medians are.

`--level gateway` measures only the gateway, which calls nothing but the public API, so the same file can be
run against an older commit to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.import_throughput import dataset
from helpdesk import embedded

CASES = ("own", "foreign", "unknown")
KINDS = ("users", "customers")
AGENT_PARTNER = "partner-0001"
AGENT_LOGIN = "helpdesk@partner1.example"


@dataclass
class Ids:
    """Ids of each kind: of the agent's partner, of other partners, and ids that nothing has."""

    by_case: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def pick_ids(path: Path, count: int, seed: int) -> Ids:
    partner_of: dict[str, str] = {}
    known: set[str] = set()
    users: dict[str, list[str]] = {"own": [], "foreign": []}
    customers: dict[str, list[str]] = {"own": [], "foreign": []}
    with path.open("rb") as source:
        for line in source:
            record = json.loads(line)
            known.add(record.get("id") or record["number"])
            if record["type"] == "org" and record["id"] != record["partner_id"]:
                partner_of[record["id"]] = record["partner_id"]
                customers["own" if record["partner_id"] == AGENT_PARTNER else "foreign"].append(record["id"])
            elif record["type"] == "user" and record["org_id"] in partner_of:
                users["own" if partner_of[record["org_id"]] == AGENT_PARTNER else "foreign"].append(record["id"])
    rng = random.Random(f"ids-{seed}")  # not the generator's sequence, whose ids it would repeat
    ids = Ids()
    for kind, found in (("users", users), ("customers", customers)):
        for case in ("own", "foreign"):
            ids.by_case[kind, case] = [rng.choice(found[case]) for _ in range(count)]
        # Shaped like the generated ids (UUIDs), so an unknown id is not shorter or longer than a real one.
        unknown = ids.by_case[kind, "unknown"] = []
        while len(unknown) < count:
            candidate = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if candidate not in known:
                unknown.append(candidate)
    return ids


def schedule(ids: Ids, seed: int) -> list[tuple[str, str, str]]:
    order = [(kind, case, entity_id) for (kind, case), some in ids.by_case.items() for entity_id in some]
    random.Random(seed).shuffle(order)
    return order


Call = Callable[[str, str], Awaitable[int]]


async def measure(call: Call, order: list[tuple[str, str, str]], warmup: int) -> dict[tuple[str, str], list[float]]:
    expected = {"own": 200, "foreign": 404, "unknown": 404}
    for kind, _, entity_id in order[:warmup]:
        await call(kind, entity_id)
    gc.collect()
    gc.freeze()
    samples: dict[tuple[str, str], list[float]] = {}
    for kind, case, entity_id in order:
        started = time.perf_counter_ns()
        status = await call(kind, entity_id)
        elapsed = (time.perf_counter_ns() - started) / 1000
        if status != expected[case]:
            raise SystemExit(f"{kind} {case} {entity_id}: answered {status}, expected {expected[case]}")
        samples.setdefault((kind, case), []).append(elapsed)
    gc.unfreeze()
    return samples


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(title: str, samples: dict[tuple[str, str], list[float]]) -> None:
    print(f"\n{title} (µs)\n")
    print("| kind | case | n | p50 | p90 | p99 |")
    print("|---|---|---|---|---|---|")
    for kind in KINDS:
        for case in CASES:
            values = samples[kind, case]
            print(f"| {kind} | {case} | {len(values):,} | {percentile(values, 50):,.1f} | "
                  f"{percentile(values, 90):,.1f} | {percentile(values, 99):,.1f} |")
    for kind in KINDS:
        foreign, unknown = percentile(samples[kind, "foreign"], 50), percentile(samples[kind, "unknown"], 50)
        print(f"{kind}: median foreign - unknown = {foreign - unknown:+,.1f} µs ({foreign / unknown - 1:+.1%})")


async def chunks(path: Path, size: int = 65536) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while block := source.read(size):
            yield block


async def identity_level(path: Path, order: list[tuple[str, str, str]], warmup: int) -> None:
    from services.identity import importing, views
    from services.identity.store import IdentityStore

    store = IdentityStore.memory()
    report_ = await importing.import_records(chunks(path), store)
    print(f"identity: {report_.accepted:,} records loaded")
    view = {"users": views.user, "customers": views.customer}

    async def call(kind: str, entity_id: str) -> int:
        return 404 if await view[kind](entity_id, store, partner_id=AGENT_PARTNER) is None else 200

    report("identity's view use-case", await measure(call, order, warmup))


async def gateway_level(path: Path, order: list[tuple[str, str, str]], warmup: int) -> None:
    product = embedded.build()
    transport = httpx.ASGITransport(app=product.app)
    async with (product.app.router.lifespan_context(product.app),
                httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=None) as client):
        async def login(email: str) -> dict[str, str]:
            answer = await client.post("/api/v1/auth/demo-login", json={"email": email})
            answer.raise_for_status()
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        imported = await client.post("/api/v1/operator/import", content=chunks(path),
                                     headers=await login("operator@helpdesk.local"))
        await product.settle()
        print(f"gateway: {imported.json()['accepted']:,} records loaded")
        agent = await login(AGENT_LOGIN)

        async def call(kind: str, entity_id: str) -> int:
            return (await client.get(f"/api/v1/{kind}/{entity_id}", headers=agent)).status_code

        samples = await measure(call, order, warmup)
        await product.settle()
    report("gateway, GET /api/v1/{kind}/{id} in process", samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2_000, help="per kind and case")
    parser.add_argument("--warmup", type=int, default=600)
    parser.add_argument("--level", choices=("identity", "gateway", "both"), default="both")
    args = parser.parse_args()
    gc.set_threshold(100_000, 50, 100)  # as `helpdesk` does
    path = dataset(args.users, args.seed)
    order = schedule(pick_ids(path, args.requests, args.seed), args.seed)
    print(f"{path.name}: {args.requests:,} requests per kind and case, interleaved; agent of {AGENT_PARTNER}")
    if args.level in ("identity", "both"):
        asyncio.run(identity_level(path, order, args.warmup))
    if args.level in ("gateway", "both"):
        asyncio.run(gateway_level(path, order, args.warmup))


if __name__ == "__main__":
    main()
