"""`helpdesk infra topics` on the real Kafka broker: creates every declared topic with its settings, changes nothing
the second time, and raises partitions and sets configs of a topic made by hand, saying so."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from typer.testing import CliRunner

from contracts.topics import TOPICS
from helpdesk.cli import cli
from tests.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def prefix(kafka_bootstrap: str, unique: str) -> Iterator[str]:
    """A prefix of this test's own; its topics are deleted afterwards."""
    yield f"t{unique}."
    asyncio.run(_admin(kafka_bootstrap, _delete_prefixed, f"t{unique}."))


def topics_command(bootstrap: str, prefix: str, *options: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["infra", "topics", "--bootstrap", bootstrap, "--prefix", prefix,
                                      "--replication-factor", "1", *options])
    return result.exit_code, result.output.splitlines()


def test_the_first_run_creates_every_topic_with_its_declared_settings(kafka_bootstrap: str, prefix: str) -> None:
    code, said = topics_command(kafka_bootstrap, prefix)

    assert code == 0, said
    assert [line.split(":")[0] for line in said] == [prefix + topic.name for topic in TOPICS]
    assert all(": created with " in line for line in said)
    described = asyncio.run(_admin(kafka_bootstrap, _describe, [prefix + topic.name for topic in TOPICS]))
    for topic in TOPICS:
        partitions, configs = described[prefix + topic.name]
        assert (topic.name, partitions) == (topic.name, topic.partitions)
        assert (topic.name, configs["cleanup.policy"], configs["retention.ms"]) == (
            topic.name, topic.cleanup_policy, str(topic.retention_ms))
        assert configs["min.insync.replicas"] == "1"


def test_the_second_run_has_nothing_to_change(kafka_bootstrap: str, prefix: str) -> None:
    topics_command(kafka_bootstrap, prefix)

    code, said = topics_command(kafka_bootstrap, prefix)

    assert (code, said) == (0, ["nothing to change"])


def test_a_topic_made_by_hand_gets_its_partitions_and_compaction_and_keeps_its_own_settings(
        kafka_bootstrap: str, prefix: str) -> None:
    users = prefix + "identity.users"
    asyncio.run(_admin(kafka_bootstrap, _create, users, {"cleanup.policy": "delete", "max.message.bytes": "2000000"}))

    code, said = topics_command(kafka_bootstrap, prefix)

    assert code == 0, said
    assert f"{users}: partitions raised from 1 to 6" in said
    assert f"{users}: cleanup.policy set to compact (was delete)" in said
    assert f"{users}: retention.ms set to -1 (was 604800000)" in said
    assert not any(line.startswith(f"{users}: created") for line in said)
    partitions, configs = asyncio.run(_admin(kafka_bootstrap, _describe, [users]))[users]
    assert (partitions, configs["cleanup.policy"], configs["max.message.bytes"]) == (6, "compact", "2000000")
    assert topics_command(kafka_bootstrap, prefix) == (0, ["nothing to change"])


def test_a_dry_run_says_what_it_would_do_and_does_nothing(kafka_bootstrap: str, prefix: str) -> None:
    code, said = topics_command(kafka_bootstrap, prefix, "--dry-run")

    assert code == 0
    assert said[0] == f"{prefix}{TOPICS[0].name}: would be created with 6 partitions, replication factor 1, " \
                      "cleanup.policy=compact, retention.ms=-1, min.insync.replicas=1"
    assert asyncio.run(_admin(kafka_bootstrap, _describe, [prefix + topic.name for topic in TOPICS])) == {}


def test_more_partitions_than_declared_are_left_and_said(kafka_bootstrap: str, prefix: str) -> None:
    audit = prefix + "gateway.audit"
    asyncio.run(_admin(kafka_bootstrap, _create, audit, {"cleanup.policy": "delete", "retention.ms": "2592000000"}, 8))

    code, said = topics_command(kafka_bootstrap, prefix)

    assert code == 0
    assert f"{audit}: has 8 partitions, 6 declared: left as they are, Kafka cannot take partitions away" in said


def test_an_unreachable_kafka_fails_the_command(prefix: str) -> None:
    code, said = topics_command("127.0.0.1:1", prefix)

    assert code == 1
    assert said[-1].startswith("Kafka at 127.0.0.1:1:")


async def _admin(bootstrap: str, action: Any, *args: Any) -> Any:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return await action(admin, *args)
    finally:
        await admin.close()


async def _describe(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, tuple[int, dict[str, str]]]:
    """Each of the topics that exists: its partitions and configs (looked up among all topics: asking for one by
    name would create it)."""
    present = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics() if t["topic"] in names}
    if not present:
        return {}
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in present])
    return {resource["resource_name"]: (present[resource["resource_name"]],
                                        {e["config_names"]: e["config_value"] for e in resource["config_entries"]})
            for response in responses for resource in response.to_object()["resources"]}


async def _create(admin: AIOKafkaAdminClient, name: str, configs: dict[str, str], partitions: int = 1) -> None:
    """A topic as someone made it by hand, once the broker's metadata shows it (a moment after it was made)."""
    response = (await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs)])).to_object()
    assert [t["error_code"] for t in response["topic_errors"]] == [0]

    async def shown() -> bool:
        described = await _describe(admin, [name])
        return name in described and all(described[name][1].get(k) == v for k, v in configs.items())

    await eventually(shown, timeout=30)


async def _delete_prefixed(admin: AIOKafkaAdminClient, prefix: str) -> None:
    doomed = [name for name in await admin.list_topics() if name.startswith(prefix)]
    if doomed:
        await admin.delete_topics(doomed)
