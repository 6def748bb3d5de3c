"""The public API fuzzed from its own OpenAPI document: every operation, called by the role it serves, with ids that
exist (the caller's own and another partner's) as well as generated ones, valid and invalid input alike; then
chains of calls that feed one answer into the next (OpenAPI links: search, then open what it found; send a code,
then check it; ask for full admin access, then answer the request). No 5xx, and no answer outside the documented
schema."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import get_client
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.config import GatewaySettings
from helpdesk import embedded
from tests.hostile.tally import Tally

pytestmark = pytest.mark.e2e

AGENT, ADVANCED, ADMIN = "agent@northwind.example", "advanced@northwind.example", "admin@northwind.example"
CUSTOMER_ADMIN, OPERATOR = "it@acme.example", "operator@helpdesk.local"
# Who calls each area of the API: the role that gets past authorization, so the fuzzing reaches the routes. The
# read-only routes are called with a read-only session's token (World.headers), the public ones with nothing.
CALLERS = {"/api/v1/partner/": ADMIN, "/api/v1/operator/": OPERATOR, "/api/v1/customer/": CUSTOMER_ADMIN,
           "/api/v1/admin/": ADVANCED, "/access-requests": ADVANCED, "/admin-sessions": ADVANCED}
PUBLIC = {"/healthz", "/readyz", "/api/v1/auth/demo-login"}
# Ids that exist, by path parameter (the caller's own and another partner's): half the cases use one. The partner
# admin's routes get staff of their own whom no other route's caller needs, since they may take their role away.
KNOWN_IDS = {"org_id": ["o-acme", "o-bistro", "o-globex"], "user_id": ["u-jane", "u-rene", "u-hank"],
             "device_id": ["d-desk1"], "number": ["WO-100200"]}
STAFF_IDS = ["u-fuzzed-staff", "u-hank", "u-jane"]
FUZZED_STAFF = {"type": "user", "id": "u-fuzzed-staff", "org_id": "p-northwind", "email": "fuzzed@northwind.example",
                "first_name": "Fuzzed", "last_name": "Staff", "roles": ["helpdesk"]}
EXAMPLES = 25  # per operation
SCENARIOS, STEPS = 50, 6  # chains of linked calls, and the most calls in each
# What the chains search for: a generated query finds nothing to follow.
FINDING_QUERIES = ["jane", "acme", "rene", "bistro", "00:1A:2B:3C:4D:5E", "WO-100200", "+1 415 555 0100", "desk"]
CHAINED = r"^/api/v1/(search|users|customers/|devices|orders|read-only|admin|customer/access-requests)"
# Valid requests only, following the links given and no others inferred: the fuzzing above sends the invalid ones.
CHAINS = SchemathesisConfig.from_dict({"generation": {"mode": "positive"},
                                      "phases": {"stateful": {"inference": {"algorithms": []}}}})
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Every operation of the document is fuzzed. An operation left out would be listed here with the reason.
EXCLUDED: dict[str, str] = {}

# The import's body is NDJSON, a text: sent as generated.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


class World:
    """The demo data as the fuzzing needs it, made again before each operation since the one before may have undone
    it: the customer's standing grant, a read-only session, waiting and approved requests, an admin session."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}
        self.code_ids: list[str] = []

    def send_codes(self) -> None:
        """Codes to Jane and René, sent before the fuzzing of the sending uses up their limit."""
        self.code_ids = [self.call("POST", f"/api/v1/users/{user}/verification-codes", AGENT, 202)["code_id"]
                         for user in ("u-jane", "u-rene")]

    def token(self, email: str) -> str:
        if email not in self.tokens:
            answer = self.client.post("/api/v1/auth/demo-login", json={"email": email})
            assert answer.status_code == 200, answer.text
            self.tokens[email] = answer.json()["access_token"]
        return self.tokens[email]

    def call(self, method: str, path: str, email: str, status: int, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(email)}", **kwargs.pop("headers", {})}
        answer = self.client.request(method, path, headers=headers, **kwargs)
        assert answer.status_code == status, (method, path, answer.text)
        return answer.json() if answer.content else None

    def read_only_session(self) -> str:
        self.call("PUT", "/api/v1/customer/access-grant", CUSTOMER_ADMIN, 200, json={"expires_at": None})
        opened = self.call("POST", "/api/v1/customers/o-acme/read-only-sessions", AGENT, 201,
                           json={"reason": "Ticket 4711"})
        return str(opened["token"])

    def asked(self) -> str:
        asked = self.call("POST", "/api/v1/customers/o-acme/access-requests", ADVANCED, 202,
                          json={"reason": "Ticket 4711"})
        return str(asked["request_id"])

    def approved(self) -> None:
        self.call("POST", f"/api/v1/customer/access-requests/{self.asked()}/approve", CUSTOMER_ADMIN, 200)

    def headers(self, path: str) -> dict[str, str]:
        """What the caller the route serves sends besides the generated request."""
        if path in PUBLIC:
            return {}
        if path.startswith("/api/v1/read-only/"):
            return {"Authorization": f"Bearer {self.read_only_session()}"}
        headers = {"Authorization": f"Bearer {self.token(caller(path))}"}
        if path.startswith("/api/v1/admin/") or path.endswith("/admin-sessions"):
            self.approved()
        if path.startswith("/api/v1/admin/"):
            opened = self.call("POST", "/api/v1/customers/o-acme/admin-sessions", ADVANCED, 201)
            headers["X-Admin-Session"] = opened["token"]
        return headers

    def known_ids(self, path: str) -> dict[str, list[str]]:
        """Ids that exist for the route's path parameters, with the codes sent and requests waiting."""
        known = {**KNOWN_IDS, "code_id": self.code_ids}
        if "{request_id}" in path:
            known["request_id"] = [self.asked() for _ in range(3)]
        if path.startswith("/api/v1/partner/"):
            known["user_id"] = STAFF_IDS
        return {name: ids for name, ids in known.items() if f"{{{name}}}" in path}


