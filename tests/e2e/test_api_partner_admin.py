"""A partner admin gives and takes the Help Desk role of the partner's own people; it takes effect at once."""

from __future__ import annotations

import pytest

from contracts.identity import RoleAssigned, RoleRevoked
from tests.product import Product, login

pytestmark = pytest.mark.e2e

AGENTS = "/api/v1/partner/helpdesk-agents"


async def test_the_admin_lists_the_partners_agents_with_their_level(product: Product) -> None:
    _, client = product

    response = await client.get(AGENTS, headers=await login(client, "admin@northwind.example"))

    assert response.json() == [
        {"user_id": "u-agent", "name": "Alex Agent", "email": "agent@northwind.example", "level": "basic"},
        {"user_id": "u-advanced", "name": "Ava Advanced", "email": "advanced@northwind.example",
         "level": "advanced"},
    ]


async def test_a_revoked_agent_is_refused_with_the_token_they_already_hold(product: Product) -> None:
    embedded_product, client = product
    admin, agent = await login(client, "admin@northwind.example"), await login(client, "agent@northwind.example")
    before = await client.get("/api/v1/customers/o-acme", headers=agent)

    revoked = await client.delete(f"{AGENTS}/u-agent", headers=admin)
    await embedded_product.settle()
    after = await client.get("/api/v1/customers/o-acme", headers=agent)
    me = await client.get("/api/v1/me", headers=agent)

    assert (before.status_code, revoked.status_code, after.status_code) == (200, 204, 403)
    assert me.json()["roles"] == []
    events = [e for e in embedded_product.bus.published([RoleRevoked.TOPIC]) if isinstance(e, RoleRevoked)]
    assert [(e.user_id, e.role, e.partner_id) for e in events] == [("u-agent", "helpdesk", "p-northwind")]


async def test_an_assigned_level_changes_what_the_agent_holds(product: Product) -> None:
    embedded_product, client = product
    admin, agent = await login(client, "admin@northwind.example"), await login(client, "agent@northwind.example")

    assigned = await client.put(f"{AGENTS}/u-agent", json={"level": "advanced"}, headers=admin)
    await embedded_product.settle()
    me = await client.get("/api/v1/me", headers=agent)
    again = await client.put(f"{AGENTS}/u-agent", json={"level": "advanced"}, headers=admin)

    assert assigned.json() == {"user_id": "u-agent", "name": "Alex Agent", "email": "agent@northwind.example",
                               "level": "advanced"}
    assert me.json()["roles"] == ["helpdesk_advanced"]
    assert again.status_code == 200
    changes = [(type(e).__name__, e.role) for e in embedded_product.bus.published([RoleAssigned.TOPIC])
               if isinstance(e, RoleAssigned | RoleRevoked) and e.user_id == "u-agent"]
    assert changes[-2:] == [("RoleAssigned", "helpdesk_advanced"), ("RoleRevoked", "helpdesk")]


async def test_a_new_agent_gets_the_basic_level_by_default_and_can_search(product: Product) -> None:
    embedded_product, client = product
    admin = await login(client, "admin@northwind.example")

    assigned = await client.put(f"{AGENTS}/u-padmin", headers=admin)
    await embedded_product.settle()
    search = await client.get("/api/v1/search", params={"q": "jane"}, headers=admin)

    assert assigned.json()["level"] == "basic"
    assert search.status_code == 200


async def test_the_admin_cannot_touch_a_customers_user_or_another_partners_person(product: Product) -> None:
    _, client = product
    admin = await login(client, "admin@northwind.example")

    customer_user = await client.put(f"{AGENTS}/u-jane", json={"level": "basic"}, headers=admin)
    other_partners = await client.delete(f"{AGENTS}/u-other-agent", headers=admin)
    unknown = await client.delete(f"{AGENTS}/u-nobody", headers=admin)

    assert customer_user.status_code == other_partners.status_code == unknown.status_code == 404
    assert customer_user.json() == other_partners.json() == unknown.json()


async def test_a_bad_level_is_a_clear_422(product: Product) -> None:
    _, client = product

    response = await client.put(f"{AGENTS}/u-agent", json={"level": "root"},
                                headers=await login(client, "admin@northwind.example"))

    assert response.status_code == 422
    assert "level" in response.json()["error"]["message"]
