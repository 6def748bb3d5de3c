"""The embedded mode's channel to a service: a call in process is answered exactly as the same call over HTTP, its
refusals and validation included, because it runs through the service's whole app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from gateway.clients import ServiceClient
from gateway.clients.in_process import InProcess
from runtime.logs import correlation_id
from runtime.web import ApiError, Refusal, create_app

pytestmark = pytest.mark.unit


class Busy(Exception):
    """A domain error of the service, answered by its table of refusals."""


def service() -> Any:
    """A service's app as `runtime.web.create_app` makes every one: error shape, refusals, middleware, probes."""
    app = create_app("a service", {}, {Busy: Refusal(429, "too_many", "Wait a little.",
                                                      headers=lambda _: {"Retry-After": "7"})})
    api = APIRouter(prefix="/internal")

    @api.get("/things/{thing_id}")
    async def thing(thing_id: str, request: Request, partner_id: Annotated[str, Query(min_length=1)],
                    limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
        if thing_id == "busy":
            raise Busy
        if thing_id == "gone":
            raise ApiError(404, "thing_not_found", "No such thing.", hint="check the id")
        return {"id": thing_id, "partner_id": partner_id, "limit": limit, "path": request.url.path,
                "correlation_id": request.headers.get("X-Correlation-ID")}

    @api.post("/things")
    async def add(body: dict[str, Any]) -> dict[str, Any]:
        return {"added": body}

    @api.delete("/things/{thing_id}", status_code=204)
    async def remove(thing_id: str) -> None:
        return None

    @api.post("/uploads")
    async def upload(request: Request) -> dict[str, Any]:
        received = [chunk async for chunk in request.stream()]
        return {"bytes": sum(map(len, received)), "type": request.headers["content-type"]}

    @api.get("/stream")
    async def stream() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            yield b'{"parts": '
            await asyncio.sleep(0)
            yield b"2}"

        return StreamingResponse(parts(), media_type="application/json")

    app.include_router(api)
    return app


Call = Callable[[ServiceClient], Awaitable[Any]]


async def outcome(client: ServiceClient, call: Call) -> Any:
    """What the gateway makes of a call: the answer, or the refusal it passes on to its own caller."""
    try:
        return await call(client)
    except ApiError as error:
        return error.status, error.code, error.message, error.headers, error.details


async def chunks() -> AsyncIterator[bytes]:
    for _ in range(3):
        yield b"x" * 1000


CALLS: dict[str, Call] = {
    "an id with a slash and a question mark": lambda c: c.get("/internal/things/a%2Fb%3Fc", partner_id="p 1"),
    "a parameter the service refuses": lambda c: c.get("/internal/things/t", partner_id="p", limit=500),
    "a parameter it needs, missing": lambda c: c.get("/internal/things/t"),
    "a refusal from its table, with Retry-After": lambda c: c.get("/internal/things/busy", partner_id="p"),
    "a refusal with more fields": lambda c: c.get("/internal/things/gone", partner_id="p"),
    "an address no route has": lambda c: c.get("/internal/nothing"),
    "a JSON body": lambda c: c.post("/internal/things", {"name": "Zoë", "tags": ["a", 1, None, True]}),
    "an answer without a body": lambda c: c.delete("/internal/things/t"),
    "a streamed upload": lambda c: c.post_stream("/internal/uploads", chunks(), "application/x-ndjson"),
    "a streamed answer": lambda c: c.get("/internal/stream"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
async def test_a_call_in_process_is_answered_as_the_same_call_over_http(call: Call) -> None:
    app = service()
    over_http = ServiceClient("things", httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                          base_url="http://things"))
    in_process = ServiceClient("things", InProcess(app, "things"))
    token = correlation_id.set("corr-1")
    try:
        assert await outcome(in_process, call) == await outcome(over_http, call)
    finally:
        correlation_id.reset(token)


async def test_the_service_reads_the_path_parameters_and_correlation_id_the_gateway_sent() -> None:
    client = ServiceClient("things", InProcess(service(), "things"))
    token = correlation_id.set("corr-2")
    try:
        answer = await client.get("/internal/things/a%20b%25", partner_id="p-1", limit=5)
    finally:
        correlation_id.reset(token)

    assert answer == {"id": "a b%", "partner_id": "p-1", "limit": 5, "path": "/internal/things/a b%",
                      "correlation_id": "corr-2"}


async def test_text_that_cannot_be_sent_is_the_callers_mistake_and_reaches_no_service() -> None:
    asked: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        asked.append(scope["path"])

    client = ServiceClient("things", InProcess(app, "things"))

    with pytest.raises(ApiError) as refused:
        await client.get("/internal/things/t", partner_id="\ud800")

    assert (refused.value.status, refused.value.code) == (422, "invalid_input")
    assert asked == []


async def test_an_error_the_service_lets_out_is_raised_in_the_gateway() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        await ServiceClient("things", InProcess(app, "things")).get("/internal/things/t")
