"""The search read model behaves the same in memory and on OpenSearch."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.search.domain import Entry, Kind, entry_for
from services.search.query import Clause
from services.search.store import MemorySearchStore, SearchStore
from tests.search_events import device_upserted, org_upserted, phone, user_upserted
from tests.search_stores import scratch_opensearch


@pytest.fixture
async def store(adapter: str, request: pytest.FixtureRequest) -> AsyncIterator[SearchStore]:
    if adapter == "memory":
        yield MemorySearchStore()
        return
    async with scratch_opensearch(request.getfixturevalue("opensearch_url")) as shared:
        yield shared


@pytest.fixture(params=[pytest.param("memory", marks=pytest.mark.unit),
                        pytest.param("opensearch", marks=pytest.mark.integration)])
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def entry(entity_id: str = "u1", partner_id: str = "p1", org_id: str = "o1", version: int = 1,
          terms: tuple[str, ...] = ("jane", "doe", "id:u1"), kind: Kind = "user", title: str = "Jane Doe",
          **fields: Any) -> Entry:
    return Entry(kind, entity_id, org_id, partner_id, version, title, "jane@acme.example", terms,
                 (("name", title),), **fields)


def customer(org_id: str = "o1", partner_id: str = "p1", version: int = 1, country: str = "US",
             deleted: bool = False, name: str = "Acme") -> Entry:
    return Entry("customer", org_id, org_id, partner_id, version, name, "", ("acme", f"id:{org_id}"),
                 (("name", name),), country, deleted)


def words(*exact: str, prefix: str = "") -> Clause:
    return Clause(frozenset(exact), prefix)


async def ids(store: SearchStore, *clauses: Clause, partner_id: str = "p1", org_id: str | None = None,
              limit: int = 10) -> list[str]:
    return sorted(e.entity_id for e in await store.find(clauses, partner_id, org_id, limit))


async def test_an_entry_is_found_when_every_clause_is_satisfied(store: SearchStore) -> None:
    await store.apply(entry())

    assert await ids(store, words("jane"), words("doe")) == ["u1"]
    assert await ids(store, words("jane"), words(prefix="do")) == ["u1"]
    assert await ids(store, words("john", "jane")) == ["u1"]
    assert await ids(store, words("jane"), words("smith")) == []
    assert await ids(store, words("ja")) == []


async def test_a_prefix_matches_words_and_never_identifier_keys(store: SearchStore) -> None:
    await store.apply(entry(terms=("jane", "id:u1", "tel:+14155550100")))

    assert await ids(store, words(prefix="ja")) == ["u1"]
    assert await ids(store, words(prefix="id")) == []
    assert await ids(store, words(prefix="tel:+1")) == []
    assert await ids(store, words("id:u1")) == ["u1"]


async def test_a_phone_key_finds_the_customer_user_and_device_that_carry_it(store: SearchStore) -> None:
    shared = (phone("+33142685300", "01 42 68 53 00"),)
    events = [org_upserted(id="o1", country="FR", phone_numbers=shared),
              user_upserted(id="u1", org_id="o1", phone_numbers=shared),
              device_upserted(id="d1", org_id="o1", phone_numbers=shared),
              device_upserted(id="d2", org_id="o1", mac="a0b1c2d3e4f5", phone_numbers=(phone("+33142685301"),)),
              org_upserted(id="o2", partner_id="p2", phone_numbers=shared)]
    for event in events:
        made = entry_for(event)
        assert made is not None
        await store.apply(made)

    found = await store.find((words("tel:+33142685300"),), "p1", None, 10)

    assert sorted((e.kind, e.entity_id) for e in found) == [("customer", "o1"), ("device", "d1"), ("user", "u1")]
    assert await ids(store, words("tel:+33142685301")) == ["d2"]


async def test_another_partners_entries_are_never_found(store: SearchStore) -> None:
    await store.apply(entry("mine", partner_id="p1", org_id="o1"))
    await store.apply(entry("theirs", partner_id="p2", org_id="o2"))

    assert await ids(store, words("jane"), partner_id="p1") == ["mine"]
    assert await ids(store, words("jane"), partner_id="p2") == ["theirs"]
    assert await ids(store, words("jane"), partner_id="p3") == []
    assert await ids(store, words("jane"), partner_id="p1", org_id="o2") == []


async def test_org_id_narrows_to_one_customer(store: SearchStore) -> None:
    await store.apply(entry("a", org_id="o1"))
    await store.apply(entry("b", org_id="o2"))

    assert await ids(store, words("jane"), org_id="o2") == ["b"]


async def test_a_repeated_or_older_version_changes_nothing(store: SearchStore) -> None:
    assert await store.apply(entry(version=2, terms=("jane", "smith"))) is True
    assert await store.apply(entry(version=2, terms=("jane", "smith"))) is False
    assert await store.apply(entry(version=1, terms=("jane", "doe"))) is False

    assert await ids(store, words("doe")) == []
    assert await ids(store, words("smith")) == ["u1"]
    assert await store.count() == 1


async def test_a_newer_version_replaces_the_old_terms(store: SearchStore) -> None:
    await store.apply(entry(version=1, terms=("jane", "doe")))
    await store.apply(entry(version=2, terms=("jane", "smith"), title="Jane Smith"))

    assert await ids(store, words("doe")) == []
    (found,) = await store.find((words("smith"),), "p1", None, 10)
    assert dataclasses.astuple(found) == dataclasses.astuple(
        entry(version=2, terms=("jane", "smith"), title="Jane Smith"))


async def test_a_tombstone_hides_the_entry_and_a_late_older_version_does_not_revive_it(store: SearchStore) -> None:
    await store.apply(entry(version=1))
    await store.apply(entry(version=2, terms=(), deleted=True))
    await store.apply(entry(version=1))

    assert await ids(store, words("jane")) == []
    assert await store.count() == 1


async def test_a_customer_moving_to_another_partner_takes_its_members_along(store: SearchStore) -> None:
    await store.apply(customer("o1", "p1", version=1))
    await store.apply(entry("u1", partner_id="p1", org_id="o1"))

    await store.apply(customer("o1", "p2", version=2))

    assert await ids(store, words("jane"), partner_id="p1") == []
    assert await ids(store, words("acme"), partner_id="p1") == []
    assert await ids(store, words("jane"), partner_id="p2") == ["u1"]
    assert await ids(store, words("acme"), partner_id="p2") == ["o1"]


async def test_an_older_customer_event_arriving_late_does_not_move_it_back(store: SearchStore) -> None:
    await store.apply(customer("o1", "p2", version=2))
    await store.apply(entry("u1", partner_id="p2", org_id="o1"))

    await store.apply(customer("o1", "p1", version=1))

    assert await ids(store, words("jane"), partner_id="p1") == []
    assert await ids(store, words("jane"), partner_id="p2") == ["u1"]


async def test_a_member_follows_the_partner_its_customer_names_not_a_stale_event(store: SearchStore) -> None:
    await store.apply(customer("o1", "p2", version=2))

    await store.apply(entry("u1", partner_id="p1", org_id="o1"))

    assert await ids(store, words("jane"), partner_id="p1") == []
    assert await ids(store, words("jane"), partner_id="p2") == ["u1"]


async def test_a_member_indexed_before_its_customer_moves_when_the_customer_arrives(store: SearchStore) -> None:
    await store.apply(entry("u1", partner_id="p1", org_id="o1"))

    await store.apply(customer("o1", "p2"))

    assert await ids(store, words("jane"), partner_id="p1") == []
    assert await ids(store, words("jane"), partner_id="p2") == ["u1"]


async def test_at_most_limit_of_each_kind_are_found_first_by_title(store: SearchStore) -> None:
    for n, title in enumerate(["Cid", "abe", "Bea", "Dan"]):
        await store.apply(entry(f"u{n}", title=title))
        await store.apply(entry(f"d{n}", kind="device", title=title))

    found = await store.find((words("jane"),), "p1", None, 2)

    assert sorted((e.kind, e.title) for e in found) == [
        ("device", "Bea"), ("device", "abe"), ("user", "Bea"), ("user", "abe")]


async def test_countries_are_those_of_the_live_customers_in_scope(store: SearchStore) -> None:
    await store.apply(customer("o1", "p1", country="FR"))
    await store.apply(customer("o2", "p1", country="DE"))
    await store.apply(customer("o3", "p2", country="IT"))
    await store.apply(customer("o4", "p1", country="JP", version=1))
    await store.apply(customer("o4", "p1", country="JP", version=2, deleted=True))

    assert await store.countries("p1", None) == {"FR", "DE"}
    assert await store.countries("p1", "o2") == {"DE"}
    assert await store.countries("p1", "o3") == frozenset()
    assert await store.countries("p9", None) == frozenset()


async def test_org_names_are_the_names_of_the_partners_customers_by_id(store: SearchStore) -> None:
    await store.apply(customer("o1", "p1", name="Acme Corporation"))
    await store.apply(customer("o2", "p1", name="Bistro Méditerranée"))
    await store.apply(customer("o3", "p2", name="Contoso"))

    assert await store.org_names({"o1", "o2"}, "p1") == {"o1": "Acme Corporation", "o2": "Bistro Méditerranée"}
    assert await store.org_names(["o1"], "p1") == {"o1": "Acme Corporation"}
    assert await store.org_names(set(), "p1") == {}


async def test_a_moved_customer_is_named_by_its_latest_version_only_to_the_partner_managing_it(
    store: SearchStore,
) -> None:
    await store.apply(customer("o1", "p1", version=1, name="Acme"))
    await store.apply(entry("u1", partner_id="p1", org_id="o1"))

    await store.apply(customer("o1", "p2", version=2, name="Acme Corporation"))
    await store.apply(customer("o1", "p1", version=1, name="Acme"))

    assert await store.org_names({"o1"}, "p2") == {"o1": "Acme Corporation"}
    assert await store.org_names({"o1"}, "p1") == {}


async def test_an_unknown_org_id_has_no_name(store: SearchStore) -> None:
    await store.apply(customer("o1", "p1", name="Acme Corporation"))
    await store.apply(entry("u1", partner_id="p1", org_id="o9"))  # a member whose customer has not arrived

    assert await store.org_names({"o1", "o9", "u1"}, "p1") == {"o1": "Acme Corporation"}


async def test_a_deleted_customer_has_no_name(store: SearchStore) -> None:
    await store.apply(customer("o1", "p1", version=1, name="Acme Corporation"))
    await store.apply(customer("o1", "p1", version=2, name="Acme Corporation", deleted=True))

    assert await store.org_names({"o1"}, "p1") == {}


async def test_a_batch_keeps_the_latest_version_of_each_entry(store: SearchStore) -> None:
    await store.apply(entry("u1", version=3, terms=("jane", "kept")))
    await store.apply(customer("o2", "p2"))

    changed = await store.apply_many([
        entry("u1", version=2, terms=("jane", "older")),
        entry("u2", version=1, terms=("jane", "first")),
        entry("u2", version=2, terms=("jane", "second")),
        entry("u3", org_id="o2", partner_id="p1", terms=("jane", "moved")),
    ])

    assert changed == 2
    assert await ids(store, words("jane")) == ["u1", "u2"]
    assert await ids(store, words("kept")) == ["u1"]
    assert await ids(store, words("first")) == []
    assert await ids(store, words("second")) == ["u2"]
    assert await ids(store, words("moved"), partner_id="p2") == ["u3"]


async def test_prefixes_find_words_added_in_bulk_and_never_words_removed_meanwhile(store: SearchStore) -> None:
    # More new words than are inserted one at a time, replaced and looked up in between.
    for number in range(150):
        await store.apply(entry(f"u{number}", terms=(f"w{number:03d}x", f"id:u{number}")))
    await store.apply(entry("u7", version=2, terms=("w007y", "id:u7")))
    assert await ids(store, words(prefix="w00")) == sorted(f"u{n}" for n in range(10))
    for number in range(150, 160):
        await store.apply(entry(f"u{number}", terms=(f"w{number:03d}x",)))
    await store.apply(entry("u155", version=2, terms=("v155",)))

    assert await ids(store, words(prefix="w007")) == ["u7"]
    assert await ids(store, words(prefix="w007x")) == []
    assert await ids(store, words(prefix="w15")) == sorted(f"u{n}" for n in range(150, 160) if n != 155)
    assert await ids(store, words(prefix="v1")) == ["u155"]


MEMBER_TERMS = (("jane", "doe"), ("jane", "smith"), ("janet", "doe"))


@st.composite
def entries_in_any_order(draw: st.DrawFn) -> list[Entry]:
    """Customers changing partner over versions, members naming any partner, tombstones; any order, repeats."""
    made: list[Entry] = []
    for org_id in draw(st.lists(st.sampled_from(("o1", "o2", "o3")), unique=True, max_size=3)):
        for version in range(1, draw(st.integers(1, 3)) + 1):
            made.append(customer(org_id, draw(st.sampled_from(("p1", "p2", "p3"))), version))
    for n in range(draw(st.integers(1, 6))):
        org_id = draw(st.sampled_from(("o1", "o2", "o3", "o4")))
        last = draw(st.integers(1, 3))
        for version in range(1, last + 1):
            deleted = version == last and draw(st.booleans())
            terms = () if deleted else (*draw(st.sampled_from(MEMBER_TERMS)), f"id:u{n}")
            made.append(entry(f"u{n}", draw(st.sampled_from(("p1", "p2", "p3"))), org_id, version, terms,
                              deleted=deleted))
    ordered = draw(st.permutations(made))
    return [*ordered, *draw(st.lists(st.sampled_from(ordered), max_size=3))] if ordered else []


def expected_scope(applied: list[Entry]) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """Each live entry's partner, org and terms, by the rules: a member belongs where its customer does."""
    newest: dict[str, Entry] = {}
    for e in applied:
        if e.key not in newest or newest[e.key].version < e.version:
            newest[e.key] = e
    managing = {e.entity_id: e.partner_id for e in newest.values() if e.kind == "customer"}
    return {e.key: (managing.get(e.org_id, e.partner_id), e.org_id, e.terms)
            for e in newest.values() if not e.deleted}


