"""Every route of the OpenAPI document refuses the anonymous (401), the wrong role (403) and another partner's
objects (404, answered exactly like an unknown id), and goes by what identity says of the caller now: an agent
moved to another partner, a customer admin whose role was removed and a deleted operator are refused within
5 seconds, whatever their token still says."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field

import httpx
import pytest

from helpdesk import embedded
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

AGENT, ADMIN, CUSTOMER_ADMIN = "agent@northwind.example", "admin@northwind.example", "it@acme.example"
ADVANCED = "advanced@northwind.example"
OPERATOR = "operator@helpdesk.local"
# Another partner's user whose address is suppressed: removing it must answer like an unknown user.
HANK_BOUNCED = [{"address": "hank@globex.example", "status": "bounced", "at": "2025-01-01T00:00:00Z"}]
CONTOSO_RECORDS = [
    {"type": "device", "id": "d-globex1", "org_id": "o-globex", "product": "Room Kit", "serial": "FOC999",
     "mac": "00:1A:2B:3C:4D:99"},
    {"type": "order", "number": "WO-900900", "org_id": "o-globex", "placed_at": "2024-02-01T10:00:00Z",
     "status": "provisioned"},
]


@dataclass(frozen=True)
class Route:
    """Who may call a route, who may not, and ids that are the caller's own, another partner's, unknown."""

    allowed: str
    refused: str | None
    own: dict[str, str] = field(default_factory=dict)
    foreign: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    body: object = None
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # sent besides the caller's own sign-in
    # Called with the token of a read-only session that `allowed` opens on Acme, not with a sign-in token.
    session: bool = False


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/me"): Route(AGENT, None),
    ("POST", "/api/v1/operator/import"): Route(OPERATOR, AGENT, content=""),
    ("POST", "/api/v1/operator/email-events"): Route(
        OPERATOR, AGENT, body=[{"address": "jane.doe@acme.example", "status": "delivered"}]),
    ("GET", "/api/v1/operator/outbox"): Route(OPERATOR, AGENT),
    ("POST", "/api/v1/users/{user_id}/verification-codes"): Route(
        AGENT, CUSTOMER_ADMIN, {"user_id": "u-jane"}, {"user_id": "u-hank"}, {"user_id": "u-nobody"}),
    # The code sent to Jane and its id are filled in by the fixture, which sends one.
    ("POST", "/api/v1/users/{user_id}/verification-codes/{code_id}/check"): Route(
        AGENT, CUSTOMER_ADMIN, {"user_id": "u-jane", "code_id": ""}, {"user_id": "u-hank", "code_id": "c-1"},
        {"user_id": "u-nobody", "code_id": "c-1"}, body={"code": ""}),
    ("GET", "/api/v1/search"): Route(AGENT, CUSTOMER_ADMIN),
    ("GET", "/api/v1/customers/{org_id}"): Route(
        AGENT, CUSTOMER_ADMIN, {"org_id": "o-acme"}, {"org_id": "o-globex"}, {"org_id": "o-nobody"}),
    ("GET", "/api/v1/users/{user_id}"): Route(
        AGENT, CUSTOMER_ADMIN, {"user_id": "u-jane"}, {"user_id": "u-hank"}, {"user_id": "u-nobody"}),
    ("GET", "/api/v1/users/{user_id}/email"): Route(
        AGENT, CUSTOMER_ADMIN, {"user_id": "u-jane"}, {"user_id": "u-hank"}, {"user_id": "u-nobody"}),
    ("DELETE", "/api/v1/users/{user_id}/suppression"): Route(
        AGENT, CUSTOMER_ADMIN, {"user_id": "u-rene"}, {"user_id": "u-hank"}, {"user_id": "u-nobody"}),
    ("GET", "/api/v1/devices/{device_id}"): Route(
        AGENT, CUSTOMER_ADMIN, {"device_id": "d-desk1"}, {"device_id": "d-globex1"}, {"device_id": "d-nobody"}),
    ("GET", "/api/v1/orders/{number}"): Route(
        AGENT, CUSTOMER_ADMIN, {"number": "WO-100200"}, {"number": "WO-900900"}, {"number": "WO-000000"}),
    # Before the rows that revoke Acme's grant: a session opens only while it stands.
    ("POST", "/api/v1/customers/{org_id}/read-only-sessions"): Route(
        AGENT, CUSTOMER_ADMIN, {"org_id": "o-acme"}, {"org_id": "o-globex"}, {"org_id": "o-nobody"},
        body={"reason": "Ticket 4711"}),
    **{("GET", f"/api/v1/read-only/{{org_id}}/{part}"): Route(
        AGENT, CUSTOMER_ADMIN, {"org_id": "o-acme"}, {"org_id": "o-globex"}, {"org_id": "o-nobody"}, session=True)
       for part in ("users", "devices", "licenses", "settings")},
    # Full admin access: the fixture asks for it and answers, and fills in the request ids and the admin session's
    # token (another org's request is one for Bistro, the same partner's other customer). Before the partner
    # admin's rows, which take the advanced agent's role away.
    ("POST", "/api/v1/customers/{org_id}/access-requests"): Route(
        ADVANCED, AGENT, {"org_id": "o-acme"}, {"org_id": "o-globex"}, {"org_id": "o-nobody"},
        body={"reason": "Ticket 4711"}),
    ("POST", "/api/v1/customers/{org_id}/admin-sessions"): Route(
        ADVANCED, AGENT, {"org_id": "o-acme"}, {"org_id": "o-globex"}, {"org_id": "o-nobody"}),
    ("PATCH", "/api/v1/admin/{org_id}/users/{user_id}"): Route(
        ADVANCED, AGENT, {"org_id": "o-acme", "user_id": "u-jane"}, {"org_id": "o-globex", "user_id": "u-hank"},
        {"org_id": "o-nobody", "user_id": "u-nobody"}, body={"status": "active"}, headers={"X-Admin-Session": ""}),
    ("GET", "/api/v1/partner/helpdesk-agents"): Route(ADMIN, AGENT),
    ("PUT", "/api/v1/partner/helpdesk-agents/{user_id}"): Route(
        ADMIN, AGENT, {"user_id": "u-agent"}, {"user_id": "u-other-agent"}, {"user_id": "u-nobody"},
        body={"level": "basic"}),
    ("DELETE", "/api/v1/partner/helpdesk-agents/{user_id}"): Route(
        ADMIN, AGENT, {"user_id": "u-advanced"}, {"user_id": "u-other-agent"}, {"user_id": "u-nobody"}),
    ("GET", "/api/v1/customer/access-grant"): Route(CUSTOMER_ADMIN, AGENT),
    ("PUT", "/api/v1/customer/access-grant"): Route(CUSTOMER_ADMIN, AGENT, body={"expires_at": None}),
    ("DELETE", "/api/v1/customer/access-grant"): Route(CUSTOMER_ADMIN, AGENT),
    ("GET", "/api/v1/customer/audit"): Route(CUSTOMER_ADMIN, AGENT),
    ("GET", "/api/v1/customer/access-requests"): Route(CUSTOMER_ADMIN, AGENT),
    ("POST", "/api/v1/customer/access-requests/{request_id}/approve"): Route(
        CUSTOMER_ADMIN, AGENT, {"request_id": ""}, {"request_id": ""}, {"request_id": "ar-nobody"}),
    ("POST", "/api/v1/customer/access-requests/{request_id}/deny"): Route(
        CUSTOMER_ADMIN, AGENT, {"request_id": ""}, {"request_id": ""}, {"request_id": "ar-nobody"}),
    ("DELETE", "/api/v1/customer/access-requests/{request_id}"): Route(
        CUSTOMER_ADMIN, AGENT, {"request_id": ""}, {"request_id": ""}, {"request_id": "ar-nobody"}),
    ("GET", "/api/v1/partner/audit"): Route(ADMIN, AGENT),
}
PUBLIC = {("POST", "/api/v1/auth/demo-login")}
ME = ("GET", "/api/v1/me")
# Identity's announcement reaches every gateway replica within this; the real Kafka's replicas are tested in
# tests/integration/test_gateway_revocation.py.
DEADLINE_SECONDS = 5.0
QUERIES = {"/api/v1/search": {"q": "jane"}}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    product = embedded.build()
    transport = httpx.ASGITransport(app=product.app)
    async with (product.app.router.lifespan_context(product.app),
                httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client):
        operator = await _login(client, OPERATOR)
        body = "".join(json.dumps(r) + "\n" for r in CONTOSO_RECORDS)
        imported = await client.post("/api/v1/operator/import", content=body, headers=operator)
        assert imported.json()["accepted"] == len(CONTOSO_RECORDS)
        bounced = await client.post("/api/v1/operator/email-events", json=HANK_BOUNCED, headers=operator)
        assert bounced.json() == {"accepted": 1, "changed": 1}
        await product.settle()
        await _send_jane_a_code(client)
        await _ask_for_full_admin_access(client)
        yield client


async def _send_jane_a_code(client: httpx.AsyncClient) -> None:
    route = ROUTES[("POST", "/api/v1/users/{user_id}/verification-codes/{code_id}/check")]
    sent = await client.post("/api/v1/users/u-jane/verification-codes", headers=await _login(client, AGENT))
    operator = await _login(client, OPERATOR)

    async def mailed() -> list[dict[str, str]]:
        found: list[dict[str, str]] = (await client.get("/api/v1/operator/outbox", params={
            "to": "jane.doe@acme.example"}, headers=operator)).json()
        return found

    text = (await eventually(mailed, timeout=DEADLINE_SECONDS, interval=0.02))[0]["text"]
    route.own["code_id"] = sent.json()["code_id"]
    assert isinstance(route.body, dict)
    route.body["code"] = re.findall(r"\b\d{6}\b", text)[0]


async def _ask_for_full_admin_access(client: httpx.AsyncClient) -> None:
    """Acme's approval with an admin session on it, another approval to end, two requests to answer, and one of
    Bistro's that Acme's admin cannot see."""
    agent, admin = await _login(client, ADVANCED), await _login(client, CUSTOMER_ADMIN)

    async def ask(org_id: str) -> str:
        asked = await client.post(f"/api/v1/customers/{org_id}/access-requests", json={"reason": "Ticket 4711"},
                                  headers=agent)
        assert asked.status_code == 202, asked.text
        return str(asked.json()["request_id"])

    async def approve(request_id: str) -> str:
        approved = await client.post(f"/api/v1/customer/access-requests/{request_id}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
        return request_id

    await approve(await ask("o-acme"))
    # Opened before the approval to end is given, so the session is the first approval's whatever runs first.
    opened = await client.post("/api/v1/customers/o-acme/admin-sessions", headers=agent)
    ROUTES[("PATCH", "/api/v1/admin/{org_id}/users/{user_id}")].headers["X-Admin-Session"] = opened.json()["token"]
    to_end, bistros = await approve(await ask("o-acme")), await ask("o-bistro")
    for (method, path), route in ROUTES.items():
        if path.startswith("/api/v1/customer/access-requests/"):
            route.own["request_id"] = to_end if method == "DELETE" else await ask("o-acme")
            route.foreign["request_id"] = bistros


async def _import(client: httpx.AsyncClient, *records: dict[str, object]) -> None:
    body = "".join(json.dumps(r) + "\n" for r in records)
    response = await client.post("/api/v1/operator/import", content=body, headers=await _login(client, OPERATOR))
    assert response.json()["accepted"] == len(records), response.text


async def _refused_within_deadline(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
    async def refused() -> bool:
        return (await client.get(path, headers=headers)).status_code in (403, 404)

    await eventually(refused, timeout=DEADLINE_SECONDS, interval=0.02)


async def _not(value: Awaitable[object]) -> bool:
    return not await value


async def _login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/demo-login", json={"email": email})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _caller(client: httpx.AsyncClient, route: Route) -> dict[str, str]:
    """The headers of the caller the route serves: a read-only session's token, or the sign-in of `allowed`."""
    headers = await _login(client, route.allowed)
    if not route.session:
        return headers
    opened = await client.post("/api/v1/customers/o-acme/read-only-sessions", json={"reason": "Ticket 4711"},
                               headers=headers)
    assert opened.status_code == 201, opened.text
    return {"Authorization": f"Bearer {opened.json()['token']}"}


