"""Through the gateway: an advanced agent asks Acme for full admin access, Acme's admin is mailed and answers, and
the agent changes Jane under an admin session for as long as the approval lasts."""

from __future__ import annotations

import json

import httpx
import pytest

from contracts.gateway import AgentActionRecorded
from contracts.identity import UserUpserted
from tests.product import Product, login
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

ADVANCED, AGENT, CUSTOMER_ADMIN = "advanced@northwind.example", "agent@northwind.example", "it@acme.example"
CONTOSO_AGENT, OPERATOR = "agent@contoso.example", "operator@helpdesk.local"
REQUESTS = "/api/v1/customer/access-requests"
JANE = "/api/v1/admin/o-acme/users/u-jane"
REASON = "Ticket 4711: Jane needs her licence back"


async def ask(client: httpx.AsyncClient, agent: dict[str, str], org_id: str = "o-acme") -> httpx.Response:
    return await client.post(f"/api/v1/customers/{org_id}/access-requests", json={"reason": REASON}, headers=agent)


async def approved_session(client: httpx.AsyncClient, agent: dict[str, str], admin: dict[str, str]
                           ) -> tuple[str, dict[str, str]]:
    """The request's id and the headers of an admin session opened under its approval."""
    request_id = (await ask(client, agent)).json()["request_id"]
    approved = await client.post(f"{REQUESTS}/{request_id}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    opened = await client.post("/api/v1/customers/o-acme/admin-sessions", headers=agent)
    assert opened.status_code == 201, opened.text
    return request_id, {**agent, "X-Admin-Session": opened.json()["token"]}


class TestRequestAndApproval:
    async def test_the_admin_is_mailed_approves_and_the_agents_change_reaches_views_and_search(
            self, product: Product) -> None:
        embedded_product, client = product
        agent, admin, operator = (await login(client, ADVANCED), await login(client, CUSTOMER_ADMIN),
                                  await login(client, OPERATOR))

        asked = await ask(client, agent)
        assert asked.status_code == 202, asked.text
        request_id = asked.json()["request_id"]

        async def mailed() -> list[dict[str, str]]:
            found: list[dict[str, str]] = (await client.get("/api/v1/operator/outbox", params={
                "to": CUSTOMER_ADMIN}, headers=operator)).json()
            return found

        [mail] = await eventually(mailed, timeout=5, interval=0.02)
        assert "Ava Advanced" in mail["subject"]
        assert "Northwind Partners" in mail["text"]
        assert REASON in mail["text"]
        listed = (await client.get(REQUESTS, headers=admin)).json()
        assert [(r["request_id"], r["agent"], r["partner"], r["reason"], r["status"]) for r in listed] == [
            (request_id, "Ava Advanced", "Northwind Partners", REASON, "pending")]

        approved = await client.post(f"{REQUESTS}/{request_id}/approve", headers=admin)
        assert approved.json()["status"] == "approved"
        await embedded_product.settle()
        jane_version = [e.user for e in embedded_product.bus.published([UserUpserted.TOPIC])
                        if isinstance(e, UserUpserted) and e.user.id == "u-jane"][-1].version
        opened = await client.post("/api/v1/customers/o-acme/admin-sessions", headers=agent)
        assert opened.status_code == 201, opened.text
        session = {**agent, "X-Admin-Session": opened.json()["token"]}
        changed = await client.patch(JANE, json={"status": "inactive", "licenses": [],
                                                 "features": {"webinars": True}}, headers=session)

        assert changed.status_code == 200, changed.text
        assert (changed.json()["status"], changed.json()["licenses"], changed.json()["features"]) == (
            "inactive", [], {"recording": True, "webinars": True})
        jane = (await client.get("/api/v1/users/u-jane", headers=agent)).json()
        assert (jane["status"], jane["licenses"]) == ("inactive", [])

        await embedded_product.settle()
        # Search shows no status nor licences: it read the change as it reads any other, from UserUpserted.
        upserts = [e.user for e in embedded_product.bus.published([UserUpserted.TOPIC])
                   if isinstance(e, UserUpserted) and e.user.id == "u-jane"]
        assert (upserts[-1].status, upserts[-1].licenses, upserts[-1].version) == ("inactive", (), jane_version + 1)
        found = await client.get("/api/v1/search", params={"q": "jane.doe@acme.example"}, headers=agent)
        assert [hit["id"] for hit in found.json()["users"]] == ["u-jane"]
        audited = [(e.action, e.target_id, e.reason) for e in embedded_product.bus.published([
            AgentActionRecorded.TOPIC]) if isinstance(e, AgentActionRecorded) and e.agent_id == "u-advanced"]
        assert ("user.changed_as_admin", "u-jane", f"{REASON} (full admin access request {request_id})") in audited

    async def test_a_denied_request_opens_no_session(self, product: Product) -> None:
        _, client = product
        agent, admin = await login(client, ADVANCED), await login(client, CUSTOMER_ADMIN)
        request_id = (await ask(client, agent)).json()["request_id"]

        denied = await client.post(f"{REQUESTS}/{request_id}/deny", headers=admin)
        refused = await client.post("/api/v1/customers/o-acme/admin-sessions", headers=agent)

        assert denied.json()["status"] == "denied"
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "access_not_granted"

    async def test_no_session_before_the_customer_answers(self, product: Product) -> None:
        _, client = product
        agent = await login(client, ADVANCED)
        await ask(client, agent)

        refused = await client.post("/api/v1/customers/o-acme/admin-sessions", headers=agent)

        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "access_not_granted")


