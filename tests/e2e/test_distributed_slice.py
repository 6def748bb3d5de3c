"""The product as separate processes on the real Kafka and FerretDB: import in identity, find through search."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from tests.e2e.processes import SERVICES, Cluster

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

LUCIA = {"type": "user", "id": "u-lucia", "org_id": "o-acme", "email": "lucia.garcia@acme.example",
         "first_name": "Lucía", "last_name": "García", "phone_numbers": ["+34 912 345 678"]}


@pytest.fixture
def cluster(kafka_bootstrap: str, mongo_url: str, unique: str, tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(kafka_bootstrap, mongo_url, unique, tmp_path)
    try:
        running.start_all()
        running.wait_ready()
        yield running
    finally:
        running.stop_all()
        with MongoClient(mongo_url) as client:
            for name in SERVICES:
                client.drop_database(f"{name}_{unique}")


def login(client: httpx.Client, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/demo-login", json={"email": email})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def search_until_found(client: httpx.Client, headers: dict[str, str], q: str, timeout: float = 30.0
                       ) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/api/v1/search", params={"q": q}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        if body["users"] or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_a_user_imported_into_identity_is_found_through_the_gateway(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        operator = login(client, "operator@helpdesk.local")
        imported = client.post("/api/v1/operator/import", content=json.dumps(LUCIA) + "\n", headers=operator)
        agent = login(client, "agent@northwind.example")

        found = search_until_found(client, agent, "lucia garcia")
        other = client.get("/api/v1/search", params={"q": "lucia"}, headers=login(client, "agent@contoso.example"))

    assert imported.json() == {"accepted": 1, "rejected": [], "rejected_total": 0}
    assert [(hit["id"], hit["org_id"]) for hit in found["users"]] == [("u-lucia", "o-acme")]  # type: ignore[union-attr]
    assert other.json()["users"] == []


def test_every_process_answers_its_health_probes(cluster: Cluster) -> None:
    for name in SERVICES:
        assert httpx.get(f"{cluster.url(name)}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{cluster.url(name)}/readyz").status_code == 200
