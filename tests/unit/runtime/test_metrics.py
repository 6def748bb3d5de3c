"""GET /metrics shows what the product does: requests by route template, events published, consumed, failed and
dead-lettered, mails, rate-limit refusals, the outbox, the search index and the consumers' lag, in Prometheus's text
format, with the process's service label on every sample and no tenant's data in any label."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from contracts import Event
from gateway.config import GatewaySettings
from gateway.limits import RateLimit
from runtime import metrics
from runtime.bus import InProcessBus, Subscription
from runtime.kafka import KafkaBus, _Replay
from runtime.lag import ConsumerLag
from tests.factories import user_upserted
from tests.product import login, running
from tests.waiting import eventually

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]

AGENT = "agent@northwind.example"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parsed(text: str) -> Samples:
    """Every sample by name and labels, parsed as Prometheus parses it."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parsed(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset({"service": "helpdesk", **labels}.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def _exposed(samples: Samples, name: str) -> list[Mapping[str, str]]:
    return [dict(labels) for (sample, labels) in samples if sample == name]


async def test_a_request_is_counted_and_timed_by_its_route_template_and_status() -> None:
    async with running() as (_, client):
        agent = await login(client, AGENT)
        before = await scrape(client)

        await client.get("/api/v1/users/u-jane", headers=agent)
        await client.get("/api/v1/users/u-nobody", headers=agent)
        await client.get("/no/such/page")
        after = await scrape(client)
        text = (await client.get("/metrics")).text

    route = "/api/v1/users/{user_id}"
    assert moved(before, after, "helpdesk_http_requests_total", method="GET", route=route, status="200") == 1
    assert moved(before, after, "helpdesk_http_requests_total", method="GET", route=route, status="404") == 1
    assert moved(before, after, "helpdesk_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert moved(before, after, "helpdesk_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert not [said for said in ("u-jane", "u-nobody", "/no/such/page") if said in text]


async def test_every_sample_carries_the_service_label_of_the_process() -> None:
    async with running() as (_, client):
        samples = await scrape(client)

    assert {dict(labels).get("service") for _, labels in samples} == {"helpdesk"}
    assert ("process_resident_memory_bytes", frozenset({("service", "helpdesk")})) in samples


async def test_a_verification_code_is_counted_published_consumed_relayed_and_mailed() -> None:
    async with running() as (product, client):
        agent = await login(client, AGENT)
        before = await scrape(client)

        sent = await client.post("/api/v1/users/u-jane/verification-codes", headers=agent)
        await product.settle()

        async def mailed() -> Samples:
            samples = await scrape(client)
            return samples if moved(before, samples, "helpdesk_mails_total", outcome="sent") else {}

        after = await eventually(mailed, timeout=10)

    assert sent.status_code == 202, sent.text
    assert moved(before, after, "helpdesk_events_published_total", topic="gateway.commands") == 1
    assert moved(before, after, "helpdesk_events_consumed_total", group="email", topic="gateway.commands") == 1
    assert moved(before, after, "helpdesk_mails_total", outcome="sent") == 1
    assert moved(before, after, "helpdesk_mails_total", outcome="failed") == 0
    # CodeSent went out through email's outbox
    assert moved(before, after, "helpdesk_events_published_total", topic="email.codes") >= 1
    assert moved(before, after, "helpdesk_outbox_relay_delay_seconds_count") >= 1
    assert ("helpdesk_outbox_backlog", frozenset({("service", "helpdesk")})) in after


async def test_a_message_that_keeps_failing_counts_each_attempt_then_its_dead_letter() -> None:
    poison = user_upserted(id="u-poison")

    async def refuse_the_poison(event: Event) -> None:
        if event.event_id == poison.event_id:
            raise RuntimeError("cannot handle this one")

    async with running() as (product, client):
        before = await scrape(client)
        product.bus.subscribe(Subscription("metrics-probe", ("identity.users",), refuse_the_poison))

        await product.bus.publish(poison)
        await product.bus.publish_raw("identity.users", b"{not json")
        await product.bus.drain()
        after = await scrape(client)

    probe = {"group": "metrics-probe", "topic": "identity.users"}
    search = {"group": "search", "topic": "identity.users"}
    assert moved(before, after, "helpdesk_events_failed_total", **probe) == product.bus.attempts
    assert moved(before, after, "helpdesk_events_dead_lettered_total", **probe) == 2  # the poison, the unreadable
    assert moved(before, after, "helpdesk_events_dead_lettered_total", **search) == 1  # the unreadable
    assert moved(before, after, "helpdesk_events_consumed_total", **search) == 1  # the poison is search's to index
    assert moved(before, after, "helpdesk_events_published_total", topic="identity.users") == 2


async def test_refusals_of_each_rate_limit_are_counted_by_limit() -> None:
    settings = GatewaySettings(auth_mode="demo", search_burst=1, search_per_minute=1)
    async with running(settings) as (_, client):
        agent = await login(client, AGENT)
        before = await scrape(client)

        searches = [(await client.get("/api/v1/search", params={"q": "jane"}, headers=agent)).status_code
                    for _ in range(2)]
        codes = [(await client.post("/api/v1/users/u-jane/verification-codes", headers=agent)).status_code
                 for _ in range(4)]
        after = await scrape(client)

    assert (searches, codes) == ([200, 429], [202, 202, 202, 429])
    assert moved(before, after, "helpdesk_rate_limit_refusals_total", limit="search") == 1
    assert moved(before, after, "helpdesk_rate_limit_refusals_total", limit="code_per_user") == 1
    assert moved(before, after, "helpdesk_rate_limit_refusals_total", limit="code_per_agent") == 0


async def test_the_search_index_shows_its_entries_and_its_replay_done() -> None:
    async with running() as (_, client):
        async def caught_up() -> Samples:
            samples = await scrape(client)
            return samples if value(samples, "helpdesk_search_replay_progress_ratio") == 1 else {}

        samples = await eventually(caught_up, timeout=10)

    assert value(samples, "helpdesk_search_index_entries") > 0


def _consumer(assigned: dict[tuple[str, int], tuple[int, int]]) -> Any:
    """A Kafka consumer as the bus's subscribers hold one: its partitions with their (position, end offset)."""
    partitions = {TopicPartition(topic, p): offsets for (topic, p), offsets in assigned.items()}

    async def end_offsets(tps: list[Any]) -> dict[Any, int]:
        return {tp: partitions[tp][1] for tp in tps}

    async def position(tp: Any) -> int:
        return partitions[tp][0]

    return SimpleNamespace(assignment=lambda: set(partitions), end_offsets=end_offsets, position=position)


async def test_consumer_lag_is_shown_per_assigned_partition_and_forgotten_when_it_moves_away() -> None:
    metrics.serve_as("helpdesk")
    lag = ConsumerLag("t42.")
    subscriber = SimpleNamespace(consumer=_consumer({("t42.identity.users", 0): (7, 10),
                                                     ("t42.identity.users", 1): (5, 5)}))
    lag.watch("lag-probe", subscriber)

    await lag.refresh()
    shown = parsed(metrics.exposition().decode())
    subscriber.consumer = _consumer({("t42.identity.users", 1): (5, 9)})  # partition 0 went to another replica
    await lag.refresh()
    moved_away = parsed(metrics.exposition().decode())
    await lag.stop()
    stopped = parsed(metrics.exposition().decode())

    series = "helpdesk_consumer_lag"
    assert value(shown, series, group="lag-probe", topic="identity.users", partition="0") == 3
    assert value(shown, series, group="lag-probe", topic="identity.users", partition="1") == 0
    assert [s["partition"] for s in _exposed(moved_away, series) if s["group"] == "lag-probe"] == ["1"]
    assert value(moved_away, series, group="lag-probe", topic="identity.users", partition="1") == 4
    assert [s for s in _exposed(stopped, series) if s["group"] == "lag-probe"] == []


def test_a_kafka_replay_shows_its_progress_through_what_its_topics_held() -> None:
    replay = _Replay(("identity.users",))
    not_looked = replay.progress()
    replay.targets = {("identity.users", 0): 9, ("identity.users", 1): 4}
    replay.starts = {("identity.users", 0): 0, ("identity.users", 1): 0}
    replay.handled = {("identity.users", 0): 4}

    assert (not_looked, replay.progress()) == (0.0, 5 / 15)


async def _ignore(event: Event) -> None:
    """A handler for subscriptions that are made and never fed."""


# Each bus as a service's process makes it; the Kafka one is never started, so no broker is needed to subscribe.
BUSES: dict[str, Callable[[], InProcessBus | KafkaBus]] = {
    "in-process": InProcessBus, "kafka": lambda: KafkaBus("127.0.0.1:1", client_id="zero-probe")}


@pytest.mark.parametrize("kind", BUSES)
def test_a_subscription_shows_its_counts_at_zero_before_its_first_event(kind: str) -> None:
    # A series that first appears at 1 has no increase for Prometheus: the first dead letter would alert no one.
    group = f"zero-probe-{kind}"
    metrics.serve_as("helpdesk")

    BUSES[kind]().subscribe(Subscription(group, ("identity.users", "identity.orgs"), _ignore))
    samples = parsed(metrics.exposition().decode())

    for topic in ("identity.users", "identity.orgs"):
        labels = frozenset({"service": "helpdesk", "group": group, "topic": topic}.items())
        for series in ("helpdesk_events_consumed_total", "helpdesk_events_failed_total",
                       "helpdesk_events_dead_lettered_total"):
            assert samples.get((series, labels)) == 0, (series, topic)


def test_a_rate_limit_shows_its_refusals_at_zero_once_it_is_made() -> None:
    metrics.serve_as("helpdesk")

    RateLimit(burst=1, per_minute=1, name="zero-probe")
    samples = parsed(metrics.exposition().decode())

    assert samples.get(("helpdesk_rate_limit_refusals_total",
                        frozenset({"service": "helpdesk", "limit": "zero-probe"}.items()))) == 0


# The embedded product built and started in a process of its own, which prints what it shows on /metrics at once and
# the (group, topic) of every subscription: in this process earlier tests' counts would be there already.
_FRESH_PRODUCT = """
import asyncio, json
from helpdesk import embedded
from runtime import metrics

async def main():
    product = embedded.build()
    await product.start()
    try:
        print(json.dumps([[s.group, list(s.topics)] for service in (*product.services.values(), product.gateway)
                          for s in service.subscriptions]))
        print(metrics.exposition().decode())
    finally:
        await product.stop()

asyncio.run(main())
"""


def test_the_product_shows_every_count_an_alert_reads_from_its_start() -> None:
    shown_at_start = subprocess.run([sys.executable, "-c", _FRESH_PRODUCT], capture_output=True, text=True,
                                    check=True, timeout=120, cwd=ROOT).stdout
    first_line, exposition = shown_at_start.split("\n", 1)
    subscriptions = [SimpleNamespace(group=group, topics=topics) for group, topics in json.loads(first_line)]
    samples = parsed(exposition)

    shown = {(name, frozenset(labels - {("service", "helpdesk")})) for name, labels in samples}
    assert subscriptions
    for subscription in subscriptions:
        for topic in subscription.topics:
            labels = frozenset({"group": subscription.group, "topic": topic}.items())
            for series in ("helpdesk_events_consumed_total", "helpdesk_events_failed_total",
                           "helpdesk_events_dead_lettered_total"):
                assert (series, labels) in shown, (series, subscription.group, topic)
    for outcome in ("sent", "deferred", "failed", "suppressed"):
        assert ("helpdesk_mails_total", frozenset({("outcome", outcome)})) in shown, outcome
    for limit in ("search", "code_per_user", "code_per_agent"):
        assert ("helpdesk_rate_limit_refusals_total", frozenset({("limit", limit)})) in shown, limit


async def test_the_api_document_and_static_files_are_counted_by_their_route_never_by_file_name() -> None:
    async with running() as (_, client):
        before = await scrape(client)

        answers = [(await client.get(path)).status_code
                   for path in ("/openapi.json", "/static/app.js", "/static/app.css", "/static/no-such-file.js")]
        after = await scrape(client)
        text = (await client.get("/metrics")).text

    assert answers == [200, 200, 200, 404]
    requests = "helpdesk_http_requests_total"
    assert moved(before, after, requests, method="GET", route="/openapi.json", status="200") == 1
    assert moved(before, after, requests, method="GET", route="/static", status="200") == 2
    assert moved(before, after, requests, method="GET", route="/static", status="404") == 1
    assert moved(before, after, "helpdesk_http_request_duration_seconds_count", method="GET", route="/static") == 3
    assert moved(before, after, requests, method="GET", route="unmatched", status="200") == 0
    assert not [name for name in ("app.js", "app.css", "no-such-file") if name in text]
