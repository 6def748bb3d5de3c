"""Every process's HTTP edge: an unexpected error is logged once with its correlation id and answered 503; a client
that goes away is not an error; a correlation id or an address that cannot be passed on is answered, not a crash."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from gateway.clients import ServiceClient
from runtime import logs
from runtime.web import CORRELATION_HEADER, ApiError, create_app
from tests.waiting import eventually

pytestmark = pytest.mark.unit


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every log line the process writes, as the JSON lines a log collector would read."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("probe", "INFO", stream=stream)
    yield stream
    root.handlers[:], root.level = handlers, level


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _tracebacks(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in _lines(stream) if "exc_info" in line]


def _app() -> FastAPI:
    app = create_app("probe", {})

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    @app.get("/correlation")
    async def correlation() -> dict[str, str]:
        return {"correlation_id": logs.correlation_id.get()}

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"received": sum([len(chunk) async for chunk in request.stream()])}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


async def test_an_unexpected_error_is_logged_once_with_its_correlation_id_and_answered_503(
        client: httpx.AsyncClient, log_lines: io.StringIO) -> None:
    response = await client.get("/boom", headers={CORRELATION_HEADER: "call-13"})

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.headers[CORRELATION_HEADER] == "call-13"
    [traceback] = _tracebacks(log_lines)
    assert traceback["correlation_id"] == "call-13"
    assert traceback["level"] == "ERROR"
    assert "RuntimeError: a bug" in traceback["exc_info"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _started(server: uvicorn.Server) -> Callable[[], Awaitable[bool]]:
    async def started() -> bool:
        return server.started

    return started


async def test_through_a_real_server_an_unexpected_error_is_logged_once(log_lines: io.StringIO) -> None:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(_app(), host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(_started(server), timeout=10, interval=0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.get("/boom", headers={CORRELATION_HEADER: "call-14"})
    finally:
        server.should_exit = True
        await serving

    assert response.status_code == 503
    assert [line["correlation_id"] for line in _tracebacks(log_lines)] == ["call-14"]
    assert [line for line in _lines(log_lines) if line["level"] == "ERROR"] == _tracebacks(log_lines)


async def test_a_client_that_leaves_before_its_body_arrived_is_one_info_line(log_lines: io.StringIO) -> None:
    messages = [{"type": "http.request", "body": b"part of it", "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/upload", "raw_path": b"/upload", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
    await _app()(scope, receive, send)

    assert _tracebacks(log_lines) == []
    [line] = _lines(log_lines)
    assert line["level"] == "INFO"
    assert "disconnected" in line["message"]
    assert sent[0]["status"] < 500


async def test_a_correlation_id_that_is_not_plain_text_is_replaced_by_a_new_one(client: httpx.AsyncClient) -> None:
    response = await client.get("/correlation", headers={CORRELATION_HEADER: "caf\xe9\x07".encode("latin-1")})

    assert response.status_code == 200
    assert response.json()["correlation_id"] == response.headers[CORRELATION_HEADER]
    assert response.headers[CORRELATION_HEADER].isascii()
    assert len(response.headers[CORRELATION_HEADER]) == 36  # a new uuid4


async def test_a_slash_at_the_end_of_an_address_is_not_redirected(client: httpx.AsyncClient) -> None:
    response = await client.get("/correlation/")

    assert response.status_code == 404
    assert "location" not in response.headers


async def test_an_address_too_long_for_the_service_is_an_invalid_request_not_a_crash() -> None:
    asked: list[httpx.Request] = []

    def service(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json={})

    http = httpx.AsyncClient(transport=httpx.MockTransport(service), base_url="http://identity")
    identity = ServiceClient("identity", http)

    with pytest.raises(ApiError) as refused:
        await identity.get("/internal/users/" + "x" * 70_000)

    assert (refused.value.status, refused.value.code) == (422, "invalid_input")
    assert asked == []
