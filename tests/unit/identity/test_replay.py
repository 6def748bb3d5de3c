"""Identity's topics carry everything a consumer needs: replaying them, in any topic order and with repeats,
rebuilds exactly what identity holds."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from contracts import Event
from contracts.identity import Device, DeviceUpserted, Order, OrderPlaced, Org, OrgUpserted, User, UserUpserted
from runtime.bus import InProcessBus
from runtime.outbox import OutboxRelay
from services.identity import importing
from services.identity.generator import records
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit


async def stream(items: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    yield b"".join(json.dumps(r).encode() + b"\n" for r in items)


def view(events: list[Event]) -> dict[tuple[str, str], tuple[Any, str]]:
    """A consumer's view: the newest state of every entity, and the partner it is filed under."""
    seen: dict[tuple[str, str], tuple[Any, str]] = {}
    for event in events:
        match event:
            case OrgUpserted(org=entity) | UserUpserted(user=entity) | DeviceUpserted(device=entity):
                key = (type(entity).__name__, entity.id)
            case OrderPlaced(order=entity):
                key = ("Order", entity.number)
            case _:
                continue
        if key not in seen or seen[key][0].version < entity.version:
            seen[key] = (entity, event.partner_id or "")
    return {key: value for key, value in seen.items() if not value[0].deleted}


async def test_replaying_the_topics_in_any_order_rebuilds_identitys_state() -> None:
    store = IdentityStore.memory()
    data = list(records(300, seed=5))
    orgs = [r for r in data if r["type"] == "org" and r["id"] != r["partner_id"]]
    users = [r for r in data if r["type"] == "user" and not str(r["id"]).startswith(("partner", "platform"))]
    await importing.import_records(stream(data), store)
    changes = [
        {**users[0], "last_name": "Changed"},
        {"type": "user", "id": users[1]["id"], "deleted": True},
        {**orgs[0], "partner_id": "partner-0002" if orgs[0]["partner_id"] == "partner-0001" else "partner-0001"},
    ]
    await importing.import_records(stream(changes), store)
    bus = InProcessBus()
    await OutboxRelay(list(store.collections.values()), bus).run_once()
    events = bus.published()

    by_topic: dict[str, list[Event]] = {}
    for event in events:
        by_topic.setdefault(event.TOPIC, []).append(event)
    topics = sorted(by_topic, reverse=True)  # users before orgs: the order a replay may well take
    replayed = [e for topic in topics for e in by_topic[topic]]
    with_repeats = replayed + random.Random(1).sample(replayed, 200)

    live, rebuilt = view(events), view(with_repeats)
    assert rebuilt == live
    for (kind, key), (entity, partner_id) in live.items():
        stored = await store.get({"Org": Org, "User": User, "Device": Device, "Order": Order}[kind], key)
        assert stored == entity
        org = await store.get(Org, entity.id if kind == "Org" else entity.org_id)
        assert org is not None
        assert partner_id == org.partner_id, f"{kind} {key} filed under the wrong partner"
    assert ("User", users[1]["id"]) not in live
    assert live[("User", users[0]["id"])][0].last_name == "Changed"
