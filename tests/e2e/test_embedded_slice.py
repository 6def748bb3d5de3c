"""The product in one process: a user imported through the gateway is found through the gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.config import GatewaySettings
from helpdesk import embedded

pytestmark = pytest.mark.e2e

NINA = {"type": "user", "id": "u-nina", "org_id": "o-acme", "email": "Nina.Newman@acme.example",
        "first_name": "Nina", "last_name": "Newman"}


@pytest.fixture
async def product() -> AsyncIterator[tuple[embedded.Embedded, httpx.AsyncClient]]:
    product = embedded.build()
    async with product.app.router.lifespan_context(product.app):
        transport = httpx.ASGITransport(app=product.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://helpdesk") as client:
            yield product, client


async def login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/demo-login", json={"email": email})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_an_imported_user_is_found_by_an_agent_of_the_managing_partner(
    product: tuple[embedded.Embedded, httpx.AsyncClient],
) -> None:
    embedded_product, client = product
    operator = await login(client, "operator@helpdesk.local")

    imported = await client.post("/api/v1/operator/import", content=json.dumps(NINA) + "\n", headers=operator)
    await embedded_product.settle()
    agent = await login(client, "agent@northwind.example")
    found = await client.get("/api/v1/search", params={"q": "nina.newman@ACME.example"}, headers=agent)

    assert imported.json() == {"accepted": 1, "rejected": [], "rejected_total": 0}
    assert found.status_code == 200
    assert [(h["id"], h["org_id"]) for h in found.json()["users"]] == [("u-nina", "o-acme")]


async def test_an_agent_of_another_partner_does_not_find_the_user(
    product: tuple[embedded.Embedded, httpx.AsyncClient],
) -> None:
    embedded_product, client = product
    operator = await login(client, "operator@helpdesk.local")
    await client.post("/api/v1/operator/import", content=json.dumps(NINA) + "\n", headers=operator)
    await embedded_product.settle()
    other_agent = await login(client, "agent@contoso.example")

    found = await client.get("/api/v1/search", params={"q": "nina"}, headers=other_agent)

    assert found.status_code == 200
    assert found.json()["users"] == []


async def test_search_needs_a_token_and_the_helpdesk_role(
    product: tuple[embedded.Embedded, httpx.AsyncClient],
) -> None:
    _, client = product
    customer_admin = await login(client, "it@acme.example")

    anonymous = await client.get("/api/v1/search", params={"q": "jane"})
    forged = await client.get("/api/v1/search", params={"q": "jane"}, headers={"Authorization": "Bearer x.y.z"})
    wrong_role = await client.get("/api/v1/search", params={"q": "jane"}, headers=customer_admin)

    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    assert forged.status_code == 401
    assert wrong_role.status_code == 403
    assert wrong_role.json()["error"]["code"] == "forbidden"


async def test_importing_needs_the_operator_role(product: tuple[embedded.Embedded, httpx.AsyncClient]) -> None:
    _, client = product
    agent = await login(client, "agent@northwind.example")

    response = await client.post("/api/v1/operator/import", content=json.dumps(NINA), headers=agent)

    assert response.status_code == 403


async def test_bad_input_gets_a_clear_422(product: tuple[embedded.Embedded, httpx.AsyncClient]) -> None:
    _, client = product
    agent = await login(client, "agent@northwind.example")

    empty = await client.get("/api/v1/search", params={"q": ""}, headers=agent)
    too_long = await client.get("/api/v1/search", params={"q": "x" * 300}, headers=agent)

    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "invalid_input"
    assert "q" in empty.json()["error"]["message"]
    assert too_long.status_code == 422


async def test_an_unknown_login_is_a_404_and_me_tells_who_is_signed_in(
    product: tuple[embedded.Embedded, httpx.AsyncClient],
) -> None:
    _, client = product
    unknown = await client.post("/api/v1/auth/demo-login", json={"email": "nobody@nowhere.example"})
    agent = await login(client, "agent@northwind.example")

    me = await client.get("/api/v1/me", headers=agent)

    assert unknown.status_code == 404
    assert me.json() == {"user_id": "u-agent", "email": "agent@northwind.example", "name": "Alex Agent",
                         "org_id": "p-northwind", "partner_id": "p-northwind", "roles": ["helpdesk"]}


async def test_demo_login_does_not_exist_when_an_external_identity_provider_is_trusted() -> None:
    product = embedded.build(gateway_settings=GatewaySettings(auth_mode="external"))
    async with product.app.router.lifespan_context(product.app):
        transport = httpx.ASGITransport(app=product.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://helpdesk") as client:
            response = await client.post("/api/v1/auth/demo-login", json={"email": "agent@northwind.example"})

    assert response.status_code == 404


async def test_health_and_readiness_answer(product: tuple[embedded.Embedded, httpx.AsyncClient]) -> None:
    _, client = product

    health, ready = await asyncio.gather(client.get("/healthz"), client.get("/readyz"))

    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_the_correlation_id_comes_back_and_is_carried_into_the_event(
    product: tuple[embedded.Embedded, httpx.AsyncClient],
) -> None:
    embedded_product, client = product
    operator = await login(client, "operator@helpdesk.local")

    response = await client.post("/api/v1/operator/import", content=json.dumps(NINA) + "\n",
                                 headers={**operator, "X-Correlation-ID": "call-42"})
    await embedded_product.settle()

    assert response.headers["X-Correlation-ID"] == "call-42"
    events = [e for e in embedded_product.bus.published(["identity.users"]) if e.key() == "u-nina"]
    assert [e.correlation_id for e in events] == ["call-42"]