async def _call(client: httpx.AsyncClient, method: str, path: str, route: Route, ids: dict[str, str],
                headers: dict[str, str]) -> httpx.Response:
    return await client.request(method, path.format(**ids), params=QUERIES.get(path),
                                headers={**route.headers, **headers}, json=route.body, content=route.content)


def _operations(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(method.upper(), path) for path, item in paths.items() for method in item if path.startswith("/api/")}


async def test_the_table_covers_every_route_of_the_openapi_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    assert _operations(document) == set(ROUTES) | PUBLIC


async def test_every_route_refuses_a_caller_without_a_token(client: httpx.AsyncClient) -> None:
    for (method, path), route in ROUTES.items():
        response = await _call(client, method, path, route, route.own, {})

        assert (method, path, response.status_code) == (method, path, 401)
        assert response.json()["error"]["code"] == "unauthenticated"


async def test_every_route_refuses_a_forged_token(client: httpx.AsyncClient) -> None:
    for (method, path), route in ROUTES.items():
        response = await _call(client, method, path, route, route.own, {"Authorization": "Bearer e30.e30.e30"})

        assert (method, path, response.status_code) == (method, path, 401)


async def test_every_route_refuses_a_caller_without_the_role(client: httpx.AsyncClient) -> None:
    for (method, path), route in ROUTES.items():
        if route.refused is None:
            continue
        response = await _call(client, method, path, route, route.own, await _login(client, route.refused))

        assert (method, path, response.status_code) == (method, path, 403)
        assert response.json()["error"]["code"] == "forbidden"


