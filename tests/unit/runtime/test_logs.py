"""Log lines are JSON objects that carry the service and the correlation id in scope, and no query strings."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from runtime import logs

pytestmark = pytest.mark.unit


REQUEST_LOGGERS = [logging.getLogger(name) for name in ("uvicorn.access", "httpx", "opensearch")]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    saved = [(logger, logger.level, logger.filters[:]) for logger in REQUEST_LOGGERS]
    stream = io.StringIO()
    logs.configure("search", "INFO", stream=stream)
    yield stream
    root.handlers[:], root.level = handlers, level
    for logger, logger_level, filters in saved:
        logger.setLevel(logger_level)
        logger.filters[:] = filters


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


async def test_a_request_line_is_logged_without_its_query_string(captured: io.StringIO) -> None:
    for logger in REQUEST_LOGGERS:
        logger.setLevel(logging.INFO)  # as `uvicorn --log-level info` or a debugging operator would set them
    searched = "/internal/search?q=jane.doe%40acme.example&partner_id=p1"

    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "10.0.0.7:50312", "GET", searched, "1.1",
                                             200)  # as uvicorn's HTTP protocol writes it
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(200))) as client:
        await client.get("http://search:8002" + searched)

    messages = [json.loads(line)["message"] for line in captured.getvalue().splitlines()]
    assert messages == ['10.0.0.7:50312 - "GET /internal/search HTTP/1.1" 200',
                        'HTTP Request: GET http://search:8002/internal/search "HTTP/1.1 200 OK"']


def test_a_client_library_s_line_for_every_call_is_left_out_at_info_and_its_warnings_kept(
        captured: io.StringIO) -> None:
    engine = logging.getLogger("opensearch")  # opensearch-py: one INFO line per request
    engine.info("POST http://127.0.0.1:9200/helpdesk-search-entries/_search [status:200 request:0.004s]")
    engine.warning("GET http://127.0.0.1:9200/ [status:N/A request:1.001s]")

    lines = [json.loads(line)["message"] for line in captured.getvalue().splitlines()]

    assert lines == ["GET http://127.0.0.1:9200/ [status:N/A request:1.001s]"]
