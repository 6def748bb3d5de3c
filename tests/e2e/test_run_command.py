"""The run command starts the seeded product and it answers its probes and its demo logins."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import embedded_product, free_port, terminate

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


def _gateway_env(**given: str) -> dict[str, str]:
    """This process's environment without any GATEWAY_ setting, plus `given`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}, **given}


def test_a_gateway_served_without_an_auth_mode_refuses_to_start_and_says_why() -> None:
    result = subprocess.run([sys.executable, "-m", "helpdesk.cli", "serve", "gateway"], env=_gateway_env(),
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "GATEWAY_AUTH_MODE: Field required" in result.stderr


def test_a_gateway_served_with_demo_sign_in_warns_loudly(tmp_path: Path) -> None:
    # Nothing listens on this Kafka address: the warning comes before the gateway tries to connect.
    env = _gateway_env(GATEWAY_AUTH_MODE="demo", GATEWAY_PORT=str(free_port()),
                       GATEWAY_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}")
    log = tmp_path / "gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "helpdesk.cli", "serve", "gateway"], env=env,
                                   stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while "WARNING: GATEWAY_AUTH_MODE=demo" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        terminate(process)

    text = log.read_text()
    assert "anyone who can reach this gateway signs in as any user" in text
    assert '"level": "WARNING"' in text
