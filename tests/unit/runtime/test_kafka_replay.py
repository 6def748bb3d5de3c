"""Consumers reading in batches never skip a record: a replay holds until a bad one is set aside, a group's batch
falls back to one event at a time so only the bad one is set aside."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from contracts import Event
from runtime import bus as runtime_bus
from runtime import kafka
from runtime.bus import Subscription
from runtime.kafka import KafkaBus, _Replay
from tests.factories import user_upserted

pytestmark = pytest.mark.unit


def _record(offset: int, value: bytes | None) -> Any:
    return SimpleNamespace(topic="identity.users", partition=0, offset=offset, key=f"k{offset}".encode(), value=value)


async def test_a_record_that_cannot_be_set_aside_holds_the_replay_until_it_can(monkeypatch: pytest.MonkeyPatch
                                                                                ) -> None:
    handled: list[str] = []

    async def handler(event: Event) -> None:
        handled.append(event.key())

    async def no_wait(_: float) -> None:
        return None

    bus = KafkaBus("127.0.0.1:1", client_id="test")  # never connected: the batch is handed over directly
    attempts: list[bytes | None] = []

    async def dead_letter(group: str, raw: Any, body: bytes | None, error: str) -> None:
        attempts.append(raw.key)
        if len(attempts) < 3:
            raise ConnectionError("Kafka refuses writes")

    monkeypatch.setattr(bus, "_dead_letter", dead_letter)
    monkeypatch.setattr(kafka.dead_letters, "origins", _holding())
    monkeypatch.setattr(kafka.asyncio, "sleep", no_wait)
    replay = _Replay(("identity.users",))
    records = [_record(0, user_upserted(id="u0").to_json()), _record(1, b"not an event"),
               _record(2, user_upserted(id="u2").to_json())]

    await bus._replay_batch(Subscription("search", ("identity.users",), handler, replay=True), replay, records)

    assert handled == ["u0", "u2"]
    assert attempts == [b"k1", b"k1", b"k1"]  # the bad record, until it was set aside; nothing skipped
    assert replay.handled == {("identity.users", 0): 2}


async def test_a_replay_sets_aside_only_what_its_dead_letter_topic_does_not_hold_and_reads_that_once(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    async def handler(event: Event) -> None:
        raise AssertionError("no record here is an event")

    async def no_wait(_: float) -> None:
        return None

    bus = KafkaBus("127.0.0.1:1", client_id="test")
    set_aside: list[bytes | None] = []
    reads: list[str] = []

    async def dead_letter(group: str, raw: Any, body: bytes | None, error: str) -> None:
        set_aside.append(raw.key)

    monkeypatch.setattr(bus, "_dead_letter", dead_letter)
    monkeypatch.setattr(kafka.dead_letters, "origins", _holding({("identity.users", "0", "0")}, reads,
                                                                 failures=2))
    monkeypatch.setattr(kafka.asyncio, "sleep", no_wait)
    subscription = Subscription("search", ("identity.users",), handler, replay=True)
    replay = _Replay(("identity.users",))

    await bus._replay_batch(subscription, replay, [_record(0, b"bad"), _record(1, b"bad")])
    await bus._replay_batch(subscription, replay, [_record(1, b"bad"), _record(2, b"bad")])  # met again

    assert set_aside == [b"k1", b"k2"]  # offset 0 was there before this start; 1 is set aside once
    assert reads == ["dlq.search"] * 3  # read once, after two failures to reach Kafka
    assert replay.handled == {("identity.users", 0): 2}


def _holding(origins: set[tuple[str, str, str]] | None = None, reads: list[str] | None = None,
             failures: int = 0) -> Any:
    """dead_letters.origins as a dead-letter topic holding `origins` answers it, after `failures` failed reads."""
    async def origins_of(bootstrap: str, topic: str) -> set[tuple[str, str, str]]:
        if reads is not None:
            reads.append(topic)
            if len(reads) <= failures:
                raise ConnectionError("Kafka unreachable")
        return set(origins or ())
    return origins_of


async def test_a_failing_batch_is_handled_one_event_at_a_time_and_only_the_bad_one_set_aside(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[list[str]] = []
    handled: list[str] = []

    async def handle_many(events: Sequence[Event]) -> None:
        batches.append([e.key() for e in events])
        raise RuntimeError("the store refused one of them")

    async def handler(event: Event) -> None:
        if event.key() == "u-bad":
            raise RuntimeError("cannot index this one")
        handled.append(event.key())

    async def no_wait(_: float) -> None:
        return None

    bus = KafkaBus("127.0.0.1:1", client_id="test")
    dead: list[tuple[bytes, str]] = []

    async def dead_letter(group: str, raw: Any, body: bytes | None, error: str) -> None:
        dead.append((raw.key, error))

    monkeypatch.setattr(bus, "_dead_letter", dead_letter)
    monkeypatch.setattr(runtime_bus.asyncio, "sleep", no_wait)
    subscription = Subscription("search", ("identity.users",), handler, batch_handler=handle_many)
    records = [_record(0, user_upserted(id="u0").to_json()), _record(1, b"not an event"),
               _record(2, user_upserted(id="u-bad").to_json()), _record(3, user_upserted(id="u3").to_json())]

    await bus._deliver_batch(subscription, records)

    assert batches == [["u0", "u-bad", "u3"]]  # the undecodable record never reaches the handlers
    assert handled == ["u0", "u3"]
    assert [key for key, _ in dead] == [b"k1", b"k2"]
    assert "undecodable" in dead[0][1]
    assert "cannot index this one" in dead[1][1]


async def test_a_batch_that_succeeds_is_handled_once_as_a_whole() -> None:
    batches: list[list[str]] = []

    async def handle_many(events: Sequence[Event]) -> None:
        batches.append([e.key() for e in events])

    async def handler(event: Event) -> None:
        raise AssertionError("not called one by one")

    bus = KafkaBus("127.0.0.1:1", client_id="test")
    subscription = Subscription("search", ("identity.users",), handler, batch_handler=handle_many)

    await bus._deliver_batch(subscription, [_record(n, user_upserted(id=f"u{n}").to_json()) for n in range(3)])

    assert batches == [["u0", "u1", "u2"]]


async def test_a_message_with_a_header_without_a_value_is_set_aside_with_its_headers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bus = KafkaBus("127.0.0.1:1", client_id="test")
    written: list[dict[str, str]] = []

    async def publish(body: bytes, topic: str, *, key: bytes | None, headers: dict[str, str]) -> None:
        written.append(headers)

    monkeypatch.setattr(bus.broker, "publish", publish)
    record = SimpleNamespace(topic="identity.users", partition=0, offset=7, key=b"k7", value=b"not an event",
                             headers=[("event_type", b"UserUpserted"), ("empty", None)])

    await bus._dead_letter("search", record, record.value, "undecodable message: not an event")

    assert written == [{"event_type": "UserUpserted", "empty": "", "error": "undecodable message: not an event",
                        "original_topic": "identity.users", "original_partition": "0", "original_offset": "7"}]


async def test_a_batch_whose_store_is_unreachable_waits_whole_rather_than_one_event_at_a_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    outage, batches = iter(range(2)), []

    async def handle_many(events: Sequence[Event]) -> None:
        batches.append([e.key() for e in events])
        if next(outage, None) is not None:
            raise ConnectionError("the store is out of reach")

    async def handler(event: Event) -> None:
        raise AssertionError("not called one by one")

    async def no_wait(_: float) -> None:
        return None

    monkeypatch.setattr(kafka.asyncio, "sleep", no_wait)
    bus = KafkaBus("127.0.0.1:1", client_id="test")
    subscription = Subscription("search", ("identity.users",), handler, batch_handler=handle_many,
                                unreachable=(ConnectionError,))

    await bus._deliver_batch(subscription, [_record(n, user_upserted(id=f"u{n}").to_json()) for n in range(3)])

    assert batches == [["u0", "u1", "u2"]] * 3  # two failed while the store was away, then the one write