async def check_scope(store: SearchStore, applied: list[Entry], batched: bool) -> None:
    if batched:
        for start in range(0, len(applied), 4):
            await store.apply_many(applied[start:start + 4])
    else:
        for e in applied:
            await store.apply(e)
    expected = expected_scope(applied)

    for partner_id, org_id in itertools.product(("p1", "p2", "p3"), (None, "o1", "o2", "o3", "o4")):
        for clause in (words("jane"), words("doe"), words(prefix="jan"), words("acme"), words("id:u1", "id:o2")):
            found = {e.key for e in await store.find((clause,), partner_id, org_id, 100)}
            assert found == {key for key, (partner, org, terms) in expected.items()
                             if partner == partner_id and org_id in (None, org) and clause.satisfied_by(terms)}


# The property runs once per adapter rather than through the `store` fixture, so that each example gets a fresh
# store, and OpenSearch, a hundred times slower per example, runs fewer of them.
@pytest.mark.unit
@pytest.mark.parametrize("batched", [False, True], ids=["one_by_one", "in_batches"])
@settings(max_examples=100, deadline=None)
@given(applied=entries_in_any_order())
async def test_every_partner_finds_exactly_the_live_entries_of_the_customers_it_manages_in_memory(
    batched: bool, applied: list[Entry]
) -> None:
    await check_scope(MemorySearchStore(), applied, batched)


@pytest.mark.integration
@pytest.mark.parametrize("batched", [False, True], ids=["one_by_one", "in_batches"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(applied=entries_in_any_order())
async def test_every_partner_finds_exactly_the_live_entries_of_the_customers_it_manages_on_opensearch(
    opensearch_url: str, batched: bool, applied: list[Entry]
) -> None:
    async with scratch_opensearch(opensearch_url) as store:
        await check_scope(store, applied, batched)
