"""W3C trace context through requests, events, consumers and logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from contracts import Event
from contracts.identity import OrgUpserted, UserUpserted
from runtime import logs, tracing
from runtime.bus import InProcessBus, subscribe
from runtime.web import create_app
from tests.factories import org_upserted, user_upserted

pytestmark = pytest.mark.unit

CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def trace_of(traceparent: str) -> str:
    return traceparent.split("-")[1] if traceparent else ""


@pytest.mark.parametrize("value", [
    "", "garbage", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  # no flags
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero parent id
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff is invalid
    "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # 31 digits
])
def test_a_malformed_traceparent_names_no_span(value: str) -> None:
    assert tracing.parse(value) is None


def test_a_traceparent_is_read_and_written_back_alike() -> None:
    span = tracing.parse(CALLER.upper())
    assert span is not None
    assert tracing.format_traceparent(span) == CALLER


def test_events_made_in_a_span_carry_its_trace_and_outside_any_none() -> None:
    with tracing.serving("GET", CALLER):
        inside = org_upserted(id="o1")
        headers = tracing.outgoing_headers({})
    outside = org_upserted(id="o2")

    assert trace_of(inside.traceparent) == TRACE
    assert inside.traceparent != CALLER  # a child of the caller's span, not the caller's span itself
    assert headers == {"traceparent": inside.traceparent}
    assert outside.traceparent == ""


def test_a_request_without_a_traceparent_starts_a_trace_of_its_own() -> None:
    with tracing.serving("GET"):
        first = org_upserted(id="o1")
    with tracing.serving("GET", "not a traceparent"):
        second = org_upserted(id="o1")

    assert tracing.parse(first.traceparent) is not None
    assert trace_of(first.traceparent) != trace_of(second.traceparent)


async def test_a_consumer_handles_and_publishes_in_the_trace_of_the_event_and_logs_it() -> None:
    stream = io.StringIO()
    logs.configure("probe", "INFO", stream=stream)
    bus = InProcessBus()
    caused: list[Event] = []

    async def on_org(event: Event) -> None:
        logging.getLogger("probe").info("handled")
        await bus.publish(user_upserted(id="u1", org_id="o1"))

    async def on_user(event: Event) -> None:
        caused.append(event)

    bus.subscribe(subscribe("first", {OrgUpserted: on_org}))
    bus.subscribe(subscribe("second", {UserUpserted: on_user}))
    await bus.start()
    with tracing.serving("POST", CALLER):
        await bus.publish(org_upserted(id="o1"))
    await bus.drain()
    await bus.drain()
    await bus.stop()

    assert [trace_of(e.traceparent) for e in caused] == [TRACE]
    handled = [json.loads(line) for line in stream.getvalue().splitlines() if '"handled"' in line]
    assert [line["trace_id"] for line in handled] == [TRACE]
    assert len(handled[0]["span_id"]) == 16


async def test_every_service_request_continues_the_callers_trace() -> None:
    app = create_app("probe", {})
    seen: list[str] = []

    @app.get("/here")
    async def here() -> dict[str, str]:
        seen.append(org_upserted(id="o1").traceparent)
        return {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
        await client.get("/here", headers={"traceparent": CALLER})
        await client.get("/here")

    assert trace_of(seen[0]) == TRACE
    assert trace_of(seen[1]) not in ("", TRACE)


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert tracing.configure("probe", {}, exporter=exporter)
    yield exporter
    assert not tracing.configure("probe", {})  # off again, as by default


def test_spans_are_exported_only_when_configured(exported: InMemorySpanExporter) -> None:
    with tracing.serving("POST", CALLER):
        made = org_upserted(id="o1")
    with tracing.consuming("OrgUpserted", made.traceparent):
        pass
    tracing.flush()

    server, consumer = exported.get_finished_spans()
    assert (server.kind, consumer.kind) == (SpanKind.SERVER, SpanKind.CONSUMER)
    assert f"{server.context.trace_id:032x}" == f"{consumer.context.trace_id:032x}" == TRACE
    assert consumer.parent is not None
    assert consumer.parent.span_id == server.context.span_id
    assert server.resource.attributes["service.name"] == "probe"
