"""The event bus: what a service needs to publish and consume events, and the in-process implementation.

Both implementations deliver at least once, keep one entity's events in order (by key), retry a failing
handler a few times, and then set the message aside on a dead-letter list or topic so the rest moves on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from contracts import Event, decode
from helpdesk.runtime.logs import correlation_id

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A consumer group's interest in some topics. Every replica of a service shares one group."""

    group: str
    topics: tuple[str, ...]
    handler: Handler


@dataclass(frozen=True)
class DeadLetter:
    group: str
    topic: str
    body: bytes
    error: str


class Bus(Protocol):
    def subscribe(self, subscription: Subscription) -> None: ...
    async def publish(self, event: Event) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def ready(self) -> bool: ...


class DeliveryFailed(Exception):
    """Raised when a message could not be handled after every attempt."""


async def deliver(subscription: Subscription, body: bytes, attempts: int, backoff: float = 0.05) -> None:
    """Decode a message and run the handler, retrying; raise DeliveryFailed with the last error."""
    try:
        event = decode(body)
    except ValueError as error:
        raise DeliveryFailed(f"undecodable message: {error}") from error
    token = correlation_id.set(event.correlation_id)
    try:
        for attempt in range(1, attempts + 1):
            try:
                await subscription.handler(event)
                return
            except Exception as error:  # any handler error is retried, then dead-lettered
                log.warning(
                    "handler failed",
                    extra={"group": subscription.group, "event_type": event.event_type,
                           "event_id": event.event_id, "attempt": attempt, "error": repr(error)},
                )
                if attempt == attempts:
                    raise DeliveryFailed(repr(error)) from error
                await asyncio.sleep(backoff * 2 ** (attempt - 1))
    finally:
        correlation_id.reset(token)


@dataclass
class _Consumer:
    subscription: Subscription
    queue: asyncio.Queue[tuple[str, bytes]] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None


class InProcessBus:
    """Events delivered inside one process (the embedded mode and unit tests).

    Each consumer group gets its own queue and worker, so a publisher never runs a consumer's code and a
    slow consumer never blocks a publisher, as with Kafka. Topics are kept as logs so a group that
    subscribes late still reads from the beginning.
    """

    def __init__(self, attempts: int = 3) -> None:
        self.attempts = attempts
        self.dead_letters: list[DeadLetter] = []
        self._log: dict[str, list[bytes]] = defaultdict(list)
        self._consumers: list[_Consumer] = []
        self._running = False

    def subscribe(self, subscription: Subscription) -> None:
        consumer = _Consumer(subscription)
        self._consumers.append(consumer)
        for topic in subscription.topics:
            for body in self._log[topic]:
                consumer.queue.put_nowait((topic, body))
        if self._running:
            consumer.task = asyncio.create_task(self._work(consumer))

    async def publish(self, event: Event) -> None:
        await self.publish_raw(event.TOPIC, event.to_json())

    async def publish_raw(self, topic: str, body: bytes) -> None:
        self._log[topic].append(body)
        for consumer in self._consumers:
            if topic in consumer.subscription.topics:
                consumer.queue.put_nowait((topic, body))

    def published(self, topics: Iterable[str] | None = None) -> list[Event]:
        """Every event published so far, optionally only on some topics (for tests and replays)."""
        wanted = set(topics) if topics is not None else set(self._log)
        return [decode(body) for topic, bodies in self._log.items() if topic in wanted for body in bodies]

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

    async def drain(self) -> None:
        """Wait until every consumer has handled everything published so far."""
        await asyncio.gather(*(c.queue.join() for c in self._consumers))

    async def _work(self, consumer: _Consumer) -> None:
        while True:
            topic, body = await consumer.queue.get()
            try:
                await deliver(consumer.subscription, body, self.attempts, backoff=0.01)
            except DeliveryFailed as error:
                self.dead_letters.append(DeadLetter(consumer.subscription.group, topic, body, str(error)))
                log.error("dead-lettered", extra={"group": consumer.subscription.group, "topic": topic,
                                                  "error": str(error)})
            finally:
                consumer.queue.task_done()
