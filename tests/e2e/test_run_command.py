"""The run command starts the seeded product and it answers its probes and its demo logins."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.processes import embedded_product

pytestmark = pytest.mark.e2e

@pytest.fixture(scope="module")
def product_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_product(tmp_path_factory.mktemp("up")) as url:
        yield url


def test_the_embedded_product_serves_the_ui_and_is_ready(product_url: str) -> None:
    page = httpx.get(product_url)
    ready = httpx.get(f"{product_url}/readyz")

    assert page.status_code == 200
    assert "Partner Help Desk" in page.text
    assert ready.status_code == 200


def test_the_demo_data_is_seeded_and_every_demo_login_works(product_url: str) -> None:
    for email in ("operator@helpdesk.local", "agent@northwind.example", "advanced@northwind.example",
                  "admin@northwind.example", "it@acme.example"):
        response = httpx.post(f"{product_url}/api/v1/auth/demo-login", json={"email": email})
        assert response.status_code == 200, email
    token = httpx.post(f"{product_url}/api/v1/auth/demo-login",
                       json={"email": "agent@northwind.example"}).json()["access_token"]

    found = httpx.get(f"{product_url}/api/v1/search", params={"q": "jane"},
                      headers={"Authorization": f"Bearer {token}"})

    assert [hit["id"] for hit in found.json()["users"]] == ["u-jane"]


def test_the_api_is_described_by_its_openapi_document(product_url: str) -> None:
    document = httpx.get(f"{product_url}/openapi.json").json()

    assert {"/api/v1/search", "/api/v1/operator/import", "/api/v1/auth/demo-login", "/api/v1/me"} <= set(
        document["paths"]
    )
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no description"
