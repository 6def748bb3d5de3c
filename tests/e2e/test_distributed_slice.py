"""The product as separate processes on the real Kafka, FerretDB and OpenSearch: import in identity, find through
search (its read model on OpenSearch)."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import KAFKA, MONGO, OPENSEARCH_URL, SMTP, received, require_infra
from tests.e2e.processes import SERVICES, Cluster

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

LUCIA = {"type": "user", "id": "u-lucia", "org_id": "o-acme", "email": "lucia.garcia@acme.example",
         "first_name": "Lucía", "last_name": "García", "phone_numbers": ["+34 912 345 678"]}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One cluster for this module's tests: starting five processes takes seconds."""
    require_infra("Kafka", KAFKA)
    require_infra("FerretDB", MONGO.split("//", 1)[1].split("/", 1)[0])
    require_infra("OpenSearch", OPENSEARCH_URL.split("//", 1)[1])
    unique = uuid.uuid4().hex[:10]
    running = Cluster(KAFKA, MONGO, unique, tmp_path_factory.mktemp("cluster"), opensearch=OPENSEARCH_URL)
    try:
        running.start_all()
        running.wait_ready()
        yield running
    finally:
        running.stop_all()
        running.forget()  # its databases, search indices and topics: the local Kafka starts slower with each left


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
    # What search answered from is OpenSearch's index, routed by the partner that manages Acme.
    kept = httpx.get(f"{OPENSEARCH_URL}/{cluster.search_index}-placements/_doc/user:u-lucia", timeout=10).json()
    assert kept["found"]
    assert kept["_source"]["partner_id"] == "p-northwind"


