"""On the real Kafka: a revoked agent, a customer admin whose role was removed and an agent moved to another
partner are refused by every gateway replica within 5 seconds."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import KAFKA, MONGO, require_infra
from tests.e2e.processes import Cluster, free_port, terminate, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

REVOCATION_DEADLINE_SECONDS = 5.0
SIGNING_KEY = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


class SharedKeyCluster(Cluster):
    """Gateway replicas that sign and check demo tokens with one key, as a deployment configures them."""

    def env(self, name: str) -> dict[str, str]:
        env = super().env(name)
        if name == "gateway":
            env["GATEWAY_DEMO_SIGNING_KEY"] = SIGNING_KEY
        return env


@pytest.fixture(scope="module")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """The product's processes with two gateway replicas; yields the replicas' URLs."""
    require_infra("Kafka", KAFKA)
    require_infra("FerretDB", MONGO.split("//", 1)[1].split("/", 1)[0])
    unique = uuid.uuid4().hex[:10]
    logs = tmp_path_factory.mktemp("replicas")
    cluster = SharedKeyCluster(KAFKA, MONGO, unique, logs)
    second: subprocess.Popen[bytes] | None = None
    try:
        cluster.start_all()
        cluster.wait_ready()
        port = free_port()
        second = _second_gateway(cluster, port, logs / "gateway-2.log")
        if not wait_for(f"http://127.0.0.1:{port}/readyz", second, time.monotonic() + 60):
            raise AssertionError((logs / "gateway-2.log").read_text(errors="replace")[-4000:])
        yield [cluster.url("gateway"), f"http://127.0.0.1:{port}"]
    finally:
        if second is not None:
            terminate(second)
        cluster.stop_all()
        cluster.forget()


def _second_gateway(cluster: Cluster, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "helpdesk.cli", "serve", "gateway"],
                                env={**cluster.env("gateway"), "GATEWAY_PORT": str(port)}, stdout=out, stderr=out)


def login(url: str, email: str) -> dict[str, str]:
    response = httpx.post(f"{url}/api/v1/auth/demo-login", json={"email": email}, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def status(url: str, headers: dict[str, str]) -> int:
    return httpx.get(f"{url}/api/v1/customers/o-acme", headers=headers, timeout=30).status_code


def test_a_revoked_agent_is_refused_by_every_replica_within_five_seconds(gateways: list[str]) -> None:
    first, _ = gateways
    agent = login(first, "agent@northwind.example")  # both replicas accept the same token
    admin = login(first, "admin@northwind.example")
    before = [status(url, agent) for url in gateways]

    revoked = httpx.delete(f"{first}/api/v1/partner/helpdesk-agents/u-agent", headers=admin, timeout=30)
    deadline = time.monotonic() + REVOCATION_DEADLINE_SECONDS
    refused: set[str] = set()
    while refused != set(gateways) and time.monotonic() < deadline:
        refused |= {url for url in gateways if status(url, agent) == 403}
        time.sleep(0.05)

    assert before == [200, 200]
    assert revoked.status_code == 204
    assert refused == set(gateways)


def _import(url: str, *records: dict[str, object]) -> None:
    body = "".join(json.dumps(r) + "\n" for r in records)
    response = httpx.post(f"{url}/api/v1/operator/import", content=body, timeout=30,
                          headers={**login(url, "operator@helpdesk.local"), "content-type": "application/x-ndjson"})
    assert response.json()["accepted"] == len(records), response.text


def _refused_everywhere(gateways: list[str], call: Callable[[str], int]) -> set[str]:
    deadline = time.monotonic() + REVOCATION_DEADLINE_SECONDS
    refused: set[str] = set()
    while refused != set(gateways) and time.monotonic() < deadline:
        refused |= {url for url in gateways if call(url) in (403, 404)}
        time.sleep(0.05)
    return refused


def test_a_customer_admin_whose_role_was_removed_is_refused_by_every_replica_within_five_seconds(
        gateways: list[str]) -> None:
    first, _ = gateways
    admin = login(first, "it@acme.example")

    def grant(url: str) -> int:
        return httpx.get(f"{url}/api/v1/customer/access-grant", headers=admin, timeout=30).status_code

    before = [grant(url) for url in gateways]
    _import(first, {"type": "user", "id": "u-cadmin", "org_id": "o-acme", "email": "it@acme.example",
                    "first_name": "Carla", "last_name": "Admin", "roles": []})

    assert before == [200, 200]
    assert _refused_everywhere(gateways, grant) == set(gateways)


def test_an_agent_moved_to_another_partner_loses_its_customers_on_every_replica_within_five_seconds(
        gateways: list[str]) -> None:
    first, _ = gateways
    agent = login(first, "advanced@northwind.example")
    before = [status(url, agent) for url in gateways]

    _import(first, {"type": "user", "id": "u-advanced", "org_id": "p-contoso", "email": "advanced@northwind.example",
                    "first_name": "Ava", "last_name": "Advanced", "roles": ["helpdesk_advanced"]})

    assert before == [200, 200]
    assert _refused_everywhere(gateways, lambda url: status(url, agent)) == set(gateways)
    assert [httpx.get(f"{url}/api/v1/me", headers=agent, timeout=30).json()["partner_id"]
            for url in gateways] == ["p-contoso", "p-contoso"]


def test_a_customer_revoking_access_ends_a_read_only_session_on_every_replica_within_five_seconds(
        gateways: list[str]) -> None:
    first, second = gateways
    # People of their own, so that what the other tests of the module took away changes nothing here.
    _import(first, {"type": "user", "id": "u-session-agent", "org_id": "p-northwind", "email": "sa@northwind.example",
                    "first_name": "Sam", "last_name": "Session", "roles": ["helpdesk"]},
            {"type": "user", "id": "u-session-admin", "org_id": "o-acme", "email": "sadmin@acme.example",
             "first_name": "Sal", "last_name": "Admin", "roles": ["customer_admin"]})
    admin = _eventually_signed_in(second, "sadmin@acme.example", "/api/v1/customer/access-grant")
    agent = _eventually_signed_in(first, "sa@northwind.example", "/api/v1/customers/o-acme")
    assert httpx.put(f"{first}/api/v1/customer/access-grant", json={"expires_at": None}, headers=admin,
                     timeout=30).status_code == 200
    opened = httpx.post(f"{first}/api/v1/customers/o-acme/read-only-sessions", json={"reason": "Ticket 4711"},
                        headers=agent, timeout=30)
    session = {"Authorization": f"Bearer {opened.json()['token']}"}

    def users(url: str) -> int:
        return httpx.get(f"{url}/api/v1/read-only/o-acme/users", headers=session, timeout=30).status_code

    served = _everywhere(gateways, lambda url: users(url) == 200)
    revoked = httpx.delete(f"{second}/api/v1/customer/access-grant", headers=admin, timeout=30)
    deadline = time.monotonic() + REVOCATION_DEADLINE_SECONDS
    refused: set[str] = set()
    while refused != set(gateways) and time.monotonic() < deadline:
        refused |= {url for url in gateways if users(url) == 401}
        time.sleep(0.05)

    assert opened.status_code == 201, opened.text
    assert served == set(gateways)
    assert revoked.status_code == 204
    assert refused == set(gateways)


def _eventually_signed_in(url: str, email: str, path: str) -> dict[str, str]:
    """The headers of a person just imported, once this replica knows their role (identity's announcement)."""
    headers = login(url, email)
    assert _everywhere([url], lambda u: httpx.get(f"{u}{path}", headers=headers, timeout=30).status_code == 200)
    return headers


def _everywhere(gateways: list[str], answers: Callable[[str], bool], timeout: float = 30.0) -> set[str]:
    """The replicas on which `answers` came true within `timeout` (a deadline for the set-up, not a claim)."""
    deadline = time.monotonic() + timeout
    done: set[str] = set()
    while done != set(gateways) and time.monotonic() < deadline:
        done |= {url for url in gateways if answers(url)}
        time.sleep(0.05)
    return done
