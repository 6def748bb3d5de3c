"""One agent action followed across processes: W3C trace context (OpenTelemetry) through requests, events and logs.

- A request's span continues the `traceparent` it came with, or starts a trace (`serving`).
- Every event created while a span is current carries that span's `traceparent` in its envelope, so it survives
  the outbox; the Kafka bus also sends it as the `traceparent` header for any subscriber.
- A consumer handles each event in a span that continues the event's trace (`consuming`), so what the handler
  logs, calls and publishes belongs to the same trace.
- Calls to other services carry the current span's `traceparent` header (`outgoing_headers`).
- Log lines carry `trace_id` and `span_id` (runtime/logs.py).

Spans are recorded only to be exported, which is off by default: set `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) to send them over OTLP/HTTP to a collector.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags

from contracts.envelope import trace_parent

HEADER = "traceparent"
_EXPORT_SETTINGS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
# version-traceid-parentid-flags; a version other than 00 is read the same way, as the specification asks.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?")
_ids = random.Random(int.from_bytes(os.urandom(16), "big"))
_tracer: trace.Tracer | None = None  # set when spans are exported
_provider: TracerProvider | None = None


def configure(service: str, environ: Mapping[str, str] = os.environ, exporter: SpanExporter | None = None) -> bool:
    """Export this process's spans, named after its service, if a collector is configured (OTLP/HTTP, or the
    `exporter` given); otherwise spans are only propagated, which costs a few microseconds. Returns whether spans
    are exported."""
    global _tracer, _provider
    if exporter is None and not any(environ.get(name) for name in _EXPORT_SETTINGS):
        _tracer = _provider = None
        return False
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    _provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    _provider.add_span_processor(BatchSpanProcessor(exporter))  # flushed at exit by the provider
    _tracer = _provider.get_tracer("helpdesk")
    return True


def flush() -> None:
    """Export the spans still waiting in the batch now."""
    if _provider is not None:
        _provider.force_flush()


def parse(traceparent: str) -> SpanContext | None:
    """The span a `traceparent` value names, or None if it names none (malformed, all-zero ids, version ff)."""
    match = _TRACEPARENT.fullmatch(traceparent.strip().lower())
    if match is None or match[1] == "ff":
        return None
    trace_id, span_id = int(match[2], 16), int(match[3], 16)
    if not trace_id or not span_id:
        return None
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(match[4], 16) & 1))


def format_traceparent(span: SpanContext) -> str:
    return f"00-{span.trace_id:032x}-{span.span_id:016x}-{int(span.trace_flags):02x}"


def current_traceparent() -> str:
    """The current span's context as a W3C `traceparent` value, or "" outside any span."""
    span = trace.get_current_span().get_span_context()
    return format_traceparent(span) if span.is_valid else ""


def outgoing_headers(headers: dict[str, str]) -> dict[str, str]:
    """`headers` with the current span's `traceparent` added, for a call to another service."""
    value = current_traceparent()
    if value:
        headers[HEADER] = value
    return headers


@contextmanager
def serving(name: str, traceparent: str = "") -> Iterator[Span]:
    """A request's span: a child of the caller's span when `traceparent` names one, else a new trace."""
    with _span(name, SpanKind.SERVER, traceparent) as span:
        yield span


@contextmanager
def consuming(name: str, traceparent: str) -> Iterator[Span]:
    """An event's handling: a child of the span that caused the event, when it names one."""
    with _span(name, SpanKind.CONSUMER, traceparent) as span:
        yield span


@contextmanager
def _span(name: str, kind: SpanKind, traceparent: str) -> Iterator[Span]:
    parent = parse(traceparent) if traceparent else None
    if _tracer is not None:
        parent_context = trace.set_span_in_context(NonRecordingSpan(parent)) if parent is not None else None
        with _tracer.start_as_current_span(name, context=parent_context, kind=kind, record_exception=False,
                                           set_status_on_exception=False) as recorded:
            token = trace_parent.set(current_traceparent())
            try:
                yield recorded
            finally:
                trace_parent.reset(token)
        return
    # Not exported: a span that only carries its ids, made without the SDK's bookkeeping.
    trace_id = parent.trace_id if parent is not None else _ids.getrandbits(128) or 1
    flags = parent.trace_flags if parent is not None else TraceFlags(TraceFlags.SAMPLED)
    span = NonRecordingSpan(SpanContext(trace_id, _ids.getrandbits(64) or 1, is_remote=False, trace_flags=flags))
    attached = context.attach(trace.set_span_in_context(span))
    token = trace_parent.set(format_traceparent(span.get_span_context()))
    try:
        yield span
    finally:
        trace_parent.reset(token)
        context.detach(attached)


def log_fields() -> tuple[str, str]:
    """The current trace and span ids, in hex, for a log line ("" outside any span)."""
    span = trace.get_current_span().get_span_context()
    if not span.is_valid:
        return "", ""
    return f"{span.trace_id:032x}", f"{span.span_id:016x}"
