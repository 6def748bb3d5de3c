"""The dead-letter topics for an operator, as `helpdesk dlq` does: how many messages each holds and what they are,
and putting a group's dead letters back on the topics they came from once the cause is fixed.

A replay republishes each message with its key (so it lands on the partition of its entity, in order after what is
there) and commits its progress in a consumer group of its own, `dlq-replay.<group>`: a message is replayed once,
however often the replay is run. Every group that reads the original topic gets the message again; consumers are
idempotent, as for any redelivery. The dead-letter topic keeps what was replayed until its retention ends.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import CONSUMER_GROUPS, EVENT_TOPICS, dead_letter_topic

# The headers KafkaBus._dead_letter writes beside the message, and which a replay does not pass on.
WHERE_FROM = ("original_topic", "original_partition", "original_offset", "error")


def replay_group(group: str) -> str:
    """The consumer group in which the replay of `group`'s dead letters keeps its progress."""
    return f"dlq-replay.{group}"


@dataclass(frozen=True)
class DeadLetter:
    """One message in a dead-letter topic, and where it came from."""

    partition: int
    offset: int
    at: datetime
    key: bytes | None
    value: bytes | None
    headers: Mapping[str, str]

    @property
    def event_type(self) -> str:
        """The event's type as its body names it; "?" when the body is not an event."""
        try:
            body = json.loads(self.value or b"")
        except ValueError:
            return "?"
        return str(body.get("event_type", "?")) if isinstance(body, dict) else "?"

    def describe(self) -> list[str]:
        source = (f"{self.headers.get('original_topic', '?')} partition {self.headers.get('original_partition', '?')} "
                  f"offset {self.headers.get('original_offset', '?')}")
        key = "no key" if self.key is None else f"key {self.key.decode(errors='replace')!r}"
        return [f"  partition {self.partition} offset {self.offset} at {self.at:%Y-%m-%dT%H:%M:%SZ}: "
                f"{self.event_type}, {key}, from {source}",
                f"    error: {self.headers.get('error', '?')}"]


@dataclass(frozen=True)
class Held:
    """What a dead-letter topic holds: how many messages, how many arrived since the last replay (all of them when
    none ran), and the last ones asked for."""

    topic: str
    messages: int
    since_replay: int
    last: Sequence[DeadLetter]


@dataclass(frozen=True)
class Replayed:
    """What a replay did: the messages put back, by topic, and those it could not (with why)."""

    topic: str
    put_back: Mapping[str, int]
    skipped: Sequence[str]


async def held(bootstrap: str, prefix: str = "", show: int = 0) -> list[Held]:
    """Every dead-letter topic in the cluster under `prefix`: the declared ones that exist, and any other `dlq.`
    topic (of a group since renamed), each with its last `show` messages."""
    async with _admin(bootstrap) as admin:
        partitions = await _partitions(admin, prefix)
        declared = [prefix + dead_letter_topic(group) for group in CONSUMER_GROUPS]
        names = [name for name in declared if name in partitions]
        names += sorted(name for name in partitions if name.startswith(prefix + "dlq.") and name not in declared)
        if not names:  # and no consumer: one stopped before it has waited for anything fails to stop (see _last)
            return []
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="helpdesk-dlq")
        await consumer.start()
        try:
            found = []
            for name in names:
                tps = [TopicPartition(name, p) for p in partitions[name]]
                first, end = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
                group = prefix + replay_group(name.removeprefix(prefix + "dlq."))
                done = await _committed(admin, group, tps)
                found.append(Held(name, sum(end[tp] - first[tp] for tp in tps),
                                  sum(end[tp] - max(first[tp], done.get(tp, 0)) for tp in tps),
                                  await _last(bootstrap, tps, first, end, show) if show else []))
            return found
        finally:
            await consumer.stop()


async def replay(bootstrap: str, group: str, prefix: str = "", limit: int | None = None) -> Replayed:
    """Put `group`'s dead letters not replayed yet back on their original topics, at most `limit` of them, up to
    what the dead-letter topic held when the replay started. Raises LookupError when there is no such topic."""
    name = prefix + dead_letter_topic(group)
    async with _admin(bootstrap) as admin:
        partitions = (await _partitions(admin, prefix)).get(name)
    if partitions is None:
        raise LookupError(f"there is no dead-letter topic {name}; the groups are {', '.join(CONSUMER_GROUPS)}")
    targets = {prefix + topic.name for topic in EVENT_TOPICS}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=prefix + replay_group(group),
                                enable_auto_commit=False, auto_offset_reset="earliest", client_id="helpdesk-dlq")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                client_id="helpdesk-dlq")
    await consumer.start()
    await producer.start()
    try:
        tps = [TopicPartition(name, p) for p in partitions]
        consumer.assign(tps)  # assigned, not subscribed: no rebalance to wait for; offsets are still the group's
        end = await consumer.end_offsets(tps)
        put_back: dict[str, int] = {}
        skipped: list[str] = []
        handled = 0
        async with contextlib.aclosing(_until(consumer, end)) as records:
            async for record in records:
                if limit is not None and handled >= limit:
                    break
                headers = {key: value.decode(errors="replace") for key, value in record.headers}
                target = headers.get("original_topic", "")
                if target in targets:
                    passed_on = [(k, v.encode()) for k, v in headers.items() if k not in WHERE_FROM]
                    await producer.send_and_wait(target, record.value, key=record.key,
                                                 headers=[*passed_on, *_envelope_headers(record.value, headers)])
                    put_back[target] = put_back.get(target, 0) + 1
                else:  # not one of ours: nowhere to put it back; it stays in the dead-letter topic for an operator
                    skipped.append(f"partition {record.partition} offset {record.offset}: original topic "
                                   f"{target or 'unknown'} is not an event topic under prefix {prefix!r}")
                await consumer.commit({TopicPartition(record.topic, record.partition): record.offset + 1})
                handled += 1
        return Replayed(name, put_back, skipped)
    finally:
        await producer.stop()
        await consumer.stop()


