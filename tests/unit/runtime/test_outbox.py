"""A write and the events announcing it travel together: the relay publishes them, at least once."""

from __future__ import annotations

import asyncio

import pytest

from contracts import Event
from runtime.bus import InProcessBus
from runtime.documents import MemoryDocuments
from runtime.outbox import OutboxRelay
from tests.factories import user_upserted

pytestmark = pytest.mark.unit


class BrokenBus(InProcessBus):
    """A bus whose broker is down until `heal()`."""

    down = True

    async def publish(self, event: Event) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        await super().publish(event)


async def test_relay_publishes_pending_events_once_and_empties_the_outbox() -> None:
    docs, bus = MemoryDocuments("users"), InProcessBus()
    event = user_upserted()
    await docs.save({"_id": "u1", "version": 1}, expected_version=None, events=[event])
    relay = OutboxRelay([docs], bus)

    assert await relay.run_once() == 1
    assert await relay.run_once() == 0
    assert [e.event_id for e in bus.published()] == [event.event_id]
    assert await docs.pending(10) == []


async def test_events_wait_in_the_outbox_while_the_bus_is_down_and_go_out_when_it_returns() -> None:
    docs, bus = MemoryDocuments("users"), BrokenBus()
    await docs.save({"_id": "u1", "version": 1}, expected_version=None, events=[user_upserted()])
    relay = OutboxRelay([docs], bus)

    with pytest.raises(ConnectionError):
        await relay.run_once()
    assert len(await docs.pending(10)) == 1

    bus.down = False
    assert await relay.run_once() == 1
    assert await docs.pending(10) == []


@pytest.mark.timeout(30)  # the bug this guards against hangs rather than fails
@pytest.mark.parametrize("settle", [0, 1, 2, 3])
async def test_the_relay_stops_even_when_it_is_woken_as_it_is_stopped(settle: int) -> None:
    relay = OutboxRelay([MemoryDocuments("users")], InProcessBus(), interval=60)
    for _ in range(20):
        await relay.start()
        for _ in range(settle):
            await asyncio.sleep(0)
        relay.kick()

        await asyncio.wait_for(relay.stop(), 5)  # a lost cancellation would leave the relay running for good
