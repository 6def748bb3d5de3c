"""An agent's views of customers, users, devices and orders; the audit trail they leave; the limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from contracts.gateway import AgentActionRecorded
from gateway.config import GatewaySettings
from helpdesk import embedded
from tests.product import Product, running
from tests.product import login as login_as

pytestmark = pytest.mark.e2e



@pytest.fixture
async def product() -> AsyncIterator[Product]:
    async with running(GatewaySettings(auth_mode="demo", search_burst=3, search_per_minute=6, max_body_bytes=1024,
                                       max_query_chars=300)) as started:
        yield started


async def login(client: httpx.AsyncClient, email: str = "agent@northwind.example") -> dict[str, str]:
    return await login_as(client, email)


def audit_events(product: embedded.Embedded) -> list[AgentActionRecorded]:
    return [e for e in product.bus.published([AgentActionRecorded.TOPIC]) if isinstance(e, AgentActionRecorded)]


async def test_the_customer_view_has_what_an_agent_needs_and_no_internal_fields(product: Product) -> None:
    _, client = product

    response = await client.get("/api/v1/customers/o-acme", headers=await login(client))

    body = response.json()
    assert response.status_code == 200
    assert body["name"] == "Acme Corporation"
    assert body["created_at"] == "2023-04-12T09:30:00Z"
    assert [d["name"] for d in body["domains"]] == ["acme.example", "acme-corp.example"]
    assert body["sites"] == ["acme.webex.com"]
    assert body["licenses"][0]["sku"] == "MTG-PRO"
    assert body["subscriptions"] == []
    assert [o["number"] for o in body["orders"]] == ["WO-100200"]
    assert body["admins"] == [{"user_id": "u-cadmin", "name": "Carla Admin", "email": "it@acme.example"}]
    assert body["phone_numbers"] == [{"display": "(415) 555-0199", "e164": "+14155550199"}]
    assert {**body["read_only_access"], "since": None} == {"granted": True, "expires_at": None, "since": None,
                                                           "why_not": None, "full_admin_request": None}
    assert body["read_only_access"]["since"]
    assert "partner_id" not in body
    assert "version" not in body


async def test_the_user_device_and_order_views(product: Product) -> None:
    _, client = product
    agent = await login(client)

    user = (await client.get("/api/v1/users/u-jane", headers=agent)).json()
    device = (await client.get("/api/v1/devices/d-desk1", headers=agent)).json()
    order = (await client.get("/api/v1/orders/WO-100200", headers=agent)).json()

    assert (user["display_name"], user["email_address"], user["status"]) == ("Jane Doe", "jane.doe@acme.example",
                                                                               "active")
    assert user["licenses"] == ["MTG-PRO"]
    assert user["features"] == {"recording": True, "webinars": False}
    assert [d["id"] for d in user["devices"]] == ["d-desk1"]
    assert user["email"] == {"address": "jane.doe@acme.example", "suppressed": False, "suppression": None,
                             "last_message": {"kind": "welcome", "status": "delivered", "at": "2024-05-02T08:15:00Z",
                                              "reason": None},
                             "messages": [{"kind": "welcome", "subject": "", "status": "delivered",
                                           "at": "2024-05-02T08:15:00Z", "reason": None}]}
    assert device["owner"] == {"user_id": "u-jane", "name": "Jane Doe", "email": "jane.doe@acme.example"}
    assert device["org_name"] == "Acme Corporation"
    assert device["phone_numbers"] == [{"display": "+1 415 555 0101", "e164": "+14155550101"}]
    assert (order["number"], order["status"], order["org_id"]) == ("WO-100200", "provisioned", "o-acme")
    assert not {"partner_id", "version", "deleted"} & (set(user) | set(device) | set(order))


async def test_search_finds_a_customer_by_its_main_number_and_a_device_by_its_line(product: Product) -> None:
    _, client = product
    agent = await login(client)

    by_main = (await client.get("/api/v1/search", params={"q": "415.555.0199"}, headers=agent)).json()
    by_line = (await client.get("/api/v1/search", params={"q": "001 415 555 0101"}, headers=agent)).json()

    assert [(h["id"], h["matched"]) for h in by_main["customers"]] == [
        ("o-acme", {"field": "phone", "value": "+14155550199"})]
    assert [(h["id"], h["org_name"], h["matched"]) for h in by_line["devices"]] == [
        ("d-desk1", "Acme Corporation", {"field": "phone", "value": "+14155550101"})]


async def test_an_id_with_slashes_or_dots_is_just_an_unknown_id(product: Product) -> None:
    _, client = product
    agent = await login(client)

    for odd in ("..", "o-acme%2F..%2Fo-globex", "%00", "o-acme%3Fx%3D1", "o-acme%23"):
        response = await client.get(f"/api/v1/customers/{odd}", headers=agent)

        assert response.status_code == 404, odd


async def test_each_view_and_search_is_audited_with_the_requests_correlation_id(product: Product) -> None:
    embedded_product, client = product
    agent = {**await login(client), "X-Correlation-ID": "call-7"}

    await client.get("/api/v1/customers/o-acme", headers=agent)
    await client.get("/api/v1/users/u-jane", headers=agent)
    await client.get("/api/v1/search", params={"q": "jane", "org_id": "o-acme"}, headers=agent)
    await client.get("/api/v1/customers/o-globex", headers=agent)  # not theirs: nothing was read
    await embedded_product.settle()

    recorded = [(e.agent_id, e.action, e.target_type, e.target_id, e.org_id, e.partner_id, e.correlation_id)
                for e in audit_events(embedded_product)]
    assert recorded == [
        ("u-agent", "customer.viewed", "customer", "o-acme", "o-acme", "p-northwind", "call-7"),
        ("u-agent", "user.viewed", "user", "u-jane", "o-acme", "p-northwind", "call-7"),
        ("u-agent", "search", "search", "jane", "o-acme", "p-northwind", "call-7"),
    ]


async def test_searching_too_often_is_refused_with_retry_after(product: Product) -> None:
    _, client = product
    agent, other = await login(client), await login(client, "advanced@northwind.example")

    answers = [(await client.get("/api/v1/search", params={"q": "jane"}, headers=agent)).status_code
               for _ in range(4)]
    refused = await client.get("/api/v1/search", params={"q": "jane"}, headers=agent)
    someone_else = await client.get("/api/v1/search", params={"q": "jane"}, headers=other)

    assert answers == [200, 200, 200, 429]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert someone_else.status_code == 200


async def test_a_body_or_query_over_the_limit_is_refused(product: Product) -> None:
    _, client = product

    declared = await client.post("/api/v1/auth/demo-login", json={"email": "a" * 2000 + "@x.example"})

    async def undeclared() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b'{"email": "' + b"a" * 400

    streamed = await client.post("/api/v1/auth/demo-login", content=undeclared(),
                                 headers={"content-type": "application/json"})
    long_query = await client.get("/api/v1/search", params={"q": "j" * 400}, headers=await login(client))

    assert (declared.status_code, declared.json()["error"]["code"]) == (413, "payload_too_large")
    assert (streamed.status_code, streamed.json()["error"]["code"]) == (413, "payload_too_large")
    assert (long_query.status_code, long_query.json()["error"]["code"]) == (422, "query_too_long")
