"""Every hit names its customer, so the agent reads "Acme Corporation" rather than an org id."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pytest

from services.search import handlers
from services.search.store import MemorySearchStore
from tests.search_events import device_upserted, order_placed, org_upserted, user_upserted

pytestmark = pytest.mark.unit


class CountingStore(MemorySearchStore):
    """The in-memory store, remembering the org ids each name lookup asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[set[str]] = []

    async def org_names(self, org_ids: Collection[str], partner_id: str) -> dict[str, str]:
        self.asked.append(set(org_ids))
        return await super().org_names(org_ids, partner_id)


async def indexed(*events: Any) -> CountingStore:
    store = CountingStore()
    for event in events:
        await handlers.index(event, store)
    return store


def names(result: dict[str, Any], group: str) -> list[tuple[str, str | None]]:
    return [(hit["id"], hit["org_name"]) for hit in result[group]]


async def test_users_devices_and_orders_carry_their_customers_name_and_a_customer_its_own() -> None:
    store = await indexed(
        org_upserted(id="o-acme", name="Acme Corporation"), org_upserted(id="o-bistro", name="Bistro"),
        user_upserted(id="u1", org_id="o-acme", first_name="Jane", last_name="Acme"),
        user_upserted(id="u2", org_id="o-bistro", first_name="John", last_name="Acme"),
        device_upserted(id="d1", org_id="o-acme", serial="FOC2345X1YZ"),
        order_placed(number="WO-1", org_id="o-bistro"))

    words = await handlers.search("acme", "p1", None, 20, store)
    device = await handlers.search("FOC2345X1YZ", "p1", None, 20, store)
    order = await handlers.search("WO-1", "p1", None, 20, store)

    assert names(words, "customers") == [("o-acme", "Acme Corporation")]
    assert sorted(names(words, "users")) == [("u1", "Acme Corporation"), ("u2", "Bistro")]
    assert names(device, "devices") == [("d1", "Acme Corporation")]
    assert names(order, "orders") == [("WO-1", "Bistro")]


async def test_a_renamed_customer_is_named_by_its_latest_version() -> None:
    store = await indexed(org_upserted(id="o1", name="Acme", version=1), user_upserted(id="u1", org_id="o1"))
    await handlers.index(org_upserted(id="o1", name="Acme Corporation", version=2), store)

    result = await handlers.search("jane", "p1", None, 20, store)

    assert names(result, "users") == [("u1", "Acme Corporation")]


async def test_a_hit_whose_customer_is_not_indexed_yet_has_no_name() -> None:
    store = await indexed(user_upserted(id="u1", org_id="o1"))

    result = await handlers.search("jane", "p1", None, 20, store)

    assert names(result, "users") == [("u1", None)]
    assert result["users"][0]["org_id"] == "o1"


async def test_names_are_looked_up_once_per_search_for_the_customers_of_the_hits_shown() -> None:
    store = await indexed(
        org_upserted(id="o1", name="Acme"), org_upserted(id="o2", name="Bistro"), org_upserted(id="o3", name="Cafe"),
        user_upserted(id="u1", org_id="o1", first_name="Jane", last_name="Doe"),
        user_upserted(id="u2", org_id="o2", first_name="Janet", last_name="Doe"),
        user_upserted(id="u3", org_id="o3", first_name="John", last_name="Smith"))

    await handlers.search("jan", "p1", None, 20, store)

    assert store.asked == [{"o1", "o2"}]
