"""The search read model on the real Kafka: replicas replaying the topics, and a rebuild from them alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from typer.testing import CliRunner

from contracts import Event
from helpdesk.cli import cli
from helpdesk.cluster import delete_topics
from runtime import dead_letters
from runtime.kafka import KafkaBus, dead_letter_topic
from services.search import consumers, handlers, rebuild
from services.search.domain import user_entry
from services.search.store import MemorySearchStore, SearchStore
from tests.factories import user
from tests.search_events import device_upserted, order_placed, org_upserted, phone, user_upserted
from tests.search_stores import scratch_opensearch
from tests.waiting import eventually

pytestmark = pytest.mark.integration

QUERIES = ("jane", "doe", "smith", "acme", "globex", "+1 415 555 0100", "00:1a:2b:3c:4d:5e", "WO-100200",
           "jane.doe@acme.example", "o-acme", "FOC")


def history() -> list[Event]:
    """Creations, changes, a deletion, a customer moving to another partner, events repeated."""
    jane = user_upserted(id="u-jane", org_id="o-acme", email="jane.doe@acme.example",
                         phone_numbers=(phone("+14155550100"),))
    return [
        org_upserted(id="o-acme", name="Acme", partner_id="p1", domains=[{"name": "acme.example",
                                                                          "status": "verified"}]),
        org_upserted(id="o-globex", name="Globex", partner_id="p2"),
        jane,
        user_upserted(id="u-john", org_id="o-acme", first_name="John", last_name="Smith"),
        user_upserted(id="u-john", org_id="o-acme", first_name="John", last_name="Smythe", version=2),
        user_upserted(id="u-gone", org_id="o-globex", partner_id="p2"),
        user_upserted(id="u-gone", org_id="o-globex", partner_id="p2", version=2, deleted=True),
        device_upserted(id="d1", org_id="o-acme", mac="001a2b3c4d5e"),
        order_placed(number="WO-100200", org_id="o-acme"),
        org_upserted(id="o-globex", name="Globex", partner_id="p1", version=2),
        jane,
    ]


async def answers(store: SearchStore) -> dict[tuple[str, str], dict[str, Any]]:
    return {(partner, q): await handlers.search(q, partner, None, 20, store)
            for partner in ("p1", "p2") for q in QUERIES}


async def built_live(events: list[Event]) -> MemorySearchStore:
    store = MemorySearchStore()
    for event in events:
        await handlers.index(event, store)
    return store


@pytest.fixture
async def publisher(kafka_bootstrap: str, unique: str) -> AsyncIterator[KafkaBus]:
    bus = KafkaBus(kafka_bootstrap, client_id="test", topic_prefix=f"t{unique}.")
    await bus.start()
    await eventually(bus.ready, timeout=30)
    yield bus
    await bus.stop()
    await delete_topics(kafka_bootstrap, f"t{unique}.")


async def replica(bootstrap: str, unique: str) -> tuple[KafkaBus, MemorySearchStore]:
    store = MemorySearchStore()
    bus = KafkaBus(bootstrap, client_id="search-test", topic_prefix=f"t{unique}.")
    for subscription in consumers.subscriptions(store, replay=True):
        bus.subscribe(subscription)
    await bus.start()
    return bus, store


async def test_a_replica_reads_the_topics_from_the_beginning_and_knows_when_it_has_caught_up(
    publisher: KafkaBus, kafka_bootstrap: str, unique: str
) -> None:
    events = history()
    for event in events:
        await publisher.publish(event)
    bus, store = await replica(kafka_bootstrap, unique)
    try:
        await eventually(bus.caught_up, timeout=60)

        assert await answers(store) == await answers(await built_live(events))
    finally:
        await bus.stop()


async def test_every_replica_reads_every_event_and_keeps_up(
    publisher: KafkaBus, kafka_bootstrap: str, unique: str
) -> None:
    await publisher.publish(org_upserted(id="o1", partner_id="p1"))
    replicas = [await replica(kafka_bootstrap, unique) for _ in range(2)]
    try:
        for bus, _ in replicas:
            await eventually(bus.caught_up, timeout=60)

        await publisher.publish(user_upserted(id="u-new", org_id="o1", first_name="Nina", last_name="Newman"))

        for _, store in replicas:
            async def found(store: MemorySearchStore = store) -> list[Any]:
                return list((await handlers.search("nina newman", "p1", None, 20, store))["users"])

            assert [hit["id"] for hit in await eventually(found, timeout=30)] == ["u-new"]
    finally:
        for bus, _ in replicas:
            await bus.stop()


async def test_a_rebuild_from_kafka_alone_answers_as_the_read_model_built_live(
    publisher: KafkaBus, kafka_bootstrap: str, unique: str, opensearch_url: str
) -> None:
    events = history()
    for event in events:
        await publisher.publish(event)
    topics = [publisher.topic(t) for t in consumers.TOPICS]
    seen: list[rebuild.Progress] = []
    memory = MemorySearchStore()
    async with scratch_opensearch(opensearch_url) as shared:
        await shared.apply(user_entry(user(id="u-stale", first_name="Stale"), "p1"))  # no event says so: dropped
        before = await shared.client.indices.get_alias(name=shared.entries)

        progress, _ = await rebuild.rebuild(memory, kafka_bootstrap, topics, seen.append)
        shared_progress = await rebuild.rebuild_shared(shared, kafka_bootstrap, topics)

        live = await answers(await built_live(events))
        assert await answers(memory) == live
        assert await answers(shared) == live
        assert await shared.count() == await memory.count()
        after = await shared.client.indices.get_alias(name=shared.entries)
        assert set(after).isdisjoint(before)  # a new generation, the old one dropped
        assert not await shared.client.indices.exists(index=",".join(before))
    assert (progress.events, shared_progress.events) == (len(events), len(events))
    assert seen[-1].read == seen[-1].total == len(events)


async def test_replicas_sharing_opensearch_index_in_batches_and_set_aside_a_poison_message(
    publisher: KafkaBus, kafka_bootstrap: str, unique: str, opensearch_url: str
) -> None:
    """The distributed search tier: two replicas share the group's partitions and one OpenSearch index."""
    events = history()
    async with scratch_opensearch(opensearch_url, visible_at_once=False) as shared:
        replicas = []
        for n in range(2):
            bus = KafkaBus(kafka_bootstrap, client_id=f"search-{n}", topic_prefix=f"t{unique}.")
            for subscription in consumers.subscriptions(shared, replay=False):
                bus.subscribe(subscription)
            await bus.start()
            replicas.append(bus)
        try:
            for event in events[:5]:
                await publisher.publish(event)
            await publisher.broker.publish(b'{"event_type": "UserUpserted", "user": "not a user"}',
                                           publisher.topic("identity.users"), key=b"u-poison")
            for event in events[5:]:
                await publisher.publish(event)
            live = await answers(await built_live(events))

            async def same_answers() -> bool:
                return await answers(shared) == live

            assert await eventually(same_answers, timeout=60)
            dead = await _read(kafka_bootstrap, publisher.topic(dead_letter_topic("search")), 1)
            assert [record.key for record in dead] == [b"u-poison"]
        finally:
            for bus in replicas:
                await bus.stop()


