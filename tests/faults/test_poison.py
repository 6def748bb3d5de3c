"""Poison messages on every topic the product consumes: a message no consumer can read (not JSON, a tombstone, an
event missing a field, an event of a newer schema than the code reads) lands in the dead-letter topic of each
consumer group that reads the topic, and a good event published after it on the same partition is still applied."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts import Event
from contracts.access import AccessRequested, AccessRevoked, AdminRecipient, ReadOnlySessionStarted
from contracts.gateway import AgentActionRecorded, CodeRequested
from contracts.identity import Device, DeviceUpserted, Order, OrderPlaced, RoleAssigned
from helpdesk import embedded
from runtime.times import utc_now
from tests.factories import org_upserted, user_upserted
from tests.faults.cluster_fixtures import (
    ACME_ADMIN,
    AGENT,
    OPERATOR,
    KillableCluster,
    MailServer,
    held_dead_letters,
    login,
    running,
    until,
)

# Starting the processes and waiting a fault out can take minutes on a busy machine: more than the suite's 180 s.
pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(300)]


@functools.cache
def consumers() -> dict[str, dict[str, bool]]:
    """Every topic a service or the gateway consumes: its consumer groups, each with whether it commits offsets. As
    the code subscribes, so that a new subscription without a case here fails `test_every_consumed_topic_...`."""
    product = embedded.build(seed=False)
    found: dict[str, dict[str, bool]] = {}
    for service in [*product.services.values(), product.gateway]:
        for subscription in service.subscriptions:
            # Search replays its topics only when it keeps its index in memory; on OpenSearch, as here, it commits.
            commits = not subscription.replay or subscription.group == "search"
            for topic in subscription.topics:
                found.setdefault(topic, {})[subscription.group] = commits
    return found


@dataclass(frozen=True)
class Good:
    """A good event for a topic and how to see that it was applied, through what the product shows."""

    event: Event
    applied: Callable[[], bool]


@dataclass(frozen=True)
class Published:
    good: Good
    partition: int
    poisons: dict[int, str]  # offset -> which poison
    offset: int  # the good event's


def _found(cluster: KillableCluster, query: str, kind: str, entity_id: str) -> Callable[[], bool]:
    """Whether search finds the entity (asked directly: the gateway's rate limit is for agents, not for tests)."""
    def probe() -> bool:
        response = httpx.get(f"{cluster.url('search')}/internal/search", timeout=10,
                             params={"q": query, "partner_id": "p-northwind"})
        return entity_id in [hit["id"] for hit in response.json()[kind]]
    return probe


def _mailed(mail: MailServer, address: str) -> Callable[[], bool]:
    return lambda: len(mail.to(address)) == 1


def _org(cluster: KillableCluster, mail: MailServer) -> Good:
    event = org_upserted(id=f"o-poison-{cluster.run_id}", partner_id="p-northwind", name=f"Antidote {cluster.run_id}")
    return Good(event, _found(cluster, f"Antidote {cluster.run_id}", "customers", event.org.id))


def _user(cluster: KillableCluster, mail: MailServer) -> Good:
    event = user_upserted(partner_id="p-northwind", id=f"u-poison-{cluster.run_id}", org_id="o-acme",
                          email=f"poison.{cluster.run_id}@acme.example")
    return Good(event, _found(cluster, event.user.email, "users", event.user.id))


def _device(cluster: KillableCluster, mail: MailServer) -> Good:
    device = Device(id=f"d-poison-{cluster.run_id}", org_id="o-acme", product="Desk Pro", serial="FOC0000P01",
                    mac=f"02{cluster.run_id}", version=1)
    return Good(DeviceUpserted(device=device, partner_id="p-northwind"),
                _found(cluster, device.mac, "devices", device.id))


def _order(cluster: KillableCluster, mail: MailServer) -> Good:
    order = Order(number=f"WO-{int(cluster.run_id, 16) % 10**9:09d}", org_id="o-acme", placed_at=utc_now(),
                  status="pending", version=1)
    return Good(OrderPlaced(order=order, partner_id="p-northwind"), _found(cluster, order.number, "orders",
                                                                            order.number))


def _role(cluster: KillableCluster, mail: MailServer) -> Good:
    """The Help Desk role for a Northwind employee who had none: the gateway lets them in once it has read it."""
    staff = {"type": "user", "id": f"u-staff-{cluster.run_id}", "org_id": "p-northwind", "first_name": "Sam",
             "last_name": "Staff", "email": f"staff.{cluster.run_id}@northwind.example"}
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        imported = client.post("/api/v1/operator/import", content=json.dumps(staff) + "\n",
                               headers=login(client, OPERATOR))
        assert imported.json()["accepted"] == 1, imported.text

    def roles() -> bool:
        with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
            return bool(client.get("/api/v1/me", headers=login(client, staff["email"])).json()["roles"] == ["helpdesk"])

    return Good(RoleAssigned(user_id=staff["id"], org_id="p-northwind", role="helpdesk", roles=("helpdesk",),
                             user_org_id="p-northwind", user_partner_id="p-northwind", user_version=1,
                             partner_id="p-northwind"), roles)


def _grant_revoked(cluster: KillableCluster, mail: MailServer) -> Good:
    """Acme's grant revoked: the read-only session an agent opened under it ends, and its token opens nothing."""
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        opened = client.post("/api/v1/customers/o-acme/read-only-sessions", json={"reason": "Ticket 1: poison"},
                             headers=login(client, AGENT))
        assert opened.status_code == 201, opened.text
    token = opened.json()["token"]
    return Good(AccessRevoked(org_id="o-acme", revoked_by="u-cadmin", partner_id="p-northwind"),
                lambda: _read_only(cluster, token) == (401, "session_ended"))


def _session_started(cluster: KillableCluster, mail: MailServer) -> Good:
    """A read-only session announced: the gateway opens Acme's settings to its token."""
    token = secrets.token_urlsafe(32)
    event = ReadOnlySessionStarted(
        session_id=str(uuid.uuid4()), org_id="o-acme", agent_id="u-agent", agent_email=AGENT, reason="poison",
        expires_at=utc_now() + timedelta(minutes=15), token_hash=hashlib.sha256(token.encode()).hexdigest(),
        partner_id="p-northwind")
    return Good(event, lambda: _read_only(cluster, token) == (200, None))


def _access_requested(cluster: KillableCluster, mail: MailServer) -> Good:
    admin = f"admin.{cluster.run_id}@acme.example"
    return Good(AccessRequested(request_id=str(uuid.uuid4()), org_id="o-acme", agent_id="u-advanced",
                                agent_name="Ava Advanced", reason="Ticket 2: poison",
                                expires_at=utc_now() + timedelta(hours=1), partner_id="p-northwind",
                                admins=(AdminRecipient(address=admin, name="Carla Admin"),)), _mailed(mail, admin))


def _code_requested(cluster: KillableCluster, mail: MailServer) -> Good:
    address = f"caller.{cluster.run_id}@acme.example"
    reserved = httpx.post(f"{cluster.url('email')}/internal/verification-codes", timeout=30, json={
        "user_id": "u-caller", "org_id": "o-acme", "partner_id": "p-northwind", "agent_id": "u-agent",
        "address": address})
    assert reserved.status_code == 201, reserved.text
    return Good(CodeRequested(code_id=reserved.json()["code_id"], user_id="u-caller", org_id="o-acme",
                              agent_id="u-agent", partner_id="p-northwind"), _mailed(mail, address))


def _action_recorded(cluster: KillableCluster, mail: MailServer) -> Good:
    event = AgentActionRecorded(agent_id="u-agent", agent_email=AGENT, action="user.viewed", target_type="user",
                                target_id="u-jane", org_id="o-acme", partner_id="p-northwind",
                                correlation_id=f"poison-{cluster.run_id}")

    def audited() -> bool:
        with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
            entries = client.get("/api/v1/customer/audit", params={"action": "user.viewed", "limit": 200},
                                 headers=login(client, ACME_ADMIN)).json()["entries"]
        return [entry["correlation_id"] for entry in entries].count(event.correlation_id) == 1

    return Good(event, audited)


CASES: dict[str, Callable[[KillableCluster, MailServer], Good]] = {
    "identity.orgs": _org, "identity.users": _user, "identity.devices": _device, "identity.orders": _order,
    "identity.roles": _role, "access.grants": _grant_revoked, "access.sessions": _session_started,
    "access.requests": _access_requested, "gateway.commands": _code_requested, "gateway.audit": _action_recorded,
}


def _read_only(cluster: KillableCluster, token: str) -> tuple[int, str | None]:
    """What the gateway answers a read of Acme's settings with a read-only session's token: status, error code."""
    response = httpx.get(f"{cluster.url('gateway')}/api/v1/read-only/o-acme/settings", timeout=30,
                         headers={"Authorization": f"Bearer {token}"})
    return response.status_code, (response.json().get("error") or {}).get("code") if response.is_error else None


def _poisons(good: Event) -> dict[str, bytes | None]:
    """Messages no consumer can read, each in its own way."""
    body = good.model_dump(mode="json")
    required = next(name for name, spec in type(good).model_fields.items()
                    if spec.is_required() and name not in Event.model_fields)
    return {"not JSON": b"\x00{not json", "tombstone": None,
            "missing field": json.dumps({k: v for k, v in body.items() if k != required}).encode(),
            "newer schema": json.dumps({**body, "schema_version": 99}).encode()}


async def _publish(cluster: KillableCluster, good: Good) -> Published:
    """The poisons, then the good event, with the good event's key: one partition, in this order."""
    producer = AIOKafkaProducer(bootstrap_servers=cluster.kafka, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        topic, key = cluster.topic_prefix + good.event.TOPIC, good.event.key().encode()
        poisons = {}
        for name, value in _poisons(good.event).items():
            sent = await producer.send_and_wait(topic, value, key=key)
            poisons[sent.offset] = name
        last = await producer.send_and_wait(topic, good.event.to_json(), key=key,
                                            headers=[("event_type", good.event.event_type.encode())])
    finally:
        await producer.stop()
    assert last.partition == sent.partition
    return Published(good, last.partition, poisons, last.offset)


def _committed(cluster: KillableCluster, group: str, topic: str, partition: int) -> int:
    """The offset the group committed on the partition: the next it will read; -1 before any."""
    return asyncio.run(_committed_offset(cluster, group, topic, partition))


async def _committed_offset(cluster: KillableCluster, group: str, topic: str, partition: int) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.kafka)
    await admin.start()
    try:
        tp = TopicPartition(cluster.topic_prefix + topic, partition)
        offsets = await admin.list_consumer_group_offsets(cluster.topic_prefix + group, partitions=[tp])
        return int(offsets[tp].offset) if tp in offsets else -1
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> Iterator[KillableCluster]:
    with running(tmp_path_factory.mktemp("poison"), mail=mail) as started:
        yield started


@pytest.fixture(scope="module")
def published(cluster: KillableCluster, mail: MailServer) -> dict[str, Published]:
    """Every topic's poisons and good event, published at once so that the consumers work on them together."""
    goods = {topic: case(cluster, mail) for topic, case in CASES.items()}
    return {topic: asyncio.run(_publish(cluster, good)) for topic, good in goods.items()}


def test_every_consumed_topic_has_a_poison_case() -> None:
    assert sorted(CASES) == sorted(consumers())


@pytest.mark.parametrize("topic", sorted(CASES))
def test_a_poison_message_is_dead_lettered_by_every_group_and_the_partition_moves_on(
        topic: str, cluster: KillableCluster, published: dict[str, Published]) -> None:
    sent = published[topic]
    source = (cluster.topic_prefix + topic, str(sent.partition))

    def letters(group: str) -> dict[int, str]:
        return {int(letter.headers["original_offset"]): letter.headers["error"]
                for letter in held_dead_letters(cluster, group)
                if (letter.headers.get("original_topic"), letter.headers.get("original_partition")) == source}

    until(sent.good.applied, 60, f"the good event after the poisons on {topic} applied")
    dead = {group: until(functools.partial(letters, group), 30, f"{group}'s dead letters from {topic}",
                         done=lambda found: set(found) >= set(sent.poisons)) for group in consumers()[topic]}
    # A group that commits has moved its offset past the good event: nothing of the partition waits behind it.
    committed = {group: until(functools.partial(_committed, cluster, group, topic, sent.partition), 30,
                              f"{group}'s offset on {topic} past the good event", done=lambda at: at > sent.offset)
                 for group, commits in consumers()[topic].items() if commits}

    for group, found in dead.items():
        assert set(found) == set(sent.poisons), (group, found, sent.poisons)  # the good event is not among them
        assert all(error.startswith("undecodable message") for error in found.values()), found
    assert all(offset > sent.offset for offset in committed.values()), committed
