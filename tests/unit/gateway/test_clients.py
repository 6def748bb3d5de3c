"""The gateway's typed clients: ids kept whole in internal paths, and what each call answers when a service says no
or is down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
import pytest

from gateway.clients import AccessClient, EmailClient, IdentityClient
from gateway.config import GatewaySettings
from helpdesk.cli import SERVER
from helpdesk.distributed import IDLE_CONNECTION_SECONDS, service_http
from runtime.web import ApiError

pytestmark = pytest.mark.unit

Answer = Callable[[httpx.Request], httpx.Response]


def http(answer: Answer, asked: list[httpx.Request]) -> httpx.AsyncClient:
    def service(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return answer(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(service), base_url="http://service")


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def test_an_id_stays_one_segment_of_the_internal_path_whatever_it_holds() -> None:
    asked: list[httpx.Request] = []
    identity = IdentityClient(http(lambda _: httpx.Response(200, json={"partner_id": "p-1"}), asked))
    access = AccessClient(http(lambda _: httpx.Response(200, json={"granted": False}), asked))

    await identity.user("u/../admin?x=1", "p-1")
    await identity.set_helpdesk_level("p/1", "u#2", "advanced")
    await access.grant_status("o-acme/../o-other", "p-1")

    assert [request.url.raw_path for request in asked] == [
        b"/internal/users/u%2F..%2Fadmin%3Fx%3D1?partner_id=p-1",
        b"/internal/partners/p%2F1/helpdesk-agents/u%232",
        b"/internal/grants/o-acme%2F..%2Fo-other?partner_id=p-1",
    ]


async def test_an_address_not_on_the_suppression_list_is_refused_as_the_email_service_says() -> None:
    asked: list[httpx.Request] = []
    refusal = {"error": {"code": "not_suppressed", "message": "This address is not on the suppression list."}}
    email = EmailClient(http(lambda _: httpx.Response(404, json=refusal), asked))

    with pytest.raises(ApiError) as refused:
        await email.check_suppressed("jane.doe@acme.example")

    assert (refused.value.status, refused.value.code) == (404, "not_suppressed")
    assert refused.value.message == "This address is not on the suppression list."
    assert [(request.method, request.url.raw_path) for request in asked] == [
        ("GET", b"/internal/addresses/jane.doe%40acme.example/suppression")]


async def test_mail_status_is_left_out_while_the_email_service_is_down_but_not_when_it_refuses() -> None:
    reachable = EmailClient(http(lambda _: httpx.Response(422, json={"error": {"code": "invalid_address",
                                                                               "message": "Not an address."}}), []))

    missing = await EmailClient(http(down, [])).address_unless_down("jane.doe@acme.example")
    with pytest.raises(ApiError) as refused:
        await reachable.address_unless_down("jane.doe")

    assert missing is None
    assert (refused.value.status, refused.value.code) == (422, "invalid_address")


async def test_an_unknown_login_is_answered_in_the_gateways_words() -> None:
    identity = IdentityClient(http(lambda _: httpx.Response(404, json={"error": {"code": "not_found",
                                                                                 "message": "Nothing."}}), []))

    with pytest.raises(ApiError) as refused:
        await identity.login("nobody@acme.example")

    assert (refused.value.status, refused.value.code, refused.value.message) == (
        404, "user_not_found", "No user has this e-mail address.")


class _ClosingFirst:
    """An HTTP server on loopback that reads the first request and closes its connection without a word, as a
    service closing an idle keep-alive connection just as a request arrives on it; it answers later ones."""

    def __init__(self) -> None:
        self.requests = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.requests += 1
        if self.requests > 1:
            writer.write(b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\n'
                         b'{"granted":true}')
            await writer.drain()
        writer.close()


async def test_a_read_whose_connection_the_service_closed_under_it_is_asked_again_on_a_new_one() -> None:
    closing = _ClosingFirst()
    async with closing as url, httpx.AsyncClient(base_url=url) as client:
        answer = await AccessClient(client).get("/internal/grants/o-acme", partner_id="p-1")

    assert closing.requests == 2
    assert answer == {"granted": True}


def closed_under(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


async def test_a_post_is_not_sent_twice_and_its_503_is_logged_with_the_service(caplog: pytest.LogCaptureFixture
                                                                                ) -> None:
    asked: list[httpx.Request] = []
    email = EmailClient(http(closed_under, asked))

    with caplog.at_level(logging.WARNING, logger="gateway.clients.base"), pytest.raises(ApiError) as refused:
        await email.post("/internal/verification-codes", {"user_id": "u-jane"})

    assert (refused.value.status, refused.value.code) == (503, "service_unavailable")
    assert len(asked) == 1  # the service may have made and mailed a code: not asked for another
    assert [(r.message, r.to_service, r.method) for r in caplog.records] == [  # type: ignore[attr-defined]
        ("service unreachable", "email", "POST")]


async def test_a_removal_is_not_sent_twice_whose_second_answer_would_contradict_the_first() -> None:
    asked: list[httpx.Request] = []
    email = EmailClient(http(closed_under, asked))

    with pytest.raises(ApiError) as refused:
        await email.delete("/internal/addresses/jane.doe%40acme.example/suppression")

    assert refused.value.status == 503
    assert len(asked) == 1


@pytest.mark.parametrize(("failure", "tries"), [(closed_under, 2), (down, 2), (
    lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("timed out", request=request)), 1)],
    ids=["closed twice", "refused twice", "timed out"])
async def test_a_read_is_asked_again_at_most_once_and_never_after_a_timeout(failure: Answer, tries: int) -> None:
    asked: list[httpx.Request] = []
    access = AccessClient(http(failure, asked))

    with pytest.raises(ApiError) as refused:
        await access.get("/internal/grants/o-acme", partner_id="p-1")

    assert refused.value.status == 503
    assert len(asked) == tries


async def test_the_gateway_closes_idle_connections_to_a_service_before_the_service_does() -> None:
    async with service_http("http://search:8002", GatewaySettings(auth_mode="demo")) as client:
        pool = client._transport._pool  # type: ignore[attr-defined]  # httpx keeps its pool settings there
        assert pool._keepalive_expiry == IDLE_CONNECTION_SECONDS < SERVER["timeout_keep_alive"]
