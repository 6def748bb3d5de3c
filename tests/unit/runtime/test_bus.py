"""The in-process bus: each group gets every event once, failures are retried, then set aside."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import ConnectionTimeout
from pymongo.errors import ServerSelectionTimeoutError

from contracts import Event
from contracts.identity import RoleAssigned, RoleRevoked, UserUpserted
from runtime import mongo
from runtime.bus import InProcessBus, Subscription, subscribe
from runtime.service import Infrastructure, Service
from services.search.store import OpenSearchSearchStore
from services.search.store.opensearch import Overwhelmed
from tests.factories import user_upserted

pytestmark = pytest.mark.unit


async def test_each_consumer_group_receives_every_event() -> None:
    bus, seen_a, seen_b = InProcessBus(), [], []

    async def a(event: Event) -> None:
        seen_a.append(event.event_id)

    async def b(event: Event) -> None:
        seen_b.append(event.event_id)

    bus.subscribe(Subscription("a", ("identity.users",), a))
    bus.subscribe(Subscription("b", ("identity.users",), b))
    await bus.start()
    event = user_upserted()
    await bus.publish(event)
    await bus.drain()
    await bus.stop()

    assert seen_a == seen_b == [event.event_id]


async def test_a_group_subscribing_late_reads_the_topic_from_the_beginning() -> None:
    bus, seen = InProcessBus(), []
    await bus.start()
    first = user_upserted(id="u1")
    await bus.publish(first)

    async def late(event: Event) -> None:
        seen.append(event.key())

    bus.subscribe(Subscription("late", ("identity.users",), late))
    await bus.publish(user_upserted(id="u2"))
    await bus.drain()
    await bus.stop()

    assert seen == ["u1", "u2"]


async def test_a_topic_named_twice_in_a_subscription_is_read_once() -> None:
    bus, seen = InProcessBus(), []
    await bus.publish(user_upserted(id="u1"))  # in the log before the group subscribes

    async def handler(event: Event) -> None:
        seen.append(event.key())

    bus.subscribe(Subscription("twice", ("identity.users", "identity.users"), handler))
    await bus.start()
    await bus.publish(user_upserted(id="u2"))
    await bus.drain()
    await bus.stop()

    assert seen == ["u1", "u2"]


async def test_a_handler_that_fails_once_is_retried() -> None:
    bus, calls = InProcessBus(attempts=3), []

    async def flaky(event: Event) -> None:
        calls.append(event.event_id)
        if len(calls) == 1:
            raise RuntimeError("store blinked")

    bus.subscribe(Subscription("g", ("identity.users",), flaky))
    await bus.start()
    await bus.publish(user_upserted())
    await bus.drain()
    await bus.stop()

    assert len(calls) == 2
    assert bus.dead_letters == []


async def test_a_message_that_keeps_failing_is_dead_lettered_and_the_next_one_flows() -> None:
    bus, handled = InProcessBus(attempts=2), []

    async def picky(event: Event) -> None:
        if event.key() == "poison":
            raise ValueError("cannot index this")
        handled.append(event.key())

    bus.subscribe(Subscription("g", ("identity.users",), picky))
    await bus.start()
    await bus.publish(user_upserted(id="poison"))
    await bus.publish(user_upserted(id="fine"))
    await bus.drain()
    await bus.stop()

    assert handled == ["fine"]
    assert [(d.group, d.topic) for d in bus.dead_letters] == [("g", "identity.users")]
    assert "cannot index this" in bus.dead_letters[0].error


async def test_a_handler_whose_store_is_unreachable_waits_for_it_instead_of_dead_lettering() -> None:
    bus, outage, handled = InProcessBus(attempts=2), iter(range(5)), []

    async def storing(event: Event) -> None:
        if next(outage, None) is not None:  # five tries in a row, more than the attempts a bad message gets
            raise ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused")
        handled.append(event.key())

    bus.subscribe(Subscription("g", ("identity.users",), storing, unreachable=mongo.UNREACHABLE))
    await bus.start()
    await bus.publish(user_upserted(id="u1"))
    await bus.publish(user_upserted(id="u2"))
    await bus.drain()
    await bus.stop()

    assert handled == ["u1", "u2"]  # in order: the partition waited
    assert bus.dead_letters == []


@pytest.mark.parametrize("outage", [
    OpenSearchConnectionError("N/A", "Connection refused", None),
    ConnectionTimeout("TIMEOUT", "Read timed out", None),
    Overwhelmed("OpenSearch put off 1 writes, first: es_rejected_execution_exception"),
], ids=["refused", "timeout", "writes put off"])
async def test_a_service_s_consumers_wait_out_what_its_stores_declare_unreachable(outage: Exception) -> None:
    bus, failures, handled = InProcessBus(attempts=2), iter(range(5)), []

    async def indexing(event: Event) -> None:
        if next(failures, None) is not None:
            raise outage
        handled.append(event.key())

    await _one_event_through(Service("search", FastAPI(), [Subscription("search", ("identity.users",), indexing)],
                                     unreachable=OpenSearchSearchStore.UNREACHABLE), bus)

    assert handled == ["u1"]
    assert bus.dead_letters == []


async def test_the_same_failure_is_a_bad_message_where_no_store_declares_it() -> None:
    """A store error of a kind the service does not use (here MongoDB's, for a service kept in memory) is the
    message's: tried, then set aside, as any other error."""
    bus, handled = InProcessBus(attempts=2), []

    async def storing(event: Event) -> None:
        raise ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused")

    in_memory = Infrastructure(bus)
    await _one_event_through(Service("access", FastAPI(), [Subscription("access", ("identity.users",), storing)],
                                     unreachable=in_memory.unreachable), bus)

    assert handled == []
    assert [d.group for d in bus.dead_letters] == ["access"]


async def _one_event_through(service: Service, bus: InProcessBus) -> None:
    """The service's subscriptions attached to the bus, and one user's event handled (or set aside)."""
    service.attach(bus)
    await bus.start()
    await bus.publish(user_upserted(id="u1"))
    await bus.drain()
    await bus.stop()


async def test_an_undecodable_message_is_dead_lettered_without_calling_the_handler() -> None:
    bus, handled = InProcessBus(), []

    async def handler(event: Event) -> None:
        handled.append(event)

    bus.subscribe(Subscription("g", ("identity.users",), handler))
    await bus.start()
    await bus.publish_raw("identity.users", b"{not json")
    await bus.drain()
    await bus.stop()

    assert handled == []
    assert "undecodable" in bus.dead_letters[0].error


async def test_a_table_of_handlers_hands_each_event_type_to_its_own_and_passes_over_the_others() -> None:
    bus, revoked, assigned = InProcessBus(), [], []

    async def on_revoked(event: RoleRevoked) -> None:
        revoked.append(event.role)

    async def on_assigned(event: RoleAssigned) -> None:
        assigned.append(event.role)

    subscription = subscribe("g", {RoleRevoked: on_revoked, UserUpserted: on_assigned})
    bus.subscribe(subscription)
    await bus.start()
    await bus.publish(RoleRevoked(user_id="u1", org_id="o1", role="helpdesk"))
    await bus.publish(RoleAssigned(user_id="u1", org_id="o1", role="partner_admin"))  # same topic, no handler
    await bus.drain()
    await bus.stop()

    assert subscription.topics == ("identity.roles", "identity.users")
    assert (revoked, assigned) == (["helpdesk"], [])
