"""The audit log through the public API of the embedded product: a customer's admin sees what partner agents did in
their organisation, a partner's admin what the partner's own agents did across its customers, and nobody else's."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.product import Product, login, running
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

AGENT, CONTOSO_AGENT, OPERATOR = "agent@northwind.example", "agent@contoso.example", "operator@helpdesk.local"
ACME_ADMIN, NORTHWIND_ADMIN, CONTOSO_ADMIN = "it@acme.example", "admin@northwind.example", "admin@contoso.example"
JANE = "jane.doe@acme.example"
CONTOSO_ADMIN_USER = {"type": "user", "id": "u-contoso-admin", "org_id": "p-contoso", "email": CONTOSO_ADMIN,
                      "first_name": "Cora", "last_name": "Admin", "roles": ["partner_admin"]}
# What the Northwind agent does in Acme, each recorded with this action and target.
IN_ACME = [("search", "jane"), ("customer.viewed", "o-acme"), ("user.viewed", "u-jane"),
           ("device.viewed", "d-desk1"), ("order.viewed", "WO-100200"), ("user.email_viewed", "u-jane"),
           ("user.code_sent", "u-jane"), ("user.code_rejected", "u-jane"), ("user.code_verified", "u-jane"),
           ("user.suppression_removed", "u-jane")]
ELSEWHERE = [("search", "rene"), ("customer.viewed", "o-bistro")]  # across customers, and in Bistro


@pytest.fixture
async def product() -> AsyncIterator[Product]:
    async with running() as started:
        embedded, client = started
        operator = await login(client, OPERATOR)
        imported = await client.post("/api/v1/operator/import", content=json.dumps(CONTOSO_ADMIN_USER) + "\n",
                                     headers=operator)
        assert imported.json()["accepted"] == 1
        await embedded.settle()
        yield started


async def mailed_code(product: Product) -> str:
    embedded, client = product
    await embedded.settle()
    operator = await login(client, OPERATOR)

    async def mails() -> list[dict[str, str]]:
        found: list[dict[str, str]] = (await client.get("/api/v1/operator/outbox", params={"to": JANE},
                                                        headers=operator)).json()
        return found

    code: str = re.findall(r"\b\d{6}\b", (await eventually(mails, timeout=10))[0]["text"])[0]
    return code


async def act_as_northwind_agent(product: Product) -> str:
    """Everything an agent does on a call about Jane, then a look elsewhere; the code that was mailed."""
    embedded, client = product
    agent = await login(client, AGENT)
    for path, params in [("/api/v1/search", {"q": "jane", "org_id": "o-acme"}), ("/api/v1/customers/o-acme", None),
                         ("/api/v1/users/u-jane", None), ("/api/v1/devices/d-desk1", None),
                         ("/api/v1/orders/WO-100200", None), ("/api/v1/users/u-jane/email", None)]:
        assert (await client.get(path, params=params, headers=agent)).status_code == 200, path
    sent = (await client.post("/api/v1/users/u-jane/verification-codes", headers=agent)).json()
    code = await mailed_code(product)
    check = f"/api/v1/users/u-jane/verification-codes/{sent['code_id']}/check"
    await client.post(check, json={"code": "000000" if code != "000000" else "111111"}, headers=agent)
    assert (await client.post(check, json={"code": code}, headers=agent)).status_code == 200
    bounced = [{"address": JANE, "status": "bounced", "at": "2025-01-01T00:00:00Z"}]
    await client.post("/api/v1/operator/email-events", json=bounced, headers=await login(client, OPERATOR))
    await embedded.settle()
    assert (await client.delete("/api/v1/users/u-jane/suppression", headers=agent)).status_code == 204
    assert (await client.get("/api/v1/search", params={"q": "rene"}, headers=agent)).status_code == 200
    assert (await client.get("/api/v1/customers/o-bistro", headers=agent)).status_code == 200
    await embedded.settle()
    return code


async def audit(client: httpx.AsyncClient, who: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every entry the admin is shown, following the pages."""
    headers = await login(client, who)
    entries: list[dict[str, Any]] = []
    while True:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        entries += response.json()["entries"]
        if response.json()["next_cursor"] is None:
            return entries
        params = {**params, "cursor": response.json()["next_cursor"]}


