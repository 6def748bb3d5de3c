"""The gateway's typed clients: ids kept whole in internal paths, and what each call answers when a service says no
or is down."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from gateway.clients import AccessClient, EmailClient, IdentityClient
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
