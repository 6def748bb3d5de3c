"""The bus on Apache Kafka through FastStream: a producer with acks=all, offsets committed only after the handler
succeeded, a dead-letter topic per consumer group for messages that keep failing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.message import StreamMessage

from contracts import Event, decode
from contracts.topics import dead_letter_topic
from runtime import dead_letters, metrics
from runtime.bus import DeliveryFailed, Subscription, deliver
from runtime.lag import ConsumerLag
from runtime.retry import FIRST_DELAY, LONGEST_DELAY, until_it_works

log = logging.getLogger(__name__)


async def _undecoded(message: StreamMessage[Any]) -> Any:
    """The handler reads the records themselves; decoding every body as JSON first would be wasted work."""
    return message.body


@dataclass
class _Replay:
    """Where a replay subscription stands: the last offset it handled per partition, and where it must reach."""

    topics: tuple[str, ...]
    subscriber: Any = None
    handled: dict[tuple[str, int], int] = field(default_factory=dict)
    targets: dict[tuple[str, int], int] | None = None
    starts: dict[tuple[str, int], int] = field(default_factory=dict)  # the first offset of each target's partition
    done: bool = False

    async def caught_up(self) -> bool:
        if self.done:
            return True
        consumer = getattr(self.subscriber, "consumer", None)
        if consumer is None:
            return False
        assigned = list(consumer.assignment())
        if {tp.topic for tp in assigned} != set(self.topics):
            return False  # not every topic's partitions are assigned yet
        if self.targets is None:
            first, end = await consumer.beginning_offsets(assigned), await consumer.end_offsets(assigned)
            self.targets = {(tp.topic, tp.partition): end[tp] - 1 for tp in assigned if end[tp] > first[tp]}
            self.starts = {(tp.topic, tp.partition): first[tp] for tp in assigned}
        self.done = all(self.handled.get(tp, -1) >= last for tp, last in self.targets.items())
        return self.done

    def progress(self) -> float:
        """The share of the targets' messages handled, as `caught_up` last looked (0 before its first look)."""
        if self.done:
            return 1.0
        if self.targets is None:
            return 0.0
        total = handled = 0
        for tp, last in self.targets.items():
            first = self.starts[tp]
            total += last - first + 1
            handled += max(0, min(self.handled.get(tp, first - 1), last) - first + 1)
        return handled / total if total else 1.0