class TestAdminSession:
    async def test_the_admin_ending_the_window_refuses_the_next_change(self, product: Product) -> None:
        _, client = product
        agent, admin = await login(client, ADVANCED), await login(client, CUSTOMER_ADMIN)
        request_id, session = await approved_session(client, agent, admin)
        assert (await client.patch(JANE, json={"status": "pending"}, headers=session)).status_code == 200

        ended = await client.delete(f"{REQUESTS}/{request_id}", headers=admin)
        refused = await client.patch(JANE, json={"status": "active"}, headers=session)

        assert ended.status_code == 204
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "access_not_granted")
        listed = (await client.get(REQUESTS, headers=admin)).json()
        assert [r["status"] for r in listed] == ["ended"]

    async def test_a_change_needs_the_session_token_and_a_valid_body(self, product: Product) -> None:
        _, client = product
        agent, admin = await login(client, ADVANCED), await login(client, CUSTOMER_ADMIN)
        _, session = await approved_session(client, agent, admin)

        without = await client.patch(JANE, json={"status": "active"}, headers=agent)
        unknown_field = await client.patch(JANE, json={"roles": ["customer_admin"]}, headers=session)
        unknown_status = await client.patch(JANE, json={"status": "boss"}, headers=session)
        unknown_license = await client.patch(JANE, json={"licenses": ["NOPE"]}, headers=session)

        assert (without.status_code, without.json()["error"]["code"]) == (401, "admin_session_required")
        assert (unknown_field.status_code, unknown_status.status_code) == (422, 422)
        assert (unknown_license.status_code, unknown_license.json()["error"]["code"]) == (422, "unknown_license")

    async def test_the_session_opens_only_its_own_customers_users(self, product: Product) -> None:
        _, client = product
        agent, admin = await login(client, ADVANCED), await login(client, CUSTOMER_ADMIN)
        _, session = await approved_session(client, agent, admin)

        other_org = await client.patch("/api/v1/admin/o-bistro/users/u-rene", json={"status": "active"},
                                       headers=session)
        not_acmes = await client.patch("/api/v1/admin/o-acme/users/u-rene", json={"status": "active"},
                                       headers=session)

        assert other_org.status_code == 404
        assert (not_acmes.status_code, not_acmes.json()["error"]["code"]) == (404, "user_not_found")


class TestWhoMayAsk:
    async def test_a_basic_agent_may_not_ask(self, product: Product) -> None:
        _, client = product

        refused = await ask(client, await login(client, AGENT))

        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")

    async def test_another_partners_advanced_agent_finds_no_such_customer(self, product: Product) -> None:
        embedded_product, client = product
        operator = await login(client, OPERATOR)
        promoted = {"type": "user", "id": "u-other-agent", "org_id": "p-contoso", "email": CONTOSO_AGENT,
                    "first_name": "Olga", "last_name": "Other", "roles": ["helpdesk_advanced"]}
        await client.post("/api/v1/operator/import", content=json.dumps(promoted) + "\n", headers=operator)
        await embedded_product.settle()
        contoso = await login(client, CONTOSO_AGENT)

        foreign, unknown = await ask(client, contoso), await ask(client, contoso, org_id="o-nobody")

        assert foreign.status_code == 404
        assert foreign.json() == unknown.json()

    async def test_another_orgs_request_is_not_found_for_the_admin(self, product: Product) -> None:
        _, client = product
        agent, admin = await login(client, ADVANCED), await login(client, CUSTOMER_ADMIN)
        bistros = (await ask(client, agent, org_id="o-bistro")).json()["request_id"]

        foreign = await client.post(f"{REQUESTS}/{bistros}/approve", headers=admin)
        unknown = await client.post(f"{REQUESTS}/ar-nobody/approve", headers=admin)

        assert foreign.status_code == 404
        assert foreign.json() == unknown.json()
        assert (await client.get(REQUESTS, headers=admin)).json() == []


async def test_the_customer_view_shows_the_partners_waiting_or_open_request(product: Product) -> None:
    _, client = product
    agent, admin = await login(client, ADVANCED), await login(client, CUSTOMER_ADMIN)

    async def shown() -> object:
        view = (await client.get("/api/v1/customers/o-acme", headers=agent)).json()
        request = view["read_only_access"]["full_admin_request"]
        return None if request is None else (request["request_id"], request["status"])

    before = await shown()
    request_id = (await ask(client, agent)).json()["request_id"]
    waiting = await shown()
    await client.post(f"{REQUESTS}/{request_id}/approve", headers=admin)
    open_ = await shown()
    await client.delete(f"{REQUESTS}/{request_id}", headers=admin)
    ended = await shown()

    assert (before, waiting, open_, ended) == (None, (request_id, "pending"), (request_id, "approved"), None)
