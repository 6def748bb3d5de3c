"""The bus on the real Kafka broker: delivery, committed offsets, the dead-letter topic."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer

from contracts import Event
from runtime.bus import Subscription
from runtime.kafka import KafkaBus, dead_letter_topic
from tests.factories import user_upserted
from tests.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def buses(kafka_bootstrap: str, unique: str) -> AsyncIterator[list[KafkaBus]]:
    """Buses made by a test, all on topics of this test only, stopped at the end."""
    made: list[KafkaBus] = []
    yield made
    for bus in made:
        await bus.stop()


def new_bus(buses: list[KafkaBus], bootstrap: str, unique: str) -> KafkaBus:
    bus = KafkaBus(bootstrap, client_id="test", topic_prefix=f"t{unique}.", attempts=2)
    buses.append(bus)
    return bus


async def started(bus: KafkaBus) -> KafkaBus:
    await bus.start()
    await eventually(bus.ready, timeout=30)
    return bus


async def test_a_published_event_reaches_the_consumer_group(
    buses: list[KafkaBus], kafka_bootstrap: str, unique: str
) -> None:
    received: list[Event] = []

    async def handler(event: Event) -> None:
        received.append(event)

    bus = new_bus(buses, kafka_bootstrap, unique)
    bus.subscribe(Subscription("search", ("identity.users",), handler))
    await started(bus)
    event = user_upserted(id="u1")

    await bus.publish(event)

    await eventually(lambda: _async(received), timeout=30)
    assert received == [event]


async def test_a_restarted_consumer_resumes_after_the_last_committed_event(
    buses: list[KafkaBus], kafka_bootstrap: str, unique: str
) -> None:
    first_run: list[str] = []
    second_run: list[str] = []

    async def record_first(event: Event) -> None:
        first_run.append(event.key())

    async def record_second(event: Event) -> None:
        second_run.append(event.key())

    bus = new_bus(buses, kafka_bootstrap, unique)
    bus.subscribe(Subscription("search", ("identity.users",), record_first))
    await started(bus)
    await bus.publish(user_upserted(id="before"))
    await eventually(lambda: _async(first_run), timeout=30)
    await bus.stop()

    again = new_bus(buses, kafka_bootstrap, unique)
    again.subscribe(Subscription("search", ("identity.users",), record_second))
    await started(again)
    await again.publish(user_upserted(id="after"))

    await eventually(lambda: _async(second_run), timeout=30)
    assert first_run == ["before"]
    assert second_run == ["after"]


async def test_a_message_that_keeps_failing_goes_to_the_dead_letter_topic_and_the_next_flows(
    buses: list[KafkaBus], kafka_bootstrap: str, unique: str
) -> None:
    handled: list[str] = []

    async def picky(event: Event) -> None:
        if event.key() == "poison":
            raise ValueError("cannot index this user")
        handled.append(event.key())

    bus = new_bus(buses, kafka_bootstrap, unique)
    bus.subscribe(Subscription("search", ("identity.users",), picky))
    await started(bus)
    poison = user_upserted(id="poison")

    await bus.publish(poison)
    await bus.publish(user_upserted(id="fine"))

    await eventually(lambda: _async(handled), timeout=30)
    assert handled == ["fine"]
    dead = await _read_one(kafka_bootstrap, bus.topic(dead_letter_topic("search")))
    headers = {k: v.decode() for k, v in dead.headers}
    assert json.loads(dead.value)["event_id"] == poison.event_id
    assert dead.key == b"poison"
    assert "cannot index this user" in headers["error"]
    assert headers["original_topic"] == bus.topic("identity.users")


async def _async(value: list[object]) -> list[object]:
    return value


async def _read_one(bootstrap: str, topic: str) -> object:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.getone()
    finally:
        await consumer.stop()
