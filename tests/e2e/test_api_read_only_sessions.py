"""Through the gateway: an agent opens a customer's org read-only under its grant, with a reason, and reads what
the customer's own admins see; the session's token opens that one org, for reading, while the grant and the agent's
role stand and for 15 minutes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts.gateway import AgentActionRecorded
from gateway.sessions import SessionProjection
from helpdesk import embedded
from tests.product import Product, login
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

AGENT, PARTNER_ADMIN, CUSTOMER_ADMIN = "agent@northwind.example", "admin@northwind.example", "it@acme.example"
PARTS = ("users", "devices", "licenses", "settings")
DEADLINE_SECONDS = 5.0


async def open_session(client: httpx.AsyncClient, org_id: str = "o-acme", reason: object = "Ticket 4711",
                       agent: str = AGENT) -> httpx.Response:
    return await client.post(f"/api/v1/customers/{org_id}/read-only-sessions", json={"reason": reason},
                             headers=await login(client, agent))


async def session_headers(client: httpx.AsyncClient) -> dict[str, str]:
    opened = await open_session(client)
    assert opened.status_code == 201, opened.text
    return {"Authorization": f"Bearer {opened.json()['token']}"}


def projection(product: embedded.Embedded) -> SessionProjection:
    sessions: SessionProjection = product.app.state.sessions
    return sessions


async def refused_within_deadline(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    async def refused() -> httpx.Response | None:
        response = await client.get("/api/v1/read-only/o-acme/users", headers=headers)
        return response if response.status_code in (401, 403) else None

    return await eventually(refused, timeout=DEADLINE_SECONDS, interval=0.02)


class TestOpening:
    async def test_an_agent_opens_acme_for_15_minutes_and_reads_what_its_admins_see(self, product: Product) -> None:
        _, client = product
        before = datetime.now(UTC)

        opened = await open_session(client)
        headers = {"Authorization": f"Bearer {opened.json()['token']}"}
        answers = {part: await client.get(f"/api/v1/read-only/o-acme/{part}", headers=headers) for part in PARTS}

        assert opened.status_code == 201, opened.text
        expires_at = datetime.fromisoformat(opened.json()["expires_at"])
        assert before + timedelta(minutes=15) <= expires_at <= datetime.now(UTC) + timedelta(minutes=15)
        assert {part: answer.status_code for part, answer in answers.items()} == dict.fromkeys(PARTS, 200)
        jane = next(u for u in answers["users"].json()["items"] if u["id"] == "u-jane")
        assert (jane["status"], jane["licenses"]) == ("active", ["MTG-PRO"])
        desk = next(d for d in answers["devices"].json()["items"] if d["id"] == "d-desk1")
        assert desk["phone_numbers"] == [{"display": "+1 415 555 0101", "e164": "+14155550101"}]
        assert answers["licenses"].json()["items"][0]["sku"] == "MTG-PRO"
        assert answers["settings"].json()["sites"] == ["acme.webex.com"]
        assert answers["settings"].json()["phone_numbers"] == [{"display": "(415) 555-0199", "e164": "+14155550199"}]

    async def test_the_users_are_read_a_page_at_a_time_with_the_cursor_of_the_page_before(
            self, product: Product) -> None:
        _, client = product
        more = "".join(json.dumps({"type": "user", "id": f"u-paged-{n:03d}", "org_id": "o-acme",
                                   "email": f"paged{n}@acme.example", "first_name": "Paged", "last_name": f"{n}"})
                       + "\n" for n in range(60))
        imported = await client.post("/api/v1/operator/import", content=more,
                                     headers=await login(client, "operator@helpdesk.local"))
        assert imported.json()["accepted"] == 60
        headers = await session_headers(client)

        first = await client.get("/api/v1/read-only/o-acme/users", headers=headers)
        second = await client.get("/api/v1/read-only/o-acme/users", params={"cursor": first.json()["next_cursor"]},
                                  headers=headers)

        assert (first.status_code, second.status_code) == (200, 200), second.text
        ids = [u["id"] for page in (first, second) for u in page.json()["items"]]
        assert second.json()["next_cursor"] is None
        assert sorted(ids) == ids
        assert len(set(ids)) == len(ids) == 62  # Jane, Carla and the sixty

    async def test_the_start_and_every_read_are_audited_with_the_reason(self, product: Product) -> None:
        embedded_product, client = product
        headers = await session_headers(client)

        await client.get("/api/v1/read-only/o-acme/users", headers=headers)
        await embedded_product.settle()

        audited = [(e.action, e.org_id, e.reason) for e in embedded_product.bus.published(["gateway.audit"])
                   if isinstance(e, AgentActionRecorded) and e.action.startswith("read_only_session.")]
        assert audited == [("read_only_session.started", "o-acme", "Ticket 4711"),
                           ("read_only_session.users_viewed", "o-acme", "Ticket 4711")]

    @pytest.mark.parametrize("reason", ["", "   ", None])
    async def test_a_session_without_a_reason_is_refused(self, product: Product, reason: object) -> None:
        _, client = product

        refused = await open_session(client, reason=reason)

        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "invalid_input"
        assert "reason" in refused.json()["error"]["message"]

    async def test_a_customer_that_never_granted_access_refuses_a_session_saying_so(self, product: Product) -> None:
        _, client = product

        refused = await open_session(client, "o-bistro")

        assert refused.status_code == 403
        assert (refused.json()["error"]["code"], refused.json()["error"]["why"]) == ("access_not_granted",
                                                                                      "never_granted")
        assert "has not granted" in refused.json()["error"]["message"]

    async def test_a_revoked_grant_refuses_a_session_saying_it_was_revoked(self, product: Product) -> None:
        _, client = product
        await client.delete("/api/v1/customer/access-grant", headers=await login(client, CUSTOMER_ADMIN))

        refused = await open_session(client)

        assert refused.status_code == 403
        assert refused.json()["error"]["why"] == "revoked"


class TestScope:
    @pytest.mark.parametrize("part", PARTS)
    async def test_another_org_answers_like_an_unknown_one(self, product: Product, part: str) -> None:
        _, client = product
        headers = await session_headers(client)

        other = await client.get(f"/api/v1/read-only/o-bistro/{part}", headers=headers)
        unknown = await client.get(f"/api/v1/read-only/o-nobody/{part}", headers=headers)

        assert other.status_code == 404
        assert other.json() == unknown.json()

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
    async def test_a_write_answers_405_on_every_read_only_path(self, product: Product, method: str) -> None:
        _, client = product
        headers = await session_headers(client)

        answers = [await client.request(method, f"/api/v1/read-only/o-acme/{part}", headers=headers, json={})
                   for part in PARTS]

        assert [a.status_code for a in answers] == [405] * len(PARTS)
        assert {a.json()["error"]["code"] for a in answers} == {"method_not_allowed"}

    async def test_the_agents_sign_in_token_opens_no_read_only_path(self, product: Product) -> None:
        _, client = product

        refused = await client.get("/api/v1/read-only/o-acme/users", headers=await login(client, AGENT))

        assert refused.status_code == 403

    async def test_a_token_of_no_session_is_refused(self, product: Product) -> None:
        _, client = product

        refused = await client.get("/api/v1/read-only/o-acme/users", headers={"Authorization": "Bearer ros_guess"})

        assert refused.status_code == 401


class TestEnd:
    async def test_a_token_past_its_15_minutes_is_refused(self, product: Product) -> None:
        embedded_product, client = product
        headers = await session_headers(client)
        projection(embedded_product).clock = lambda: datetime.now(UTC) + timedelta(minutes=15, seconds=1)

        refused = await client.get("/api/v1/read-only/o-acme/users", headers=headers)

        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "session_expired"

    async def test_the_customer_revoking_access_ends_the_session(self, product: Product) -> None:
        _, client = product
        headers = await session_headers(client)

        await client.delete("/api/v1/customer/access-grant", headers=await login(client, CUSTOMER_ADMIN))

        refused = await refused_within_deadline(client, headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (401, "session_ended")

    async def test_the_agent_losing_the_help_desk_role_ends_the_session(self, product: Product) -> None:
        embedded_product, client = product
        headers = await session_headers(client)

        removed = await client.delete("/api/v1/partner/helpdesk-agents/u-agent",
                                      headers=await login(client, PARTNER_ADMIN))

        assert removed.status_code == 204
        refused = await refused_within_deadline(client, headers)
        assert refused.status_code in (401, 403)
        await embedded_product.settle()
        assert (await client.get("/api/v1/read-only/o-acme/users", headers=headers)).json()["error"]["code"] == (
            "session_ended")

    async def test_a_session_another_agent_opened_is_refused_once_that_agent_lost_the_role(
            self, product: Product) -> None:
        _, client = product
        opened = await open_session(client, agent="advanced@northwind.example")
        headers = {"Authorization": f"Bearer {opened.json()['token']}"}

        await client.delete("/api/v1/partner/helpdesk-agents/u-advanced", headers=await login(client, PARTNER_ADMIN))

        await refused_within_deadline(client, headers)
        still = await client.get("/api/v1/read-only/o-acme/users", headers=await session_headers(client))
        assert still.status_code == 200


class TestCustomerView:
    async def test_the_customer_shows_since_when_it_grants_access_and_when_it_was_created(
            self, product: Product) -> None:
        _, client = product

        acme = (await client.get("/api/v1/customers/o-acme", headers=await login(client, AGENT))).json()
        bistro = (await client.get("/api/v1/customers/o-bistro", headers=await login(client, AGENT))).json()

        access = acme["read_only_access"]
        assert (access["granted"], access["expires_at"], access["full_admin_request"]) == (True, None, None)
        assert datetime.fromisoformat(access["since"]) <= datetime.now(UTC)
        assert bistro["read_only_access"] == {"granted": False, "expires_at": None, "since": None,
                                              "why_not": "never_granted", "full_admin_request": None}
        assert acme["created_at"]
        assert bistro["created_at"]