class KafkaBus:
    def __init__(self, bootstrap: str, *, client_id: str, topic_prefix: str = "", attempts: int = 3) -> None:
        self.bootstrap = bootstrap
        self.prefix = topic_prefix
        self.attempts = attempts
        self.broker = KafkaBroker(
            bootstrap,
            acks="all",
            # Not idempotent: aiokafka's idempotent producer fails a batch it held through a broker restart without
            # resetting its sequence numbers, and from then on every send fails with OutOfOrderSequenceNumber until
            # the process restarts (aio-libs/aiokafka#1017; tests/faults/test_outages.py). Without it a send gives up
            # after request_timeout_ms instead of waiting for the broker without end; order is kept all the same
            # (aiokafka has one request in flight per partition), and the copy a retry may write is a redelivery,
            # which every consumer already takes as a no-op.
            enable_idempotence=False,
            client_id=client_id,
            request_timeout_ms=10_000,
            logger=logging.getLogger("faststream"),
        )
        self._connected = asyncio.Event()
        self._connector: asyncio.Task[None] | None = None
        self._replays: list[_Replay] = []
        # For each replaying group, where the messages its dead-letter topic held came from, read at this process's
        # first failure, and what it set aside since: a replay meets the same poison message at every start and sets
        # it aside only if the topic does not hold it yet (replicas starting at the same moment may each write it).
        self._set_aside: dict[str, set[tuple[str, str, str]]] = {}
        self.lag = ConsumerLag(topic_prefix)

    def topic(self, name: str) -> str:
        return self.prefix + name

    def subscribe(self, subscription: Subscription) -> None:
        metrics.consuming(subscription.group, subscription.topics)
        if subscription.replay:
            self._subscribe_replay(subscription)
            return
        if subscription.batch_handler is not None:
            self._subscribe_batches(subscription)
            return

        subscriber = self.broker.subscriber(
            *(self.topic(t) for t in subscription.topics),
            group_id=self.topic(subscription.group),
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,  # a failure to dead-letter re-reads the message
        )
        self.lag.watch(subscription.group, subscriber)

        @subscriber
        async def on_message(message: KafkaMessage) -> None:
            try:
                await deliver(subscription, message.body, self.attempts)
            except DeliveryFailed as error:
                await self._dead_letter(subscription.group, message.raw_message, message.body, str(error))

    def _subscribe_batches(self, subscription: Subscription) -> None:
        """In the group, a batch at a time; offsets are committed once the whole batch is handled (a failure
        re-reads it, and handlers apply what they have seen already as a no-op)."""
        subscriber = self.broker.subscriber(
            *(self.topic(t) for t in subscription.topics),
            group_id=self.topic(subscription.group),
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            batch=True,
            max_records=500,
            batch_timeout_ms=20,
            decoder=_undecoded,
        )
        self.lag.watch(subscription.group, subscriber)

        @subscriber
        async def on_batch(message: KafkaMessage) -> None:
            await self._deliver_batch(subscription, message.raw_message)

    async def _deliver_batch(self, subscription: Subscription, records: Any) -> None:
        """All the batch's events to the batch handler; if it fails, each to the handler on its own, so only a
        message that keeps failing goes to the dead-letter topic and the rest of the batch is applied."""
        assert subscription.batch_handler is not None
        events: list[tuple[Any, Event]] = []
        for record in records:
            try:
                events.append((record, decode(record.value)))
            except ValueError as error:
                await self._dead_letter(subscription.group, record, record.value, f"undecodable message: {error}")
        delay = FIRST_DELAY
        while True:
            try:
                await subscription.batch_handler([event for _, event in events])
                for _, event in events:
                    metrics.events_consumed(subscription.group, event.TOPIC).inc()
                return
            except subscription.unreachable as error:  # the store is out of reach: the whole batch waits for it
                self._count_failed(subscription, events)
                log.warning("batch failed, store unreachable", extra={"group": subscription.group,
                                                                       "events": len(events), "error": repr(error)})
                await asyncio.sleep(delay)  # one write of the batch once it is back, not one per event
                delay = min(delay * 2, LONGEST_DELAY)
            except Exception as error:  # a failing batch is retried one event at a time
                self._count_failed(subscription, events)
                log.warning("batch failed, handling its events one by one",
                            extra={"group": subscription.group, "events": len(events), "error": repr(error)})
                break
        for record, event in events:
            try:
                await deliver(subscription, event, self.attempts)
            except DeliveryFailed as error:
                await self._dead_letter(subscription.group, record, record.value, str(error))

    @staticmethod
    def _count_failed(subscription: Subscription, events: list[tuple[Any, Event]]) -> None:
        for _, event in events:  # an attempt at each of the batch's events failed
            metrics.events_failed(subscription.group, event.TOPIC).inc()

    def _subscribe_replay(self, subscription: Subscription) -> None:
        """Every partition from the beginning, without a group and committing nothing. In batches: replaying a
        whole topic one message at a time costs more in the framework than in the handler."""
        replay = _Replay(tuple(self.topic(t) for t in subscription.topics))
        subscriber = self.broker.subscriber(
            *replay.topics,
            group_id=None,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.ACK_FIRST,
            batch=True,
            max_records=500,
            batch_timeout_ms=20,  # how long an idle consumer sleeps between polls: the added latency at worst
            decoder=_undecoded,
        )
        replay.subscriber = subscriber
        self._replays.append(replay)
        self.lag.watch(subscription.group, subscriber)

        @subscriber
        async def on_batch(message: KafkaMessage) -> None:
            await self._replay_batch(subscription, replay, message.raw_message)

    async def _replay_batch(self, subscription: Subscription, replay: _Replay, records: Any) -> None:
        """Hand each record over in order. A replay commits nothing and its batches are taken as read, so a record
        is never skipped: one that cannot be handled waits until it is set aside in the dead-letter topic, unless
        that topic has it already (from this replica's last start, or another replica's)."""
        for record in records:
            try:
                await deliver(subscription, record.value, self.attempts)
            except DeliveryFailed as error:  # Kafka refusing the dead-letter write: try again, the replay waits
                set_aside = await self._dead_letters_of(subscription.group)
                origin = (record.topic, str(record.partition), str(record.offset))
                if origin in set_aside:
                    log.info("already dead-lettered", extra={"group": subscription.group, "original_topic":
                                                             record.topic, "original_offset": record.offset})
                else:
                    await until_it_works(partial(self._dead_letter, subscription.group, record, record.value,
                                                 str(error)), "cannot dead-letter, retrying")
                    set_aside.add(origin)
            replay.handled[(record.topic, record.partition)] = record.offset

    async def _dead_letters_of(self, group: str) -> set[tuple[str, str, str]]:
        if group not in self._set_aside:
            self._set_aside[group] = await until_it_works(
                partial(dead_letters.origins, self.bootstrap, self.topic(dead_letter_topic(group))),
                "cannot read the dead-letter topic, retrying", {"group": group})
        return self._set_aside[group]

    async def caught_up(self) -> bool:
        for replay in self._replays:
            if not await replay.caught_up():
                return False
        return True

    def replay_progress(self) -> float:
        return min((replay.progress() for replay in self._replays), default=1.0)

    async def _dead_letter(self, group: str, raw: Any, body: bytes, error: str) -> None:
        """Set the message aside as it was read: its value, key and headers (the event's type, correlation id and
        trace, which a replay puts back with it), and why and where from in headers of its own."""
        # A header may have no value at all (Kafka allows it): kept as an empty one, as this write must not fail.
        kept = {name: (value or b"").decode(errors="replace") for name, value in getattr(raw, "headers", None) or ()}
        headers = {
            **kept,
            "error": error[:1000],
            "original_topic": str(getattr(raw, "topic", "")),
            "original_partition": str(getattr(raw, "partition", "")),
            "original_offset": str(getattr(raw, "offset", "")),
        }
        key = getattr(raw, "key", None)
        await self.broker.publish(body, self.topic(dead_letter_topic(group)), key=key, headers=headers)
        metrics.dead_lettered(group, headers["original_topic"].removeprefix(self.prefix))
        log.error("dead-lettered", extra={"group": group, **headers})

    async def publish(self, event: Event) -> None:
        if not self._connected.is_set():
            raise ConnectionError("Kafka is not connected")
        headers = {"event_type": event.event_type, "correlation_id": event.correlation_id}
        if event.traceparent:  # W3C trace context, for subscribers that follow traces by header
            headers["traceparent"] = event.traceparent
        await self.broker.publish(event.to_json(), self.topic(event.TOPIC), key=event.key().encode(),
                                  headers=headers)
        metrics.events_published(event.TOPIC).inc()

    async def start(self) -> None:
        """Connect in the background, retrying, so a process starts (and says it is not ready) without Kafka."""
        self._connector = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        # Broker unreachable: keep trying, readiness says 503 meanwhile.
        await until_it_works(self.broker.start, "Kafka unavailable, retrying", after_failure=self._disconnect)
        self._connected.set()
        log.info("connected to Kafka")
        await self.lag.start()

    async def _disconnect(self) -> None:
        with contextlib.suppress(Exception):
            await self.broker.stop()

    async def stop(self) -> None:
        if self._connector is not None:
            self._connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connector
        await self.lag.stop()
        await self.broker.stop()
        self._connected.clear()

    async def ready(self) -> bool:
        if not self._connected.is_set():
            return False
        return bool(await self.broker.ping(timeout=2.0))