def test_the_rebuild_command_shows_progress_and_what_it_built(
    kafka_bootstrap: str, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def publish() -> None:
        bus = KafkaBus(kafka_bootstrap, client_id="test", topic_prefix=f"t{unique}.")
        await bus.start()
        await eventually(bus.ready, timeout=30)
        for event in history():
            await bus.publish(event)
        await bus.stop()

    asyncio.run(publish())
    monkeypatch.setenv("SEARCH_KAFKA_BOOTSTRAP", kafka_bootstrap)
    monkeypatch.setenv("SEARCH_TOPIC_PREFIX", f"t{unique}.")

    result = CliRunner().invoke(cli, ["search", "rebuild", "--store", "memory"])

    assert result.exit_code == 0, result.output
    assert "rebuilt in memory: 7 entries" in result.stdout
    assert f"{len(history())}/{len(history())} offsets (100%)" in result.stderr


async def test_a_replica_sets_aside_an_event_it_cannot_index_and_still_catches_up(
    publisher: KafkaBus, kafka_bootstrap: str, unique: str
) -> None:
    await publisher.publish(org_upserted(id="o1", partner_id="p1"))
    await publisher.broker.publish(b'{"event_type": "UserUpserted", "user": "not a user"}',
                                   publisher.topic("identity.users"), key=b"u-poison")
    await publisher.broker.publish(None, publisher.topic("identity.users"), key=b"u-tombstone")  # no body at all
    await publisher.publish(user_upserted(id="u-fine", org_id="o1"))
    bus, store = await replica(kafka_bootstrap, unique)
    try:
        await eventually(bus.caught_up, timeout=60)

        found = await handlers.search("jane", "p1", None, 20, store)
        dead = await _read(kafka_bootstrap, bus.topic(dead_letter_topic("search")), 2)
    finally:
        await bus.stop()
    assert [hit["id"] for hit in found["users"]] == ["u-fine"]
    assert sorted(d.key for d in dead) == [b"u-poison", b"u-tombstone"]
    assert all("undecodable" in dict(d.headers)["error"].decode() for d in dead)


async def test_a_replica_started_again_does_not_set_aside_what_is_set_aside_already(
    publisher: KafkaBus, kafka_bootstrap: str, unique: str
) -> None:
    """A replica replays the topics at every start and meets the same poison message each time; the dead-letter
    topic holds it once, set aside by the replica that met it first, so its count and alert tell of new failures
    only (replicas started one after the other: two starting at the same moment may each write it once)."""
    await publisher.publish(org_upserted(id="o1", partner_id="p1"))
    await publisher.broker.publish(b'{"event_type": "UserUpserted", "user": "not a user"}',
                                   publisher.topic("identity.users"), key=b"u-poison")
    await publisher.publish(user_upserted(id="u-fine", org_id="o1"))
    held = []
    for _ in range(3):  # a first start, a restart, and a second replica
        bus, store = await replica(kafka_bootstrap, unique)
        try:
            await eventually(bus.caught_up, timeout=60)
            found = await handlers.search("jane", "p1", None, 20, store)
        finally:
            await bus.stop()
        assert [hit["id"] for hit in found["users"]] == ["u-fine"]
        held.append({h.topic: h.messages for h in await dead_letters.held(kafka_bootstrap, f"t{unique}.")})

    assert held == [{f"t{unique}.dlq.search": 1}] * 3


async def _read(bootstrap: str, topic: str, count: int) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        return [await asyncio.wait_for(consumer.getone(), 30) for _ in range(count)]
    finally:
        await consumer.stop()