def caller(path: str) -> str:
    return next((email for part, email in CALLERS.items() if part in path), AGENT)


def _link(source: dict[str, Any], name: str, method: str, path: str, parameters: dict[str, str]) -> None:
    pointer = path.replace("~", "~0").replace("/", "~1")
    source.setdefault("links", {})[name] = {"operationRef": f"#/paths/{pointer}/{method}", "parameters": parameters}


def with_links(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the links an agent and a customer admin follow, and searches that find something."""
    document = copy.deepcopy(document)
    paths = document["paths"]

    def answer(path: str, method: str, status: str) -> dict[str, Any]:
        found: dict[str, Any] = paths[path][method]["responses"][status]
        return found

    # Searches that find something, in all the partner's customers, and ids that exist (a link's value, when it has
    # one, goes first): a chain that starts from a generated id ends at its first 404.
    paths["/api/v1/search"]["get"]["parameters"] = [
        {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "enum": FINDING_QUERIES}}]
    for item in paths.values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in KNOWN_IDS:
                    parameter["schema"] = {"type": "string", "enum": KNOWN_IDS[parameter["name"]]}
    search = answer("/api/v1/search", "get", "200")
    for kind, method, path, parameter in [
        ("customers", "get", "/api/v1/customers/{org_id}", "org_id"),
        ("users", "get", "/api/v1/users/{user_id}", "user_id"),
        ("users", "get", "/api/v1/users/{user_id}/email", "user_id"),
        ("devices", "get", "/api/v1/devices/{device_id}", "device_id"),
        ("orders", "get", "/api/v1/orders/{number}", "number"),
        ("users", "post", "/api/v1/users/{user_id}/verification-codes", "user_id"),
        ("customers", "post", "/api/v1/customers/{org_id}/read-only-sessions", "org_id"),
        ("customers", "post", "/api/v1/customers/{org_id}/access-requests", "org_id"),
        ("customers", "post", "/api/v1/customers/{org_id}/admin-sessions", "org_id"),
    ]:
        _link(search, f"{method} {path}", method, path, {f"path.{parameter}": f"$response.body#/{kind}/0/id"})
    _link(answer("/api/v1/users/{user_id}/verification-codes", "post", "202"), "check", "post",
          "/api/v1/users/{user_id}/verification-codes/{code_id}/check",
          {"path.user_id": "$request.path.user_id", "path.code_id": "$response.body#/code_id"})
    opened = answer("/api/v1/customers/{org_id}/read-only-sessions", "post", "201")
    for part in ("users", "devices", "licenses", "settings"):
        _link(opened, part, "get", f"/api/v1/read-only/{{org_id}}/{part}", {"path.org_id": "$request.path.org_id"})
    asked = answer("/api/v1/customers/{org_id}/access-requests", "post", "202")
    for name, method, path in [("approve", "post", "/api/v1/customer/access-requests/{request_id}/approve"),
                               ("deny", "post", "/api/v1/customer/access-requests/{request_id}/deny"),
                               ("end", "delete", "/api/v1/customer/access-requests/{request_id}")]:
        _link(asked, name, method, path, {"path.request_id": "$response.body#/request_id"})
    _link(answer("/api/v1/customers/{org_id}/admin-sessions", "post", "201"), "change a user", "patch",
          "/api/v1/admin/{org_id}/users/{user_id}",
          {"path.org_id": "$request.path.org_id", "path.user_id": "u-jane",
           "header.X-Admin-Session": "$response.body#/token"})
    return document


@pytest.fixture(scope="module")
def product() -> embedded.Embedded:
    # Schemathesis's ASGI client sends `Host: testserver`.
    return embedded.build(gateway_settings=GatewaySettings(auth_mode="demo", search_burst=10_000,
                                                           allowed_hosts=["testserver"]))


@pytest.fixture(scope="module")
def world(product: embedded.Embedded) -> Iterator[World]:
    with get_client(cast(Any, product.app)) as client:
        world = World(client)
        world.call("POST", "/api/v1/operator/import", OPERATOR, 200, data=json.dumps(FUZZED_STAFF) + "\n",
                   headers={"Content-Type": "application/x-ndjson"})
        world.send_codes()
        yield world


@pytest.fixture(scope="module")
def document(world: World) -> dict[str, Any]:
    found: dict[str, Any] = world.client.get("/openapi.json").json()
    return found


def _schema(document: dict[str, Any], product: embedded.Embedded, config: SchemathesisConfig | None = None) -> Any:
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.app = product.app
    return schema


@pytest.fixture(scope="module")
def operations(document: dict[str, Any], product: embedded.Embedded) -> list[Any]:
    return [result.ok() for result in _schema(document, product).get_all_operations()]


def test_every_operation_of_the_document_is_fuzzed(document: dict[str, Any], operations: list[Any]) -> None:
    documented = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}

    assert {operation.label for operation in operations} == documented - set(EXCLUDED)
    assert len(operations) >= 36


def test_no_operation_fails_or_answers_outside_its_schema(operations: list[Any], world: World, tally: Tally) -> None:

    for operation in operations:
        headers, known = world.headers(operation.path), world.known_ids(operation.path)
        ids = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in known.items()})

        @given(case=operation.as_strategy(), existing=st.none() | ids)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def call(case: Any, existing: dict[str, str] | None) -> None:
            if existing:
                case.path_parameters = {**(case.path_parameters or {}), **existing}
            tally.add(case.operation.label)
            case.call_and_validate(headers=headers, checks=CHECKS)  # noqa: B023 - run within this iteration

        call()

    assert set(tally.cases) == {operation.label for operation in operations}
    assert tally.total >= len(operations) * EXAMPLES * 0.9  # a route without parameters has fewer distinct cases


def test_chains_of_linked_calls_answer_within_the_schema(
        document: dict[str, Any], product: embedded.Embedded, world: World, tally: Tally) -> None:
    world.read_only_session()  # the grant stands again, whatever the fuzzing before did with it
    chained = _schema(with_links(document), product, CHAINS).include(path_regex=CHAINED)
    sessions: dict[str, str] = {}
    answered: Counter[str] = Counter()

    class Workflow(chained.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            path = case.operation.path
            if path.startswith("/api/v1/read-only/"):
                token = sessions.get(case.path_parameters.get("org_id"), "none")
            else:  # who holds Help Desk Advanced holds Help Desk
                token = world.token(CUSTOMER_ADMIN if path.startswith("/api/v1/customer/") else ADVANCED)
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            answered[f"{case.operation.label} {response.status_code}"] += 1
            tally.add(case.operation.label)
            if case.operation.path.endswith("/read-only-sessions") and response.status_code == 201:
                sessions[case.path_parameters["org_id"]] = response.json()["token"]

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
                              ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    # The product keeps its state from one chain to the next (limits reached, sessions opened), so the same choices
    # can find other links open later, and hypothesis then stops the run as an inconsistent generation: that run is
    # drawn again with other choices, at most twice more. Any answer that fails a check is raised as it is.
    for attempt in range(3):
        try:
            Workflow.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS, deadline=None,
                                           database=None, suppress_health_check=list(HealthCheck)))
            break
        except FlakyStrategyDefinition:
            if attempt == 2:
                raise

    served = {step.rsplit(" ", 1)[0] for step in answered if re.search(r" 20[0-4]$", step)}
    assert tally.total >= SCENARIOS * 2
    assert "GET /api/v1/search" in served
    assert len(served) >= 6, sorted(answered)  # chains went on from what the searches found
