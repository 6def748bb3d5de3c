"""The product in one process: a user imported through the gateway is found through the gateway."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from gateway.config import GatewaySettings
from helpdesk import embedded
from tests.product import login

pytestmark = pytest.mark.e2e

NINA = {"type": "user", "id": "u-nina", "org_id": "o-acme", "email": "Nina.Newman@acme.example",
        "first_name": "Nina", "last_name": "Newman"}




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
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
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


async def test_the_demo_shows_a_granted_customer_one_that_has_not_granted_and_a_suppressed_address(
    product: tuple[embedded.Embedded, httpx.AsyncClient],
) -> None:
    _, client = product
    agent = await login(client, "agent@northwind.example")

    acme = (await client.get("/api/v1/customers/o-acme", headers=agent)).json()
    bistro = (await client.get("/api/v1/customers/o-bistro", headers=agent)).json()
    globex = (await client.get("/api/v1/customers/o-globex", headers=await login(client, "agent@contoso.example")))
    jane = (await client.get("/api/v1/users/u-jane", headers=agent)).json()
    rene = (await client.get("/api/v1/users/u-rene/email", headers=agent)).json()

    assert _granted(acme) == {"granted": True, "expires_at": None}
    assert _granted(bistro) == _granted(globex.json()) == {"granted": False, "expires_at": None}
    assert (jane["email"]["last_message"]["status"], jane["email"]["suppressed"]) == ("delivered", False)
    assert rene == {"address": "rene.lefevre@bistro.example", "suppressed": True,
                    "last_message": {"kind": "welcome", "status": "bounced", "at": "2024-05-02T08:16:00Z",
                                     "reason": "550 5.1.1 The mailbox does not exist"},
                    "messages": [{"kind": "welcome", "subject": "", "status": "bounced", "at": "2024-05-02T08:16:00Z",
                                  "reason": "550 5.1.1 The mailbox does not exist"}],
                    "suppression": {"reason": "550 5.1.1 The mailbox does not exist",
                                    "since": "2024-05-02T08:16:00Z"}}


async def test_an_agent_removes_the_demo_suppression_and_reads_it_back_gone(
    product: tuple[embedded.Embedded, httpx.AsyncClient],
) -> None:
    _, client = product
    agent = await login(client, "agent@northwind.example")

    removed = await client.delete("/api/v1/users/u-rene/suppression", headers=agent)
    rene = (await client.get("/api/v1/users/u-rene", headers=agent)).json()

    assert removed.status_code == 204
    assert (rene["email"]["suppressed"], rene["email"]["suppression"]) == (False, None)
    assert rene["email"]["last_message"]["status"] == "bounced"


async def test_the_demo_customer_admin_sees_and_revokes_the_grant(
    product: tuple[embedded.Embedded, httpx.AsyncClient],
) -> None:
    _, client = product
    admin, agent = await login(client, "it@acme.example"), await login(client, "agent@northwind.example")

    granted = await client.get("/api/v1/customer/access-grant", headers=admin)
    await client.delete("/api/v1/customer/access-grant", headers=admin)
    acme = (await client.get("/api/v1/customers/o-acme", headers=agent)).json()

    assert granted.json() == {"granted": True, "partner_id": "p-northwind", "expires_at": None}
    assert _granted(acme) == {"granted": False, "expires_at": None}


async def test_starting_again_on_the_same_data_repeats_no_demo_event(
    product: tuple[embedded.Embedded, httpx.AsyncClient],
) -> None:
    embedded_product, _ = product
    topics = ["access.grants", "email.delivery"]
    first = [(type(e).__name__, e.key()) for e in embedded_product.bus.published(topics)]

    for name in ("email", "access"):
        for step in embedded_product.services[name].on_start:
            await step()
    await embedded_product.settle()

    assert sorted(first) == [("AccessGranted", "o-acme"), ("EmailStatusChanged", "jane.doe@acme.example"),
                             ("EmailStatusChanged", "rene.lefevre@bistro.example")]
    assert [(type(e).__name__, e.key()) for e in embedded_product.bus.published(topics)] == first


def _granted(customer: dict[str, Any]) -> dict[str, Any]:
    """Whether and until when the customer grants access, as an agent sees it on the customer."""
    access = customer["read_only_access"]
    return {"granted": access["granted"], "expires_at": access["expires_at"]}
