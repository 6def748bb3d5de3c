"""Indexing identity's events and answering the search bar, with the in-memory read model."""

from __future__ import annotations

import pytest

from contracts.identity import PhoneNumber
from services.search import handlers
from services.search.store import MemorySearchStore
from tests.factories import org_upserted, user_upserted

pytestmark = pytest.mark.unit


async def found_users(store: MemorySearchStore, q: str, partner_id: str = "p1") -> list[str]:
    result = await handlers.search(q, partner_id, None, 20, store)
    return [hit["id"] for hit in result["users"]]


async def test_a_user_is_found_by_email_in_any_case() -> None:
    store = MemorySearchStore()
    await handlers.index(user_upserted(id="u1", email="Jane.Doe@Acme.example"), store)

    result = await handlers.search("JANE.DOE@acme.EXAMPLE", "p1", None, 20, store)

    assert [h["id"] for h in result["users"]] == ["u1"]
    assert result["users"][0]["matched"] == {"field": "email", "value": "Jane.Doe@Acme.example"}
    assert result["interpretations"] == [{"kind": "email", "value": "jane.doe@acme.example"}]


async def test_a_user_is_found_by_name_in_either_order_partially_and_without_accents() -> None:
    store = MemorySearchStore()
    await handlers.index(user_upserted(id="u1", first_name="René", last_name="Lefèvre"), store)

    for query in ("René Lefèvre", "lefevre rene", "Lef", "rene lef"):
        assert await found_users(store, query) == ["u1"], query


async def test_a_user_is_found_by_the_digits_of_a_phone_number() -> None:
    store = MemorySearchStore()
    phone = PhoneNumber(display="+1 415 555 0100", e164="+14155550100")
    await handlers.index(user_upserted(id="u1", phone_numbers=(phone,)), store)

    assert await found_users(store, "14155550100") == ["u1"]


async def test_an_agent_never_finds_another_partners_users() -> None:
    store = MemorySearchStore()
    await handlers.index(user_upserted(id="mine", partner_id="p1"), store)
    await handlers.index(user_upserted(id="theirs", partner_id="p2"), store)

    assert await found_users(store, "jane", "p1") == ["mine"]
    assert await found_users(store, "jane", "p3") == []


async def test_a_customer_is_found_by_name_prefix_and_domain() -> None:
    store = MemorySearchStore()
    await handlers.index(org_upserted(id="o1", name="Bistro Méditerranée",
                                      domains=[{"name": "bistro.example", "status": "verified"}]), store)

    for query in ("bistro", "medit", "bistro.example", "o1"):
        result = await handlers.search(query, "p1", None, 20, store)
        assert [h["id"] for h in result["customers"]] == ["o1"], query


async def test_a_redelivered_event_changes_nothing() -> None:
    store = MemorySearchStore()
    event = user_upserted(id="u1")

    assert await handlers.index(event, store) is True
    assert await handlers.index(event, store) is False
    assert await store.count() == 1


async def test_an_older_event_arriving_late_does_not_undo_a_newer_one() -> None:
    store = MemorySearchStore()
    await handlers.index(user_upserted(id="u1", version=2, last_name="Smith"), store)

    await handlers.index(user_upserted(id="u1", version=1, last_name="Doe"), store)

    assert await found_users(store, "smith") == ["u1"]
    assert await found_users(store, "doe") == []


async def test_a_customer_moved_to_another_partner_takes_its_users_along() -> None:
    store = MemorySearchStore()
    await handlers.index(org_upserted(id="o1", partner_id="p1"), store)
    await handlers.index(user_upserted(id="u1", org_id="o1", partner_id="p1"), store)

    await handlers.index(org_upserted(id="o1", partner_id="p2", version=2), store)

    assert await found_users(store, "jane", "p1") == []
    assert await found_users(store, "jane", "p2") == ["u1"]


async def test_a_deleted_user_is_no_longer_found_and_a_late_older_event_does_not_revive_them() -> None:
    store = MemorySearchStore()
    await handlers.index(user_upserted(id="u1", version=1), store)

    await handlers.index(user_upserted(id="u1", version=2, deleted=True), store)
    await handlers.index(user_upserted(id="u1", version=1), store)

    assert await found_users(store, "jane") == []


async def test_words_sorted_after_a_bulk_load_leave_the_first_prefix_search_nothing_to_sort() -> None:
    store = MemorySearchStore()
    await handlers.index_many([user_upserted(id=f"u{n}", last_name=f"Zimmer{n:03}") for n in range(200)], store)

    waiting_before = sum(len(index.unsorted) for index in store._partners.values())
    store.sort_words()

    assert waiting_before > 200  # far more than a search inserts one by one
    assert [len(index.unsorted) for index in store._partners.values()] == [0]
    assert await found_users(store, "Zimmer19") == [f"u{n}" for n in range(190, 200)]
