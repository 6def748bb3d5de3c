"""Which results come first, typos, grouping and the interpretations the search bar reports."""

from __future__ import annotations

from typing import Any

import pytest

from services.search import handlers
from services.search.store import MemorySearchStore
from tests.search_events import device_upserted, order_placed, org_upserted, user_upserted

pytestmark = pytest.mark.unit


async def indexed(*events: Any) -> MemorySearchStore:
    store = MemorySearchStore()
    await handlers.index(org_upserted(id="o1", name="Acme"), store)
    for event in events:
        await handlers.index(event, store)
    return store


def people(*names: str) -> list[Any]:
    return [user_upserted(id=f"u{n}", first_name=name.split()[0], last_name=name.split()[1])
            for n, name in enumerate(names)]


async def titles(store: MemorySearchStore, q: str, group: str = "users", org_id: str | None = None,
                 limit: int = 20) -> list[tuple[str, str]]:
    result = await handlers.search(q, "p1", org_id, limit, store)
    return [(hit["title"], hit["match"]) for hit in result[group]]


async def test_exact_words_come_before_prefixes_and_prefixes_before_typos() -> None:
    store = await indexed(*people("Mariana Ruiz", "Marta Diaz", "Maria Lopez", "Pedro Maria"))

    assert await titles(store, "maria") == [
        ("Maria Lopez", "exact"), ("Pedro Maria", "exact"), ("Mariana Ruiz", "prefix"), ("Marta Diaz", "typo")]


async def test_an_identifier_match_answers_alone() -> None:
    store = await indexed(order_placed(number="WO-100200"), order_placed(number="WO-1002001"))

    result = await handlers.search("WO-100200", "p1", None, 20, store)

    assert [(h["id"], h["match"]) for h in result["orders"]] == [("WO-100200", "identifier")]
    assert result["interpretations"] == [{"kind": "order_number", "value": "WO-100200"}]


@pytest.mark.parametrize(("q", "why"), [("smiht", "swapped"), ("smth", "deleted"), ("smitth", "inserted"),
                                        ("smyth", "replaced"), ("SMYTH", "replaced, in capitals"),
                                        ("jane smyth", "one word exact, one with a typo")])
async def test_one_typo_is_tolerated_in_a_name_word_of_five_letters_or_more(q: str, why: str) -> None:
    store = await indexed(*people("Jane Smith"))

    assert await titles(store, q) == [("Jane Smith", "typo")], why


@pytest.mark.parametrize(("q", "why"), [("jnae", "a four-letter word"), ("smyht", "two typos"),
                                        ("lefebrve", "two typos, accent folded")])
async def test_typos_beyond_the_tolerance_find_nothing(q: str, why: str) -> None:
    store = await indexed(*people("Jane Smith", "René Lefèvre"))

    assert await titles(store, q) == [], why


async def test_a_typo_is_tolerated_in_a_name_stored_with_accents() -> None:
    store = await indexed(*people("René Lefèvre"))

    assert await titles(store, "lefebre") == [("René Lefèvre", "typo")]


async def test_results_are_grouped_by_kind_and_limited_per_group() -> None:
    store = await indexed(*people("Acme Admin", "Acme Buyer", "Acme Clerk"),
                          device_upserted(id="d1", serial="ACME0001"), order_placed(number="ACME-100"))

    result = await handlers.search("acme", "p1", None, 2, store)

    assert [h["title"] for h in result["customers"]] == ["Acme"]
    assert [h["title"] for h in result["users"]] == ["Acme Admin", "Acme Buyer"]
    assert [h["id"] for h in result["devices"]] == ["d1"]
    assert [h["id"] for h in result["orders"]] == ["ACME-100"]
    assert result["interpretations"] == [{"kind": "text", "value": "acme"}]


async def test_org_id_narrows_the_results_to_one_customer() -> None:
    store = await indexed(org_upserted(id="o2", name="Globex"), user_upserted(id="u1", org_id="o1"),
                          user_upserted(id="u2", org_id="o2"))

    result = await handlers.search("jane", "p1", "o2", 20, store)

    assert [(h["id"], h["org_id"]) for h in result["users"]] == [("u2", "o2")]
    assert result["customers"] == []


async def test_a_query_finding_nothing_reports_every_way_it_was_read() -> None:
    store = await indexed()

    result = await handlers.search("+1 415 555 0100", "p1", None, 20, store)

    assert result["interpretations"] == [{"kind": "phone", "value": "+14155550100"},
                                         {"kind": "text", "value": "1 415 555 0100"}]
    assert result["q"] == "+1 415 555 0100"
    assert all(result[group] == [] for group in ("customers", "users", "devices", "orders"))


async def test_a_hit_has_the_public_shape() -> None:
    store = await indexed(user_upserted(id="u1", email="jane@acme.example"))

    result = await handlers.search("jane", "p1", None, 20, store)

    assert result["users"] == [{"id": "u1", "org_id": "o1", "org_name": "Acme", "title": "Jane Doe",
                                "subtitle": "jane@acme.example",
                                "matched": {"field": "name", "value": "Jane Doe"}, "match": "exact"}]
