"""Log lines are JSON objects that carry the service and the correlation id in scope."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from helpdesk.runtime import logs

pytestmark = pytest.mark.unit


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("search", "INFO", stream=stream)
    yield stream
    root.handlers[:], root.level = handlers, level


def test_a_log_line_is_json_with_service_and_correlation_id(captured: io.StringIO) -> None:
    token = logs.correlation_id.set("call-7")
    try:
        logging.getLogger("services.search").info("indexed", extra={"event_id": "e1"})
    finally:
        logs.correlation_id.reset(token)

    line = json.loads(captured.getvalue().splitlines()[-1])

    assert {k: line[k] for k in ("level", "logger", "message", "service", "correlation_id", "event_id")} == {
        "level": "INFO", "logger": "services.search", "message": "indexed", "service": "search",
        "correlation_id": "call-7", "event_id": "e1",
    }
    assert line["time"].endswith("+00:00")
