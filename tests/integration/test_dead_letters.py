"""`helpdesk dlq list` and `helpdesk dlq replay` on the real Kafka broker: a message the bus dead-lettered is listed
with where it came from and why, and a replay puts it back on its topic with its key, once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from typer.testing import CliRunner

from contracts import Event
from runtime.bus import Subscription
from runtime.kafka import KafkaBus
from runtime.topics import ensure
from tests.factories import user_upserted
from tests.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def prefix(kafka_bootstrap: str, unique: str) -> str:
    """This test's own topics, made as `helpdesk infra topics` makes them."""
    outcome = await ensure(kafka_bootstrap, prefix=f"t{unique}.", factor=1)
    assert outcome.errors == []
    return f"t{unique}."


async def dlq(*args: str) -> tuple[int, list[str]]:
    """The command, in a thread of its own: it runs its own event loop."""
    from helpdesk.cli import cli

    result = await asyncio.to_thread(CliRunner().invoke, cli, ["dlq", *args])
    return result.exit_code, result.output.splitlines()


async def test_a_dead_lettered_event_is_listed_and_replayed_once_onto_its_topic(
        kafka_bootstrap: str, prefix: str) -> None:
    poison = user_upserted(id="u-poison").model_copy(update={
        "correlation_id": "req-7", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})

    async def refuse(event: Event) -> None:
        raise ValueError("the index refused it")

    bus = KafkaBus(kafka_bootstrap, client_id="test", topic_prefix=prefix, attempts=1)
    bus.subscribe(Subscription("search", ("identity.users",), refuse))
    await bus.start()
    try:
        await eventually(bus.ready, timeout=30)
        await bus.publish(poison)

        async def listed() -> list[str]:
            _, said = await dlq("list", "--bootstrap", kafka_bootstrap, "--prefix", prefix)
            return [line for line in said if line == f"{prefix}dlq.search: 1 message, 1 since the last replay"]

        await eventually(listed, timeout=30)
    finally:
        await bus.stop()

    code, shown = await dlq("list", "--bootstrap", kafka_bootstrap, "--prefix", prefix, "--show", "5")
    replayed = await dlq("replay", "search", "--bootstrap", kafka_bootstrap, "--prefix", prefix)
    again = await dlq("replay", "search", "--bootstrap", kafka_bootstrap, "--prefix", prefix)
    after = await dlq("list", "--bootstrap", kafka_bootstrap, "--prefix", prefix)

    assert code == 0
    search = shown.index(f"{prefix}dlq.search: 1 message, 1 since the last replay")
    assert shown[search + 1].endswith(f": UserUpserted, key 'u-poison', from {prefix}identity.users partition "
                                      f"{_partition_of(shown[search + 1])} offset 0")
    assert shown[search + 2] == "    error: ValueError('the index refused it')"
    assert replayed == (0, [f"replayed 1 message from {prefix}dlq.search: 1 to {prefix}identity.users"])
    assert again == (0, [f"nothing to replay in {prefix}dlq.search: no message came after the last replay"])
    assert f"{prefix}dlq.search: 1 message, 0 since the last replay" in after[1]
    users = await _read_all(kafka_bootstrap, prefix + "identity.users", 2)
    assert [(r.key, json.loads(r.value)["event_id"]) for r in users] == [(b"u-poison", poison.event_id)] * 2
    # Put back as it was published: the event's own headers, not the dead-letter write's.
    assert {k: v for k, v in users[1].headers if k in ("event_type", "correlation_id", "traceparent")} == {
        k: v for k, v in users[0].headers if k in ("event_type", "correlation_id", "traceparent")} == {
        "event_type": b"UserUpserted", "correlation_id": b"req-7",
        "traceparent": b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}


async def test_replaying_a_group_without_a_dead_letter_topic_is_refused(kafka_bootstrap: str, prefix: str) -> None:
    code, said = await dlq("replay", "no-such-group", "--bootstrap", kafka_bootstrap, "--prefix", prefix)

    assert code == 2
    assert said == [f"there is no dead-letter topic {prefix}dlq.no-such-group; the groups are access, access.audit, "
                    "access.sessions, email, gateway.roles, gateway.sessions, search"]


async def test_a_replay_puts_back_at_most_its_limit(kafka_bootstrap: str, prefix: str) -> None:
    bus = KafkaBus(kafka_bootstrap, client_id="test", topic_prefix=prefix)
    await bus.start()
    try:
        await eventually(bus.ready, timeout=30)
        for n in range(3):
            await bus.broker.publish(b"{}", prefix + "dlq.email", key=f"u{n}".encode(),
                                     headers={"original_topic": prefix + "gateway.commands", "error": "boom"})
    finally:
        await bus.stop()

    first = await dlq("replay", "email", "--limit", "2", "--bootstrap", kafka_bootstrap, "--prefix", prefix)
    rest = await dlq("replay", "email", "--bootstrap", kafka_bootstrap, "--prefix", prefix)

    assert first == (0, [f"replayed 2 messages from {prefix}dlq.email: 2 to {prefix}gateway.commands"])
    assert rest == (0, [f"replayed 1 message from {prefix}dlq.email: 1 to {prefix}gateway.commands"])


def _partition_of(line: str) -> str:
    return line.split(" partition ")[-1].split(" ")[0]


async def _read_all(bootstrap: str, topic: str, expected: int) -> list[Any]:
    """The topic's messages, by a consumer of no group: the `expected` ones and any that come within a second more."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        found: list[Any] = []
        async with asyncio.timeout(30):
            while len(found) < expected:
                found += [r for records in (await consumer.getmany(timeout_ms=500)).values() for r in records]
        found += [r for records in (await consumer.getmany(timeout_ms=1000)).values() for r in records]
        return found
    finally:
        await consumer.stop()
