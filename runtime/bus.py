"""The event bus: what a service needs to publish and consume events, and the in-process implementation.

Both implementations deliver at least once, keep one entity's events in order (by key), retry a failing
handler a few times, and then set the message aside on a dead-letter list or topic so the rest moves on. A handler
that fails because its store cannot be reached is not the message's fault: it is retried until the store is back,
and the message is never set aside for it. Which errors say so is the service's to tell (`Subscription.unreachable`,
from what its stores declare): the bus knows no store.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from contracts import Event, decode
from runtime import metrics, tracing
from runtime.logs import correlation_id
from runtime.retry import LONGEST_DELAY

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]
BatchHandler = Callable[[Sequence[Event]], Awaitable[None]]
Errors = tuple[type[Exception], ...]


@dataclass(frozen=True)
class Subscription:
    """A consumer group's interest in some topics. Every replica of a service shares one group.

    With `replay`, every replica instead reads every partition itself, from the beginning at each start, and
    commits nothing: for a read model each replica keeps in memory. `group` then only names its dead letters.
    """

    group: str
    topics: tuple[str, ...]
    handler: Handler
    replay: bool = False
    # Handles many events at once where the bus reads them in batches (Kafka); a batch that fails is handed to
    # `handler` one event at a time, so only a message that keeps failing is dead-lettered.
    batch_handler: BatchHandler | None = None
    # Errors meaning a store the handlers need cannot be reached (MongoDB's server selection failing, OpenSearch
    # refusing connections): waited out, not counted towards dead-lettering, or every event consumed during an outage
    # would be set aside and its effect lost. The service adds what its stores declare (runtime.service.Service).
    unreachable: Errors = ()


Handles = Mapping[type[Any], Callable[[Any], Awaitable[object]]]
"""What a service does with each type of event it consumes: `{OrgUpserted: follow_customer, …}`."""


def subscribe(group: str, handles: Handles, *, replay: bool = False,
              handle_many: Callable[[Sequence[Any]], Awaitable[object]] | None = None) -> Subscription:
    """A subscription to the topics of the events in `handles`, each event handed to its handler; an event of
    another type on those topics (another producer's, or a newer one) is passed over. `handle_many`, if given,
    takes the events of `handles`' types a batch at a time, in the order read."""
    topics = tuple(dict.fromkeys(kind.TOPIC for kind in handles))

    async def dispatch(event: Event) -> None:
        handle = handles.get(type(event))
        if handle is not None:
            await handle(event)

    batch_handler: BatchHandler | None = None
    if handle_many is not None:
        many = handle_many

        async def dispatch_many(events: Sequence[Event]) -> None:
            handled = [e for e in events if type(e) in handles]
            if handled:
                await many(handled)

        batch_handler = dispatch_many
    return Subscription(group, topics, dispatch, replay=replay, batch_handler=batch_handler)


@dataclass(frozen=True)
class DeadLetter:
    group: str
    topic: str
    message: Event | bytes
    error: str


class Bus(Protocol):
    def subscribe(self, subscription: Subscription) -> None: ...
    async def publish(self, event: Event) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def ready(self) -> bool: ...
    async def caught_up(self) -> bool:
        """Whether every replay subscription has handled what its topics held when it started."""
        ...
    def replay_progress(self) -> float:
        """How far the replay subscriptions are through what their topics held, 0 to 1 (1 with none)."""
        ...


class DeliveryFailed(Exception):
    """Raised when a message could not be handled after every attempt."""


async def deliver(subscription: Subscription, message: Event | bytes, attempts: int, backoff: float = 0.05) -> None:
    """Decode a message and run the handler, retrying; raise DeliveryFailed with the last error."""
    try:
        event = message if isinstance(message, Event) else decode(message)
    except ValueError as error:
        raise DeliveryFailed(f"undecodable message: {error}") from error
    token = correlation_id.set(event.correlation_id)
    try:
        if event.traceparent:  # the handling joins the trace that made the event
            with tracing.consuming(event.event_type, event.traceparent):
                await _attempt(subscription, event, attempts, backoff)
        else:
            await _attempt(subscription, event, attempts, backoff)
    finally:
        correlation_id.reset(token)


async def _attempt(subscription: Subscription, event: Event, attempts: int, backoff: float) -> None:
    """Run the handler until it succeeds. `attempts` failures of its own raise DeliveryFailed; failures to reach the
    store do not count: the partition waits for the store (and a rebalance hands it on if this takes too long)."""
    failures = tries = 0
    while True:
        tries += 1
        try:
            await subscription.handler(event)
            metrics.events_consumed(subscription.group, event.TOPIC).inc()
            return
        except Exception as error:  # any handler error is retried, then dead-lettered
            metrics.events_failed(subscription.group, event.TOPIC).inc()
            unreachable = isinstance(error, subscription.unreachable)
            failures += not unreachable
            log.warning(
                "handler failed, store unreachable" if unreachable else "handler failed",
                extra={"group": subscription.group, "event_type": event.event_type,
                       "event_id": event.event_id, "attempt": tries, "error": repr(error)},
            )
            if failures == attempts:
                raise DeliveryFailed(repr(error)) from error
            await asyncio.sleep(min(backoff * 2 ** (tries - 1), LONGEST_DELAY))


@dataclass
class _Consumer:
    subscription: Subscription
    queue: asyncio.Queue[tuple[str, Event | bytes]] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None


class InProcessBus:
    """Events delivered inside one process (the embedded mode and unit tests).

    Each consumer group gets its own queue and worker, so a publisher never runs a consumer's code and a
    slow consumer never blocks a publisher, as with Kafka. Topics are kept as logs so a group that
    subscribes late still reads from the beginning. Events are immutable, so they are handed over as they
    are, without the serialisation that Kafka needs (the contract and Kafka tests cover that).
    """

    def __init__(self, attempts: int = 3) -> None:
        self.attempts = attempts
        self.dead_letters: list[DeadLetter] = []
        self._log: dict[str, list[Event | bytes]] = defaultdict(list)
        self._consumers: list[_Consumer] = []
        self._readers: dict[str, list[_Consumer]] = defaultdict(list)  # the consumers of each topic
        self._running = False

    def subscribe(self, subscription: Subscription) -> None:
        metrics.consuming(subscription.group, subscription.topics)
        consumer = _Consumer(subscription)
        self._consumers.append(consumer)
        for topic in dict.fromkeys(subscription.topics):  # a topic named twice is still read once
            self._readers[topic].append(consumer)
            for message in self._log[topic]:
                consumer.queue.put_nowait((topic, message))
        if self._running:
            consumer.task = asyncio.create_task(self._work(consumer))

    async def publish(self, event: Event) -> None:
        await self.publish_raw(event.TOPIC, event)

    async def publish_raw(self, topic: str, message: Event | bytes) -> None:
        self._log[topic].append(message)
        metrics.events_published(topic).inc()
        for consumer in self._readers[topic]:
            consumer.queue.put_nowait((topic, message))

    def published(self, topics: Iterable[str] | None = None) -> list[Event]:
        """Every event published so far, optionally only on some topics (for tests and replays)."""
        wanted = set(topics) if topics is not None else set(self._log)
        return [m if isinstance(m, Event) else decode(m)
                for topic, messages in self._log.items() if topic in wanted for m in messages]

    async def start(self) -> None:
        self._running = True
        for consumer in self._consumers:
            if consumer.task is None:
                consumer.task = asyncio.create_task(self._work(consumer))

    async def stop(self) -> None:
        self._running = False
        for consumer in self._consumers:
            if consumer.task is not None:
                consumer.task.cancel()
        await asyncio.gather(*(c.task for c in self._consumers if c.task), return_exceptions=True)
        for consumer in self._consumers:
            consumer.task = None

    async def ready(self) -> bool:
        return self._running

    async def caught_up(self) -> bool:
        return self._running and all(c.queue.empty() for c in self._consumers if c.subscription.replay)

    def replay_progress(self) -> float:
        if not self._running:
            return 0.0
        replays = [c for c in self._consumers if c.subscription.replay]
        total = sum(len(self._log[topic]) for c in replays for topic in set(c.subscription.topics))
        waiting = sum(c.queue.qsize() for c in replays)
        return 1.0 - waiting / total if total else 1.0

    async def drain(self) -> None:
        """Wait until every consumer has handled everything published so far."""
        await asyncio.gather(*(c.queue.join() for c in self._consumers))

    async def _work(self, consumer: _Consumer) -> None:
        queue = consumer.queue
        while True:
            item = await queue.get()
            while True:  # what is already queued is taken without waiting
                await self._handle(consumer, *item)
                if queue.empty():
                    break
                item = queue.get_nowait()

    async def _handle(self, consumer: _Consumer, topic: str, message: Event | bytes) -> None:
        try:
            await deliver(consumer.subscription, message, self.attempts, backoff=0.01)
        except DeliveryFailed as error:
            self.dead_letters.append(DeadLetter(consumer.subscription.group, topic, message, str(error)))
            metrics.dead_lettered(consumer.subscription.group, topic)
            log.error("dead-lettered", extra={"group": consumer.subscription.group, "topic": topic,
                                              "error": str(error)})
        finally:
            consumer.queue.task_done()
