"""Publishing an agent's action before serving it: a bus that does not take the event in time refuses the request
with 503, rather than hold it until the broker returns."""

from __future__ import annotations

import asyncio
import time

import pytest

from contracts import Event
from contracts.gateway import AgentActionRecorded
from gateway.audit import published
from runtime.web import ApiError

pytestmark = pytest.mark.unit


class Stalled:
    """A broker that is away: the producer keeps the message and waits for it."""

    async def publish(self, event: Event) -> None:
        await asyncio.Event().wait()


class Taking:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, event: Event) -> None:
        self.events.append(event)


def viewed() -> AgentActionRecorded:
    return AgentActionRecorded(agent_id="u-agent", agent_email="agent@northwind.example", action="user.viewed",
                               target_type="user", target_id="u-jane", org_id="o-acme")


async def test_an_event_the_bus_does_not_take_in_time_is_refused_with_503_and_retry_after() -> None:
    began = time.monotonic()
    with pytest.raises(ApiError) as refused:
        await published(Stalled(), viewed(), "This action cannot be recorded right now.", 0.05)  # type: ignore[arg-type]

    assert time.monotonic() - began < 1.0
    assert (refused.value.status, refused.value.code) == (503, "service_unavailable")
    assert refused.value.headers == {"Retry-After": "5"}


async def test_an_event_the_bus_takes_in_time_is_published() -> None:
    bus, event = Taking(), viewed()

    await published(bus, event, "This action cannot be recorded right now.", 0.05)  # type: ignore[arg-type]

    assert bus.events == [event]