async def origins(bootstrap: str, topic: str) -> set[tuple[str, str, str]]:
    """Where each message the dead-letter topic `topic` holds came from, as its headers say: (original topic,
    partition, offset). Empty when the topic does not exist (yet)."""
    async with _admin(bootstrap) as admin:
        partitions = (await _partitions(admin, topic)).get(topic)
    if not partitions:
        return set()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="helpdesk-dlq")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        first, end = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
        held = {tp: end[tp] for tp in tps if end[tp] > first[tp]}
        if not held:
            return set()
        consumer.assign(list(held))
        for tp in held:
            consumer.seek(tp, first[tp])
        found: set[tuple[str, str, str]] = set()
        async with contextlib.aclosing(_until(consumer, held)) as records:
            async for record in records:
                headers = {key: value.decode(errors="replace") for key, value in record.headers}
                found.add((headers.get("original_topic", ""), headers.get("original_partition", ""),
                           headers.get("original_offset", "")))
        return found
    finally:
        await consumer.stop()


def _envelope_headers(value: bytes | None, headers: Mapping[str, str]) -> list[tuple[str, bytes]]:
    """The headers the bus gives a published event (event_type, correlation_id, a traceparent when there is one),
    from its body, where the dead letter lacks them."""
    try:
        body = json.loads(value or b"")
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    found = {"event_type": body.get("event_type"), "correlation_id": body.get("correlation_id"),
             "traceparent": body.get("traceparent") or None}
    return [(name, str(found_value).encode()) for name, found_value in found.items()
            if found_value is not None and name not in headers]


async def _until(consumer: AIOKafkaConsumer, end: Mapping[TopicPartition, int]) -> AsyncGenerator[Any, None]:
    """The assigned partitions' records, in order per partition, up to the offsets in `end` (excluded)."""
    pending = {tp for tp, offset in end.items() if await consumer.position(tp) < offset}
    while pending:
        fetched = await consumer.getmany(*pending, timeout_ms=1000)
        for tp, records in fetched.items():
            for record in records:
                if record.offset >= end[tp]:
                    break
                yield record
        pending = {tp for tp in pending if await consumer.position(tp) < end[tp]}


async def _last(bootstrap: str, tps: list[TopicPartition], first: Mapping[TopicPartition, int],
                end: Mapping[TopicPartition, int], count: int) -> list[DeadLetter]:
    """The last `count` messages of the partitions together, oldest first. A consumer of their own, started only to
    read something: aiokafka's consumer can hang on stopping when it was assigned other partitions just before, and
    fails to stop when it is stopped before it has waited for anything."""
    starts = {tp: max(first[tp], end[tp] - count) for tp in tps if end[tp] > first[tp]}
    if not starts:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="helpdesk-dlq")
    await consumer.start()
    try:
        consumer.assign(list(starts))
        for tp, offset in starts.items():
            consumer.seek(tp, offset)
        async with contextlib.aclosing(_until(consumer, {tp: end[tp] for tp in starts})) as records:
            letters = [DeadLetter(r.partition, r.offset, datetime.fromtimestamp(r.timestamp / 1000, UTC), r.key,
                                  r.value, {k: v.decode(errors="replace") for k, v in r.headers})
                       async for r in records]
    finally:
        await consumer.stop()
    return sorted(letters, key=lambda letter: (letter.at, letter.partition, letter.offset))[-count:]


@contextlib.asynccontextmanager
async def _admin(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="helpdesk-dlq")
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def _partitions(admin: AIOKafkaAdminClient, prefix: str) -> dict[str, list[int]]:
    """The partitions of every topic under `prefix`, from the whole cluster's metadata (asking for a topic by name
    would create it where the broker auto-creates topics)."""
    return {t["topic"]: sorted(p["partition"] for p in t["partitions"]) for t in await admin.describe_topics()
            if t["topic"].startswith(prefix) and not t["error_code"]}


async def _committed(admin: AIOKafkaAdminClient, group: str, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
    """The offsets `group` committed on these partitions (none for a group that never ran)."""
    offsets = await admin.list_consumer_group_offsets(group, partitions=tps)
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