def test_the_demo_grant_and_suppression_are_served_from_their_own_processes_and_stores(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        agent = login(client, "agent@northwind.example")
        acme = client.get("/api/v1/customers/o-acme", headers=agent).json()
        bistro = client.get("/api/v1/customers/o-bistro", headers=agent).json()
        removed = client.delete("/api/v1/users/u-rene/suppression", headers=agent)
        rene = client.get("/api/v1/users/u-rene/email", headers=agent).json()
        revoked = client.delete("/api/v1/customer/access-grant", headers=login(client, "it@acme.example"))
        for name in ("email", "access"):  # their demo seeds run again at start, on the data they left
            cluster.stop(name)
            cluster.start(name)
        cluster.wait_ready(("email", "access", "gateway"))
        rene_after = client.get("/api/v1/users/u-rene/email", headers=agent).json()
        acme_after = client.get("/api/v1/customers/o-acme", headers=agent).json()

    assert _granted(acme) == {"granted": True, "expires_at": None}
    assert _granted(bistro) == {"granted": False, "expires_at": None}
    assert removed.status_code == 204
    assert (rene["suppressed"], rene["last_message"]["status"]) == (False, "bounced")
    assert revoked.status_code == 204
    assert rene_after == rene
    assert _granted(acme_after) == {"granted": False, "expires_at": None}


def test_every_process_answers_its_health_probes(cluster: Cluster) -> None:
    for name in SERVICES:
        assert httpx.get(f"{cluster.url(name)}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{cluster.url(name)}/readyz").status_code == 200


# What each process shows on GET /metrics once it has started and read its topics (the Kafka lag is refreshed every
# few seconds, after its consumers are assigned their partitions).
EXPECTED_SERIES: dict[str, set[str]] = {
    "identity": {"helpdesk_events_published_total", "helpdesk_outbox_relay_delay_seconds_count"},
    "search": {"helpdesk_events_consumed_total", "helpdesk_consumer_lag", "helpdesk_search_index_entries",
               "helpdesk_search_replay_progress_ratio"},
    "email": {"helpdesk_mails_total", "helpdesk_outbox_backlog"},
    "access": {"helpdesk_events_consumed_total", "helpdesk_consumer_lag"},
    "gateway": {"helpdesk_consumer_lag"},
}


def test_every_process_serves_its_metrics_labelled_with_its_service(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        me = client.get("/api/v1/me", headers=login(client, "agent@northwind.example"))
    deadline = time.monotonic() + 60
    scraped = {name: _metrics(cluster, name) for name in SERVICES}
    while any(not EXPECTED_SERIES[name] <= {n for n, _ in scraped[name]} for name in SERVICES) and (
            time.monotonic() < deadline):
        time.sleep(1)
        scraped = {name: _metrics(cluster, name) for name in SERVICES}

    assert me.status_code == 200
    for name, samples in scraped.items():
        assert {labels["service"] for _, labels in samples} == {name}, name
        assert EXPECTED_SERIES[name] <= {n for n, _ in samples}, name
        assert ("helpdesk_http_requests_total", "/readyz") in {(n, labels.get("route")) for n, labels in samples}, name
        assert "helpdesk_http_request_duration_seconds_count" in {n for n, _ in samples}, name
    gateway = {(n, labels.get("route"), labels.get("status")) for n, labels in scraped["gateway"]}
    assert ("helpdesk_http_requests_total", "/api/v1/me", "200") in gateway
    lags = {(labels["group"], labels["topic"]) for n, labels in scraped["search"] if n == "helpdesk_consumer_lag"}
    assert ("search", "identity.users") in lags  # named as the code names it, without the deployment's prefix
    outcomes = {labels["outcome"] for n, labels in scraped["email"] if n == "helpdesk_mails_total"}
    assert {"sent", "deferred", "failed"} <= outcomes


def _metrics(cluster: Cluster, name: str) -> list[tuple[str, dict[str, str]]]:
    """Every sample a process shows on GET /metrics, parsed as Prometheus parses it."""
    response = httpx.get(f"{cluster.url(name)}/metrics", timeout=10)
    assert response.status_code == 200, (name, response.text)
    return [(s.name, s.labels) for family in text_string_to_metric_families(response.text) for s in family.samples]


def test_a_stopped_service_answers_503_and_the_gateway_recovers_when_it_returns(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        agent = login(client, "agent@northwind.example")
        cluster.stop("search")

        down = client.get("/api/v1/search", params={"q": "jane"}, headers=agent)
        still_serving = client.get("/api/v1/users/u-jane", headers=agent)
        ready = client.get("/readyz")
        cluster.start("search")
        cluster.wait_ready(("search",))
        back = search_until_found(client, agent, "jane")

    assert down.status_code == 503
    assert down.json()["error"]["code"] == "service_unavailable"
    assert "search" in down.json()["error"]["message"]
    assert down.headers["Retry-After"]
    assert still_serving.status_code == 200  # what does not need search still works
    assert ready.status_code == 200  # so the replica stays in its load balancer
    assert [hit["id"] for hit in back["users"]] == ["u-jane"]  # type: ignore[index]


def test_a_verification_code_goes_through_kafka_and_real_mail_and_checks(cluster: Cluster) -> None:
    require_infra("The SMTP server", SMTP)
    address = f"caller-{cluster.run_id}@acme.example"
    caller = {"type": "user", "id": f"u-caller-{cluster.run_id}", "org_id": "o-acme", "email": address,
              "first_name": "Carlo", "last_name": "Chiamante", "locale": "it"}
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        client.post("/api/v1/operator/import", content=json.dumps(caller) + "\n",
                    headers=login(client, "operator@helpdesk.local"))
        agent = login(client, "agent@northwind.example")
        codes = f"/api/v1/users/{caller['id']}/verification-codes"
        trace_id = uuid.uuid4().hex  # the agent's action, as a browser or a proxy in front would trace it
        sent = client.post(codes, headers={**agent, "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
        deadline = time.monotonic() + 30
        while not received(address) and time.monotonic() < deadline:
            time.sleep(0.2)
        mails = received(address)
        text = next(part.get_payload(decode=True).decode() for part in mails[0].walk()  # type: ignore[union-attr]
                    if part.get_content_type() == "text/plain")
        code = re.findall(r"\b\d{6}\b", text)[0]
        checked = client.post(f"{codes}/{sent.json()['code_id']}/check", json={"code": code}, headers=agent)

    assert sent.status_code == 202, sent.text
    assert len(mails) == 1
    assert checked.json() == {"verified": True}
    # The trace went from the gateway through the email service's HTTP API, Kafka (CodeRequested, read back by
    # the email service) and its outgoing queue to the line that logs the mail sent. That line is written once
    # the sending is recorded, which may be a moment after the SMTP server has the mail.
    deadline = time.monotonic() + 15
    while "mail sent" not in _messages_in_trace(cluster, "email", trace_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "mail sent" in _messages_in_trace(cluster, "email", trace_id), cluster.log_tail("email")


def _messages_in_trace(cluster: Cluster, name: str, trace_id: str) -> list[str]:
    return [line["message"] for line in _log_lines(cluster, name) if line.get("trace_id") == trace_id]


def _log_lines(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    lines = (cluster.logs / f"{name}.log").read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _granted(customer: dict[str, Any]) -> dict[str, Any]:
    """Whether and until when the customer grants access, as an agent sees it on the customer."""
    access = customer["read_only_access"]
    return {"granted": access["granted"], "expires_at": access["expires_at"]}
