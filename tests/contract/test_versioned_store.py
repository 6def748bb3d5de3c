"""Versioned records change the same way in memory and on MongoDB: one write with its events, or none at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Event
from runtime.documents import Documents
from runtime.versioned import ATTEMPTS, Busy, Decision, Versioned, VersionedStore
from tests.contract.conftest import versioned_store
from tests.factories import user_upserted


class Counter(Versioned):
    name: str
    count: int = 0
    since: datetime | None = None


class CounterStore(VersionedStore[Counter]):
    model = Counter
    collection = "counters"


@pytest.fixture
async def store(database: AsyncDatabase[dict[str, Any]] | None) -> CounterStore:
    return await versioned_store(CounterStore, database)


def add(amount: int, events: tuple[Event, ...] = ()) -> Callable[[Counter | None], Decision[Counter]]:
    def decide(current: Counter | None) -> Decision[Counter]:
        counter = current or Counter(name="c")
        if amount == 0:
            return None
        return counter.model_copy(update={"count": counter.count + amount}), events

    return decide


async def test_a_change_is_saved_with_its_events_and_reads_back_as_the_model(store: CounterStore) -> None:
    event = user_upserted()
    since = datetime(2024, 5, 2, 8, 15, tzinfo=UTC)

    outcome = await store.change("c", lambda _: (Counter(name="c", count=1, since=since), [event]))

    assert outcome.changed
    assert await store.get("c") == Counter(name="c", count=1, since=since, version=1) == outcome.record
    assert [p.event.event_id for p in await store.documents.pending(10)] == [event.event_id]
    assert await store.get("other") is None


async def test_each_change_raises_the_version_by_one(store: CounterStore) -> None:
    await store.change("c", add(1))
    outcome = await store.change("c", add(2))

    assert outcome.record == Counter(name="c", count=3, version=2)


async def test_deciding_nothing_writes_nothing_and_announces_nothing(store: CounterStore) -> None:
    await store.change("c", add(1))

    outcome = await store.change("c", add(0, (user_upserted(),)))

    assert not outcome.changed
    assert outcome.record == Counter(name="c", count=1, version=1)
    assert await store.documents.pending(10) == []
    assert (await store.change("missing", add(0))).record is None


class Overtaken:
    """Documents where another writer adds 10 to the record just before each of the next `times` saves."""

    def __init__(self, inner: Documents, times: int) -> None:
        self._inner, self._times = inner, times
        self.name = inner.name

    def __getattr__(self, method: str) -> Any:
        return getattr(self._inner, method)

    async def save(self, doc: dict[str, Any], *, expected_version: int | None, events: Any = ()) -> None:
        if self._times:
            self._times -= 1
            theirs = await self._inner.get(doc["_id"])
            assert theirs is not None
            await self._inner.save({**theirs, "count": theirs["count"] + 10, "version": theirs["version"] + 1},
                                   expected_version=theirs["version"])
        await self._inner.save(doc, expected_version=expected_version, events=events)


async def test_a_change_that_meets_another_writer_is_decided_again_on_what_that_writer_left(
        store: CounterStore) -> None:
    await store.change("c", add(1))

    outcome = await CounterStore(Overtaken(store.documents, times=1)).change("c", add(2))

    assert outcome.record == Counter(name="c", count=13, version=3)
    assert await store.get("c") == outcome.record


async def test_a_record_that_never_stops_changing_is_refused_as_busy_and_left_to_the_others(
        store: CounterStore) -> None:
    await store.change("c", add(1))

    with pytest.raises(Busy):
        await CounterStore(Overtaken(store.documents, times=ATTEMPTS)).change("c", add(2, (user_upserted(),)))

    assert await store.get("c") == Counter(name="c", count=1 + 10 * ATTEMPTS, version=1 + ATTEMPTS)
    assert await store.documents.pending(10) == []
