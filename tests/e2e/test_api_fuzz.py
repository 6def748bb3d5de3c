"""The public API fuzzed from its own OpenAPI document: no 5xx, no answer outside the documented schema."""

from __future__ import annotations

from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import get_client
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.config import GatewaySettings
from helpdesk import embedded

pytestmark = pytest.mark.e2e

# Who calls each area of the API: the role that gets past authorization, so the fuzzing reaches the routes.
CALLERS = {"/api/v1/partner": "admin@northwind.example", "/api/v1/operator": "operator@helpdesk.local",
           "/api/v1/customer/": "it@acme.example"}
AGENT = "agent@northwind.example"
EXAMPLES = 25
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)


@pytest.fixture(scope="module")
def product() -> embedded.Embedded:
    # Schemathesis's ASGI client sends `Host: testserver`.
    return embedded.build(gateway_settings=GatewaySettings(auth_mode="demo", search_burst=10_000,
                                                           allowed_hosts=["testserver"]))


@pytest.fixture(scope="module")
def api_schema(product: embedded.Embedded) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", product.app).exclude(
        path="/api/v1/operator/import")  # NDJSON bodies: covered by the import tests, not generated here


@pytest.fixture(scope="module")
def tokens(api_schema: Any, product: embedded.Embedded) -> dict[str, str]:
    with get_client(cast(Any, product.app)) as client:
        return {email: client.post("/api/v1/auth/demo-login", json={"email": email}).json()["access_token"]
                for email in (AGENT, *CALLERS.values())}


def test_no_route_fails_or_answers_outside_its_schema(api_schema: Any, tokens: dict[str, str]) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        caller = next((email for prefix, email in CALLERS.items() if operation.path.startswith(prefix)), AGENT)
        headers = {"Authorization": f"Bearer {tokens[caller]}"}

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)  # noqa: B023 - run within this iteration

        call()