def actions(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(entry["action"], entry["target"]["id"]) for entry in entries]


async def test_the_customer_admin_sees_what_the_agent_did_in_their_organisation_and_nothing_else(
        product: Product) -> None:
    _, client = product
    await act_as_northwind_agent(product)

    entries = await audit(client, ACME_ADMIN, "/api/v1/customer/audit")

    assert actions(entries) == list(reversed(IN_ACME))
    assert {(e["agent"]["id"], e["agent"]["email"], e["org_id"]) for e in entries} == {
        ("u-agent", AGENT, "o-acme")}
    assert all(e["correlation_id"] for e in entries)


async def test_the_partner_admin_sees_everything_the_partners_agents_did_across_customers(product: Product) -> None:
    _, client = product
    await act_as_northwind_agent(product)

    everything = await audit(client, NORTHWIND_ADMIN, "/api/v1/partner/audit", limit=3)
    in_bistro = await audit(client, NORTHWIND_ADMIN, "/api/v1/partner/audit", org_id="o-bistro")

    assert actions(everything) == list(reversed(IN_ACME + ELSEWHERE))
    assert actions(in_bistro) == [("customer.viewed", "o-bistro")]


async def test_another_partners_admin_sees_none_of_it(product: Product) -> None:
    _, client = product
    await act_as_northwind_agent(product)
    contoso_agent = await login(client, CONTOSO_AGENT)
    assert (await client.get("/api/v1/customers/o-globex", headers=contoso_agent)).status_code == 200
    await product[0].settle()

    theirs = await audit(client, CONTOSO_ADMIN, "/api/v1/partner/audit")
    in_acme = await audit(client, CONTOSO_ADMIN, "/api/v1/partner/audit", org_id="o-acme")

    assert actions(theirs) == [("customer.viewed", "o-globex")]
    assert in_acme == []


async def test_the_log_can_be_narrowed_by_action_agent_and_time(product: Product) -> None:
    _, client = product
    await act_as_northwind_agent(product)
    all_entries = await audit(client, ACME_ADMIN, "/api/v1/customer/audit")
    oldest, newest = all_entries[-1]["at"], all_entries[0]["at"]

    views = await audit(client, ACME_ADMIN, "/api/v1/customer/audit", action="user.viewed")
    by_someone_else = await audit(client, ACME_ADMIN, "/api/v1/customer/audit", agent="u-advanced")
    before_the_last = await audit(client, ACME_ADMIN, "/api/v1/customer/audit", since=oldest, until=newest)

    assert actions(views) == [("user.viewed", "u-jane")]
    assert by_someone_else == []
    assert before_the_last == [e for e in all_entries if e["at"] < newest]


async def test_no_entry_carries_the_verification_code(product: Product) -> None:
    _, client = product
    code = await act_as_northwind_agent(product)

    shown = [*await audit(client, ACME_ADMIN, "/api/v1/customer/audit"),
             *await audit(client, NORTHWIND_ADMIN, "/api/v1/partner/audit")]

    # Every field but the time, whose microseconds are six digits that could equal the code by chance.
    assert code not in json.dumps([{k: v for k, v in entry.items() if k != "at"} for entry in shown])


async def test_a_cursor_that_was_not_given_is_refused_with_a_clear_message(product: Product) -> None:
    _, client = product

    response = await client.get("/api/v1/customer/audit", params={"cursor": "not-a-cursor"},
                                headers=await login(client, ACME_ADMIN))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_a_read_only_session_is_in_the_customers_log_once_with_its_reason(product: Product) -> None:
    embedded, client = product
    agent, admin = await login(client, AGENT), await login(client, ACME_ADMIN)
    opened = await client.post("/api/v1/customers/o-acme/read-only-sessions", json={"reason": "Ticket 4711"},
                               headers=agent)
    await embedded.settle()

    async def started() -> list[dict[str, Any]]:
        page: list[dict[str, Any]] = (await client.get("/api/v1/customer/audit", params={
            "action": "read_only_session.started"}, headers=admin)).json()["entries"]
        return page

    entries = await eventually(started, timeout=5)
    await embedded.settle()
    entries = await started()

    assert opened.status_code == 201, opened.text
    assert [(e["agent"]["id"], e["reason"]) for e in entries] == [("u-agent", "Ticket 4711")]
