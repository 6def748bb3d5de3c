"""The process's Prometheus metrics: the one registry, the metrics every module counts with, and the text served at
GET /metrics (docs/operations.md lists them and what to alert on).

Every sample carries the label `service`: the name of the service this process runs (gateway, identity, search,
email, access), or `helpdesk` for the embedded mode's single process, where the consumer `group` and the HTTP `route`
tell its services apart. It is added once per sample when the metrics are read rather than given with every count,
so counting names only what varies. Label values are route templates, topics, consumer groups and fixed words,
never anything a caller sent: the text holds no tenant's data, and the number of series stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.metrics_core import Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

# A `_created` series beside every counter and histogram would double what is stored for nothing alerts use.
disable_created_metrics()  # type: ignore[no-untyped-call]  # the library leaves it unannotated

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # CPU, memory, open files of the process
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "helpdesk_http_requests_total", "HTTP requests answered, by route template (\"unmatched\": no route) and status.",
    ("method", "route", "status"), registry=REGISTRY)
HTTP_REQUEST_DURATION = Histogram(
    "helpdesk_http_request_duration_seconds", "Time from a request's arrival to the end of its answer.",
    ("method", "route"), registry=REGISTRY)
EVENTS_PUBLISHED = Counter(
    "helpdesk_events_published_total", "Events handed to the bus (Kafka has acknowledged them).", ("topic",),
    registry=REGISTRY)
EVENTS_CONSUMED = Counter(
    "helpdesk_events_consumed_total", "Events a consumer group handled successfully.", ("group", "topic"),
    registry=REGISTRY)
EVENTS_FAILED = Counter(
    "helpdesk_events_failed_total", "Handler attempts that raised (each is retried, then dead-lettered).",
    ("group", "topic"), registry=REGISTRY)
EVENTS_DEAD_LETTERED = Counter(
    "helpdesk_events_dead_lettered_total", "Messages set aside on the group's dead-letter topic after every attempt "
    "failed, or because they could not be read.", ("group", "topic"), registry=REGISTRY)
CONSUMER_LAG = Gauge(
    "helpdesk_consumer_lag", "Messages of an assigned partition not yet read: its end offset minus the consumer's "
    "position (Kafka only, refreshed every few seconds).", ("group", "topic", "partition"), registry=REGISTRY)
# Without labels, these would show a value in every process, as if the gateway had an outbox or identity a search
# index: each is registered only by the part that has what it measures (`show`).
OUTBOX_BACKLOG = Gauge(
    "helpdesk_outbox_backlog", "Events saved with their documents and not yet published, as the outbox relays last "
    "found them (at most one batch, 500, per collection).", registry=None)
OUTBOX_RELAY_DELAY = Histogram(
    "helpdesk_outbox_relay_delay_seconds", "Time from an event's making, as its document was saved, to its "
    "publication.", registry=None,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0))
SEARCH_INDEX_ENTRIES = Gauge(
    "helpdesk_search_index_entries", "Entries in the search read model (refreshed every few seconds).",
    registry=None)
SEARCH_REPLAY_PROGRESS = Gauge(
    "helpdesk_search_replay_progress_ratio", "How far the replay of the topics, which an index kept in memory is "
    "rebuilt from at start, has come: 0 to 1, and 1 once caught up.", registry=None)
MAILS = Counter(
    "helpdesk_mails_total", "Tries to send a mail, by what became of it: sent, deferred (tried again later), "
    "failed (given up), suppressed (not sent: the address is on the suppression list).", ("outcome",),
    registry=REGISTRY)
MAILS_WAITING = Gauge(  # shown only where a mail sender runs (`show`)
    "helpdesk_mails_waiting", "Mails queued or deferred, not yet sent, failed or suppressed, as the sender last found "
    "them (at most 500, what it reads at a look); every replica sees the same queue.", registry=None)
RATE_LIMIT_REFUSALS = Counter(
    "helpdesk_rate_limit_refusals_total", "Requests refused with 429 by a rate limit (search, code_per_user, "
    "code_per_agent).", ("limit",), registry=REGISTRY)


@cache
def events_published(topic: str) -> Counter:
    """The counter of one topic's published events (children are cached: counting is on every event's path)."""
    return EVENTS_PUBLISHED.labels(topic)


@cache
def events_consumed(group: str, topic: str) -> Counter:
    return EVENTS_CONSUMED.labels(group, topic)


@cache
def events_failed(group: str, topic: str) -> Counter:
    return EVENTS_FAILED.labels(group, topic)


def dead_lettered(group: str, topic: str) -> None:
    EVENTS_DEAD_LETTERED.labels(group, topic).inc()


def rate_limit_refused(limit: str) -> None:
    RATE_LIMIT_REFUSALS.labels(limit).inc()


# A labelled counter has no series until its first count, and the first count then appears already at 1: with no
# `_created` series, Prometheus's increase() and rate() see no change, and the first dead letter would alert no one.
# So each series this process can count is shown at 0 as soon as it is known (the mail outcomes: by the sender).
def consuming(group: str, topics: Iterable[str]) -> None:
    """Show a consumer group's counts of its topics at 0 from the moment it subscribes."""
    for topic in topics:
        events_consumed(group, topic)
        events_failed(group, topic)
        EVENTS_DEAD_LETTERED.labels(group, topic)


def enforcing(*limits: str) -> None:
    """Show the refusals of the rate limits this process enforces at 0 from the moment it has them."""
    for limit in limits:
        RATE_LIMIT_REFUSALS.labels(limit)


_shown: set[Gauge | Histogram] = set()


def show(*shown: Gauge | Histogram) -> None:
    """Include these metrics in what the process shows from now on (again: nothing changes)."""
    for metric in shown:
        if metric not in _shown:
            REGISTRY.register(metric)
            _shown.add(metric)


_service = "helpdesk"


def serve_as(service: str) -> None:
    """Name the service this process runs, for the `service` label of every sample (once, as the process starts)."""
    global _service
    _service = service


class _Labelled:
    """The registry's metrics, each sample with the process's `service` label added."""

    def collect(self) -> Iterable[Metric]:
        service = _service
        for family in REGISTRY.collect():
            family.samples = [s._replace(labels={"service": service, **s.labels}) for s in family.samples]
            yield family


_LABELLED = _Labelled()


def exposition() -> bytes:
    """Every metric of the process in Prometheus's text format (prometheus_client.CONTENT_TYPE_LATEST)."""
    return generate_latest(_LABELLED)
