"""A consumer killed with SIGKILL in the middle of its work and started again: what it had read but not committed
is read again and applied once, and meanwhile the API refuses what needs it with a 503. Search indexing a few
thousand users' events, and the email service turning CodeRequested into mail, on the real Kafka, FerretDB and
OpenSearch."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest

from contracts.gateway import CodeRequested
from tests.conftest import OPENSEARCH_URL
from tests.factories import user_upserted
from tests.faults.cluster_fixtures import (
    AGENT,
    KillableCluster,
    MailServer,
    consumed,
    held_dead_letters,
    login,
    publish,
    refused_for_now,
    running,
    timed,
    until,
)

# Starting the processes and waiting a fault out can take minutes on a busy machine: more than the suite's 180 s.
pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(300)]

USERS = 3000  # a few batches of search's 500: the kill lands between two of them
CODES = 30
TIMEOUT = 10.0  # the gateway's timeout for a call to a service: a refusal comes sooner
# The email service's settings for this run: a claim held by a killed sender is taken over after 5 s rather than a
# minute, a held SMTP exchange gives up after 2 s, deferred mail is tried again each second; one agent asks for all
# the codes here, more than the 30 an hour a real agent may.
SETTINGS = {"EMAIL_CLAIM_LEASE_SECONDS": "5", "EMAIL_SMTP_TIMEOUT_SECONDS": "2",
            "EMAIL_RETRY_FIRST_DELAY_SECONDS": "1", "EMAIL_RETRY_FACTOR": "1", "EMAIL_SEND_ATTEMPTS": "60",
            "EMAIL_CODES_PER_AGENT_HOUR": "1000"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> Iterator[KillableCluster]:
    with running(tmp_path_factory.mktemp("consumers"), mail=mail, settings=SETTINGS) as started:
        yield started


def test_search_killed_mid_batch_finds_every_user_exactly_once_after_it_restarts(cluster: KillableCluster) -> None:
    users = [user_upserted(partner_id="p-northwind", id=f"u-{cluster.run_id}-{n}", org_id="o-acme",
                           email=f"user{n}.{cluster.run_id}@acme.example", first_name="Fault",
                           last_name=f"Tolerant{n}") for n in range(USERS)]
    ids = [event.user.id for event in users]
    before = consumed(cluster, "search", "search", "identity.users")

    asyncio.run(publish(cluster, users))
    at_kill = until(lambda: consumed(cluster, "search", "search", "identity.users") - before, 90,
                    "search indexing its first batch", interval=0.05)
    cluster.kill("search")
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        down = timed(partial(client.get, "/api/v1/search", params={"q": "jane"}, headers=login(client, AGENT)))
    cluster.restart("search")
    indexed = until(lambda: _indexed(cluster, ids), 120, "every user in search's index",
                    done=lambda counts: counts == (USERS, USERS))
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        agent = login(client, AGENT)
        found = [client.get("/api/v1/search", params={"q": event.user.email}, headers=agent).json()["users"]
                 for event in users[::USERS // 10]]
    dead = held_dead_letters(cluster, "search")

    assert 0 < at_kill < USERS, "the kill did not land in the middle of the indexing"
    assert refused_for_now(down, TIMEOUT), (down[0].status_code, down[0].text, down[1])
    assert indexed == (USERS, USERS)
    # An entry's id names its partner and its user: as many entries under Northwind as users means each user is
    # there once, and under no other partner.
    assert _count(cluster, "entries", {"bool": {"filter": [
        {"prefix": {"entity_id": f"u-{cluster.run_id}-"}}, {"term": {"partner_id": "p-northwind"}}]}}) == USERS
    assert [[hit["id"] for hit in hits] for hits in found] == [[event.user.id] for event in users[::USERS // 10]]
    assert dead == []


def test_email_killed_while_consuming_code_requests_mails_every_code_exactly_once(
        cluster: KillableCluster, mail: MailServer) -> None:
    requests = [_reserve(cluster, n) for n in range(CODES)]
    addresses = [address for _, address in requests]
    mail.hold()  # the mail server answers nobody's RCPT: no mail can be half delivered when the kill comes
    try:
        asyncio.run(publish(cluster, [event for event, _ in requests]))
        at_kill = until(lambda: consumed(cluster, "email", "email", "gateway.commands"), 60,
                        "the email service consuming the requests", interval=0.05, done=lambda count: count >= 3)
        cluster.kill("email")
    finally:
        mail.release()
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        agent = login(client, AGENT)
        refused = timed(partial(client.post, "/api/v1/users/u-jane/verification-codes", headers=agent))
        jane = client.get("/api/v1/users/u-jane", headers=agent)
    cluster.restart("email")
    until(lambda: _sent(cluster, addresses), 150, "every code's mail recorded as sent",
          done=lambda statuses: statuses == {address: ["sent"] for address in addresses})
    dead = held_dead_letters(cluster, "email")

    assert at_kill < CODES, "the kill did not land while the requests were being consumed"
    assert refused_for_now(refused, TIMEOUT), (refused[0].status_code, refused[0].text, refused[1])
    assert (jane.status_code, jane.json()["email"]) == (200, None)  # the user is still shown, without their mail
    # Once every message is recorded as sent, nothing sends it again: what the server holds now is final.
    assert mail.counts(addresses) == dict.fromkeys(addresses, 1)
    assert {mail.to(address)[0]["Subject"] for address in addresses} == {"Your verification code"}
    assert dead == []


def _reserve(cluster: KillableCluster, n: int) -> tuple[CodeRequested, str]:
    """A code reserved for a user of Acme, and the CodeRequested the gateway would publish for it next."""
    user_id, address = f"u-code-{n}", f"code{n}.{cluster.run_id}@acme.example"
    reserved = httpx.post(f"{cluster.url('email')}/internal/verification-codes", timeout=30, json={
        "user_id": user_id, "org_id": "o-acme", "partner_id": "p-northwind", "agent_id": "u-agent",
        "address": address, "name": f"Caller {n}", "locale": "en"})
    assert reserved.status_code == 201, reserved.text
    return CodeRequested(code_id=reserved.json()["code_id"], user_id=user_id, org_id="o-acme", agent_id="u-agent",
                         partner_id="p-northwind", correlation_id=str(uuid.uuid4())), address


def _sent(cluster: KillableCluster, addresses: list[str]) -> dict[str, list[str]]:
    """The status of each message the email service has queued for each address, as it records them."""
    return {address: [message["status"] for message in httpx.get(
        f"{cluster.url('email')}/internal/addresses/{address}", timeout=10).json()["messages"]]
        for address in addresses}


def _indexed(cluster: KillableCluster, ids: list[str]) -> tuple[int, int]:
    """The users' entries and placements in search's OpenSearch indices, once they are searchable."""
    httpx.post(f"{OPENSEARCH_URL}/{cluster.search_index}-*/_refresh", timeout=30).raise_for_status()
    return (_count(cluster, "entries", {"terms": {"entity_id": ids}}),
            _count(cluster, "placements", {"ids": {"values": [f"user:{user_id}" for user_id in ids]}}))


def _count(cluster: KillableCluster, index: str, query: dict[str, Any]) -> int:
    response = httpx.post(f"{OPENSEARCH_URL}/{cluster.search_index}-{index}/_count", json={"query": query},
                          timeout=30)
    response.raise_for_status()
    return int(response.json()["count"])