async def test_another_partners_object_answers_exactly_like_an_unknown_one(client: httpx.AsyncClient) -> None:
    for (method, path), route in ROUTES.items():
        if not route.foreign:
            continue
        headers = await _caller(client, route)

        foreign = await _call(client, method, path, route, route.foreign, headers)
        unknown = await _call(client, method, path, route, route.unknown, headers)

        assert (method, path, foreign.status_code) == (method, path, 404)
        assert foreign.json() == unknown.json()
        assert foreign.headers.get("content-length") == unknown.headers.get("content-length")


async def test_the_caller_with_the_role_is_served_their_own_objects(client: httpx.AsyncClient) -> None:
    for (method, path), route in ROUTES.items():
        response = await _call(client, method, path, route, route.own, await _caller(client, route))

        assert (method, path, response.status_code < 300) == (method, path, True), response.text


async def test_a_read_only_sessions_token_opens_no_other_route(client: httpx.AsyncClient) -> None:
    session = await _caller(client, ROUTES[("GET", "/api/v1/read-only/{org_id}/users")])

    for (method, path), route in ROUTES.items():
        if route.session:
            continue
        response = await _call(client, method, path, route, route.own, session)

        assert (method, path, response.status_code) == (method, path, 401)


async def test_every_route_has_a_one_line_description(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    for path, item in document["paths"].items():
        for method, operation in item.items():
            summary = operation.get("summary", "")
            assert summary, (method, path)
            assert "\n" not in summary, (method, path)


async def test_an_agent_moved_to_another_partner_loses_the_old_partners_customers_on_every_route(
        client: httpx.AsyncClient) -> None:
    agent_before = await _login(client, AGENT)
    await _import(client, {"type": "user", "id": "u-agent", "org_id": "p-contoso", "email": AGENT,
                           "first_name": "Alex", "last_name": "Agent", "roles": ["helpdesk"]})
    await _refused_within_deadline(client, "/api/v1/customers/o-acme", agent_before)

    for token in (agent_before, await _login(client, AGENT)):  # the old sign-in and a new one alike
        for (method, path), route in ROUTES.items():
            response = await _call(client, method, path, route, route.own, token)
            if (method, path) == ME:
                assert (response.json()["org_id"], response.json()["partner_id"]) == ("p-contoso", "p-contoso")
            elif path == "/api/v1/search":
                assert response.status_code == 200
                assert not [hit for group in ("customers", "users", "devices", "orders")
                            for hit in response.json()[group] if hit["org_id"] in ("o-acme", "o-bistro")]
            elif route.session:  # a sign-in token is no session's: refused before any customer is looked up
                assert (method, path, response.status_code) == (method, path, 403), response.text
            elif route.allowed == AGENT:
                assert (method, path, response.status_code) == (method, path, 404), response.text
            else:
                assert (method, path, response.status_code) == (method, path, 403), response.text
    admin = await _login(client, ADMIN)
    northwind_agents = await client.get("/api/v1/partner/helpdesk-agents", headers=admin)
    assert "u-agent" not in [a["user_id"] for a in northwind_agents.json()]
    sees_contosos_customer = await client.get("/api/v1/customers/o-globex", headers=agent_before)
    assert sees_contosos_customer.status_code == 200


async def _refused_on_every_route(client: httpx.AsyncClient, token: dict[str, str]) -> None:
    for (method, path), route in ROUTES.items():
        response = await _call(client, method, path, route, route.own, token)
        if (method, path) == ME:
            assert response.json()["roles"] == []
        else:
            assert (method, path, response.status_code) == (method, path, 403), response.text


async def test_a_customer_admin_whose_role_was_removed_is_refused_on_every_route(client: httpx.AsyncClient) -> None:
    admin_before = await _login(client, CUSTOMER_ADMIN)
    await _import(client, {"type": "user", "id": "u-cadmin", "org_id": "o-acme", "email": CUSTOMER_ADMIN,
                           "first_name": "Carla", "last_name": "Admin", "roles": []})

    await _refused_within_deadline(client, "/api/v1/customer/access-grant", admin_before)

    await _refused_on_every_route(client, admin_before)


async def test_a_deleted_operator_is_refused_on_every_route(client: httpx.AsyncClient) -> None:
    second = {"type": "user", "id": "u-operator-2", "org_id": "platform", "email": "second@helpdesk.local",
              "first_name": "Second", "last_name": "Operator", "roles": ["operator"]}
    await _import(client, second)
    operator_before = await _login(client, "second@helpdesk.local")

    async def roles() -> list[str]:
        me: list[str] = (await client.get("/api/v1/me", headers=operator_before)).json()["roles"]
        return me

    await eventually(roles, timeout=DEADLINE_SECONDS, interval=0.02)
    held = await roles()
    await _import(client, {"type": "user", "id": "u-operator-2", "deleted": True})
    await eventually(lambda: _not(roles()), timeout=DEADLINE_SECONDS, interval=0.02)

    assert held == ["operator"]

    await _refused_on_every_route(client, operator_before)
