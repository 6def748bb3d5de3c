"""Through the gateway: a customer admin's grant as agents see it, a user's mail and suppression, and what each
answers when its service is down."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest

from contracts.access import AccessGranted, AccessRevoked
from contracts.email import SuppressionRemoved
from contracts.gateway import AgentActionRecorded
from gateway.auth import Principal
from gateway.clients import AccessClient, EmailClient, ServiceClient, Services
from helpdesk import embedded
from services.identity import demo
from tests.product import Product, login

pytestmark = pytest.mark.e2e

AGENT, CONTOSO_AGENT, CUSTOMER_ADMIN = "agent@northwind.example", "agent@contoso.example", "it@acme.example"
OPERATOR = "operator@helpdesk.local"
GRANT = "/api/v1/customer/access-grant"


async def access_of(client: httpx.AsyncClient, org_id: str, agent: dict[str, str]) -> object:
    response = await client.get(f"/api/v1/customers/{org_id}", headers=agent)
    assert response.status_code == 200, response.text
    access = response.json()["read_only_access"]
    # Whether and until when; since when, and why not, are tested with read-only sessions.
    return {"granted": access["granted"], "expires_at": access["expires_at"]}


def published(product: embedded.Embedded, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in product.bus.published([kind.TOPIC]) if isinstance(e, kind)]


class TestAccessGrant:
    async def test_the_customer_admin_sees_the_grant_to_its_partner(self, product: Product) -> None:
        _, client = product

        response = await client.get(GRANT, headers=await login(client, CUSTOMER_ADMIN))

        assert response.json() == {"granted": True, "partner_id": "p-northwind", "expires_at": None}

    async def test_a_revoked_grant_is_gone_for_the_agent_at_once_and_revoking_again_is_harmless(
            self, product: Product) -> None:
        embedded_product, client = product
        admin, agent = await login(client, CUSTOMER_ADMIN), await login(client, AGENT)

        revoked = await client.delete(GRANT, headers=admin)
        again = await client.delete(GRANT, headers=admin)

        assert (revoked.status_code, again.status_code) == (204, 204)
        assert await access_of(client, "o-acme", agent) == {"granted": False, "expires_at": None}
        assert (await client.get(GRANT, headers=admin)).json()["granted"] is False
        await embedded_product.settle()
        assert [(e.org_id, e.revoked_by, e.partner_id) for e in published(embedded_product, AccessRevoked)] == [
            ("o-acme", "u-cadmin", "p-northwind")]

    async def test_a_customer_that_moves_away_and_back_does_not_bring_its_old_grant_back(
            self, product: Product) -> None:
        embedded_product, client = product
        operator = await login(client, OPERATOR)
        acme = next(r for r in demo.RECORDS if r["type"] == "org" and r["id"] == "o-acme")

        for partner_id in ("p-contoso", "p-northwind"):
            moved = await client.post("/api/v1/operator/import", headers=operator,
                                      content=json.dumps({**acme, "partner_id": partner_id}).encode())
            assert moved.json()["accepted"] == 1
            await embedded_product.settle()

        assert await access_of(client, "o-acme", await login(client, AGENT)) == {"granted": False,
                                                                                 "expires_at": None}
        assert [(e.org_id, e.revoked_by, e.partner_id) for e in published(embedded_product, AccessRevoked)] == [
            ("o-acme", "customer left the partner", "p-northwind")]

    async def test_a_grant_until_a_time_is_shown_to_the_agent_with_that_time(self, product: Product) -> None:
        embedded_product, client = product
        admin = await login(client, CUSTOMER_ADMIN)

        granted = await client.put(GRANT, json={"expires_at": "2999-06-30T18:00:00+02:00"}, headers=admin)

        assert granted.json() == {"granted": True, "partner_id": "p-northwind", "expires_at": "2999-06-30T16:00:00Z"}
        assert await access_of(client, "o-acme", await login(client, AGENT)) == {
            "granted": True, "expires_at": "2999-06-30T16:00:00Z"}
        await embedded_product.settle()
        assert [e.expires_at is not None for e in published(embedded_product, AccessGranted)] == [False, True]

    async def test_a_put_without_a_body_grants_until_revoked(self, product: Product) -> None:
        _, client = product
        admin = await login(client, CUSTOMER_ADMIN)
        await client.delete(GRANT, headers=admin)

        granted = await client.put(GRANT, headers=admin)

        assert granted.json() == {"granted": True, "partner_id": "p-northwind", "expires_at": None}

    @pytest.mark.parametrize(("expires_at", "code"), [("2020-01-01T00:00:00Z", "expiry_in_past"),
                                                      ("2999-01-01T00:00:00", "invalid_input")])
    async def test_an_expiry_that_cannot_be_is_a_422_and_the_grant_stays(self, product: Product, expires_at: str,
                                                                         code: str) -> None:
        _, client = product
        admin = await login(client, CUSTOMER_ADMIN)

        response = await client.put(GRANT, json={"expires_at": expires_at}, headers=admin)

        assert (response.status_code, response.json()["error"]["code"]) == (422, code)
        assert (await client.get(GRANT, headers=admin)).json()["expires_at"] is None

    async def test_customers_that_have_not_granted_access_show_so_to_their_partners_agents(
            self, product: Product) -> None:
        _, client = product

        bistro = await access_of(client, "o-bistro", await login(client, AGENT))
        globex = await access_of(client, "o-globex", await login(client, CONTOSO_AGENT))

        assert bistro == globex == {"granted": False, "expires_at": None}

    async def test_a_grant_goes_to_the_partner_managing_the_customer_now_not_the_one_at_sign_in(
            self, product: Product) -> None:
        embedded_product, client = product
        admin_before_the_move = await login(client, CUSTOMER_ADMIN)
        moved = {"type": "org", "id": "o-acme", "name": "Acme Corporation", "partner_id": "p-contoso"}
        await client.post("/api/v1/operator/import", content=json.dumps(moved) + "\n",
                          headers=await login(client, OPERATOR))
        await embedded_product.settle()
        contoso_agent = await login(client, CONTOSO_AGENT)
        before = await access_of(client, "o-acme", contoso_agent)  # Acme's grant was to Northwind

        stale = await client.put(GRANT, headers=admin_before_the_move)
        fresh = await client.put(GRANT, headers=await login(client, CUSTOMER_ADMIN))
        after = await access_of(client, "o-acme", contoso_agent)

        assert before == {"granted": False, "expires_at": None}
        assert (stale.status_code, stale.json()["error"]["code"]) == (409, "partner_changed")
        assert fresh.json() == {"granted": True, "partner_id": "p-contoso", "expires_at": None}
        assert after == {"granted": True, "expires_at": None}


    async def test_a_sign_in_that_does_not_name_the_partner_grants_the_one_managing_the_customer_now(
            self, product: Product) -> None:
        embedded_product, client = product
        # As an identity provider signs a customer's admin in: it knows the organisation, not its partner.
        token = embedded_product.app.state.issuer.issue(Principal(
            user_id="u-cadmin", email=CUSTOMER_ADMIN, name="Acme IT", org_id="o-acme", partner_id="",
            roles=frozenset({"customer_admin"})))
        admin = {"Authorization": f"Bearer {token}"}

        shown = await client.get(GRANT, headers=admin)
        await client.delete(GRANT, headers=admin)
        granted = await client.put(GRANT, headers=admin)

        assert shown.json() == {"granted": True, "partner_id": "p-northwind", "expires_at": None}
        assert granted.json() == {"granted": True, "partner_id": "p-northwind", "expires_at": None}


class TestEmail:
    async def test_an_agent_sees_a_users_last_message_and_its_status(self, product: Product) -> None:
        _, client = product

        response = await client.get("/api/v1/users/u-jane/email", headers=await login(client, AGENT))

        assert response.json() == {
            "address": "jane.doe@acme.example", "suppressed": False, "suppression": None,
            "last_message": {"kind": "welcome", "status": "delivered", "at": "2024-05-02T08:15:00Z", "reason": None},
            "messages": [{"kind": "welcome", "subject": "", "status": "delivered", "at": "2024-05-02T08:15:00Z",
                          "reason": None}]}

    async def test_reports_posted_by_the_operator_show_on_the_user_and_a_bad_one_is_explained(
            self, product: Product) -> None:
        _, client = product
        operator = await login(client, OPERATOR)
        reports = [{"address": "JANE.DOE@acme.example", "status": "complained", "at": "2025-01-01T10:00:00Z"}]

        recorded = await client.post("/api/v1/operator/email-events", json=reports, headers=operator)
        refused = await client.post("/api/v1/operator/email-events", headers=operator,
                                    json=[*reports, {"address": "jane.doe@", "status": "bounced"}])
        typo = await client.post("/api/v1/operator/email-events", headers=operator,
                                 json=[{"address": "jane.doe@acme.example", "status": "bonced"}])
        user = await client.get("/api/v1/users/u-jane", headers=await login(client, AGENT))

        assert recorded.json() == {"accepted": 1, "changed": 1}
        assert user.json()["email"]["suppression"] == {"reason": "spam complaint", "since": "2025-01-01T10:00:00Z"}
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid_input")
        assert "address of item 2: 'jane.doe@' is not an e-mail address" in refused.json()["error"]["message"]
        assert typo.status_code == 422
        assert "status of item 1: Input should be 'queued'" in typo.json()["error"]["message"]

    async def test_removing_a_suppression_is_audited_announced_and_then_there_is_none_to_remove(
            self, product: Product) -> None:
        embedded_product, client = product
        agent = {**await login(client, AGENT), "X-Correlation-ID": "call-9"}

        removed = await client.delete("/api/v1/users/u-rene/suppression", headers=agent)
        again = await client.delete("/api/v1/users/u-rene/suppression", headers=agent)
        status = await client.get("/api/v1/users/u-rene/email", headers=agent)
        await embedded_product.settle()

        assert removed.status_code == 204
        assert (again.status_code, again.json()["error"]["code"]) == (404, "not_suppressed")
        assert (status.json()["suppressed"], status.json()["last_message"]["status"]) == (False, "bounced")
        assert [(e.address, e.user_id, e.agent_id, e.partner_id, e.correlation_id)
                for e in published(embedded_product, SuppressionRemoved)] == [
            ("rene.lefevre@bistro.example", "u-rene", "u-agent", "p-northwind", "call-9")]
        assert [(e.action, e.target_id, e.org_id) for e in published(embedded_product, AgentActionRecorded)] == [
            ("user.suppression_removed", "u-rene", "o-bistro"), ("user.email_viewed", "u-rene", "o-bistro")]


    async def test_a_removal_that_cannot_be_recorded_is_not_made(self, product: Product) -> None:
        embedded_product, client = product
        agent = await login(client, AGENT)
        audit = embedded_product.app.state.audit

        class Down:
            async def publish(self, event: object) -> None:
                raise ConnectionError("broker unreachable")

        audit.bus = Down()
        refused = await client.delete("/api/v1/users/u-rene/suppression", headers=agent)
        audit.bus = embedded_product.bus
        status = await client.get("/api/v1/users/u-rene/email", headers=agent)
        await embedded_product.settle()

        assert (refused.status_code, refused.json()["error"]["code"]) == (503, "service_unavailable")
        assert status.json()["suppressed"] is True
        assert published(embedded_product, SuppressionRemoved) == []


async def test_a_user_is_still_shown_without_mail_status_while_the_email_service_is_down(product: Product) -> None:
    embedded_product, client = product
    agent = await login(client, AGENT)
    services: Services = embedded_product.app.state.services
    embedded_product.app.state.services = dataclasses.replace(services, email=unreachable("email"))

    response = await client.get("/api/v1/users/u-jane", headers=agent)
    await embedded_product.settle()

    assert response.status_code == 200
    assert (response.json()["display_name"], response.json()["email"]) == ("Jane Doe", None)
    assert [e.action for e in published(embedded_product, AgentActionRecorded)] == ["user.viewed"]


def unreachable(name: str) -> ServiceClient:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = {"email": EmailClient, "access": AccessClient}[name]
    return client(httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url=f"http://{name}"))


class TestServiceDown:
    @pytest.mark.parametrize(("down", "caller", "method", "path"), [
        ("email", AGENT, "GET", "/api/v1/users/u-jane/email"),
        ("email", AGENT, "DELETE", "/api/v1/users/u-rene/suppression"),
        ("email", OPERATOR, "POST", "/api/v1/operator/email-events"),
        ("access", AGENT, "GET", "/api/v1/customers/o-acme"),
        ("access", CUSTOMER_ADMIN, "GET", GRANT),
        ("access", CUSTOMER_ADMIN, "PUT", GRANT),
        ("access", CUSTOMER_ADMIN, "DELETE", GRANT),
    ])
    async def test_a_route_whose_service_is_down_answers_503_naming_it(
            self, product: Product, down: str, caller: str, method: str, path: str) -> None:
        embedded_product, client = product
        headers = await login(client, caller)
        services: Services = embedded_product.app.state.services
        embedded_product.app.state.services = dataclasses.replace(services, **{down: unreachable(down)})

        body = [{"address": "jane.doe@acme.example", "status": "sent"}] if method == "POST" else None
        response = await client.request(method, path, headers=headers, json=body)

        assert response.status_code == 503
        assert response.json()["error"]["code"] == "service_unavailable"
        assert down in response.json()["error"]["message"]
        assert response.headers["Retry-After"]
        await embedded_product.settle()
        assert published(embedded_product, AgentActionRecorded) == []  # nothing served, nothing recorded
