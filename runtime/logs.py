"""Structured JSON logs that carry the correlation id and the trace of the request or event being handled."""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from runtime import tracing

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="")


def current_correlation_id() -> str:
    """The correlation id in scope, or a new one when nothing set it (a background job, a script)."""
    return correlation_id.get() or str(uuid.uuid4())


class _CorrelationFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        record.trace_id, record.span_id = tracing.log_fields()
        record.service = self.service
        record.__dict__.pop("color_message", None)
        return True


class _WithoutQueryStrings(logging.Filter):
    """Request lines (uvicorn's access log, httpx's "HTTP Request: GET …") without their query strings: a search's
    is what the agent typed and a login's is a person's address, personal data that the audit trail keeps and a
    log line must not, whatever level these loggers are set to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        return True


def _without_query(arg: object) -> object:
    if isinstance(arg, int | float):  # a status code, kept a number for its %d
        return arg
    text = str(arg)  # a path, or httpx's URL object
    return text.partition("?")[0] if "?" in text else arg


_REQUEST_LOGGERS = ("uvicorn.access", "httpx")
_without_query_strings = _WithoutQueryStrings()


def configure(service: str, level: str = "INFO", stream: TextIO = sys.stderr) -> None:
    """Send every log line to stderr as one JSON object with the service name and correlation id."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter(
            "{levelname}{name}{message}{service}{correlation_id}{trace_id}{span_id}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    )
    handler.addFilter(_CorrelationFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries that log every call at INFO (opensearch-py: each request of search, and its 5 s index count).
    for noisy in ("aiokafka", "pymongo", "faststream", "httpx", "uvicorn.access", "opensearch"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for name in _REQUEST_LOGGERS:  # on the logger, not the handler: uvicorn may give its access log handlers of its own
        logging.getLogger(name).addFilter(_without_query_strings)
