"""What `helpdesk infra topics` would change in a cluster to make it match the declared topics."""

from __future__ import annotations

import pytest

from contracts.topics import Topic
from runtime.topics import Change, Found, Outcome, plan, replication_factor

pytestmark = pytest.mark.unit

USERS = Topic("identity.users", "users", "compact", partitions=6)
AUDIT = Topic("gateway.audit", "actions", "delete", 30, partitions=6)


def found(partitions: int = 6, factor: int = 1, **configs: str) -> Found:
    return Found(partitions, factor, configs, {})


def matching(topic: Topic, factor: int = 1) -> Found:
    return found(topic.partitions, factor, **topic.configs(factor))


def test_a_missing_topic_is_created_with_its_prefix_and_settings() -> None:
    changes, left = plan([USERS], {}, "t1.", 1)

    assert [change.line(dry_run=False) for change in changes] == [
        "t1.identity.users: created with 6 partitions, replication factor 1, cleanup.policy=compact, retention.ms=-1, "
        "min.insync.replicas=1"]
    assert left == []


def test_a_topic_as_declared_needs_nothing() -> None:
    changes, left = plan([USERS, AUDIT], {"identity.users": matching(USERS), "gateway.audit": matching(AUDIT)}, "", 1)

    assert (changes, left) == ([], [])
    assert Outcome(False).lines() == ["nothing to change"]


def test_fewer_partitions_are_raised_and_differing_configs_set() -> None:
    hand_made = found(1, 1, **{**USERS.configs(1), "cleanup.policy": "delete", "retention.ms": "604800000"})

    changes, _ = plan([USERS], {"identity.users": hand_made}, "", 1)

    assert [change.line(dry_run=False) for change in changes] == [
        "identity.users: partitions raised from 1 to 6",
        "identity.users: cleanup.policy set to compact (was delete)",
        "identity.users: retention.ms set to -1 (was 604800000)"]


def test_a_dry_run_says_what_would_be_done() -> None:
    changes, _ = plan([USERS], {"identity.users": found(2, **USERS.configs(1))}, "", 1)

    assert [change.line(dry_run=True) for change in changes] == [
        "identity.users: partitions would be raised from 2 to 6"]


def test_more_partitions_or_another_replication_factor_are_left_and_said() -> None:
    changes, left = plan([USERS], {"identity.users": found(12, 3, **USERS.configs(3))}, "", 1)

    assert changes == []
    assert left == [
        "identity.users: has 12 partitions, 6 declared: left as they are, Kafka cannot take partitions away",
        "identity.users: has replication factor 3, 1 wanted: left as it is, it changes only by reassigning its "
        "partitions (kafka-reassign-partitions)"]


def test_the_report_has_one_line_per_change_after_the_notes() -> None:
    raised = Change("t", "partitions", "partitions", "raised from 1 to 6")
    outcome = Outcome(False, notes=["a note"], changes=[raised], left=["t: has more"])

    assert outcome.lines() == ["a note", "t: partitions raised from 1 to 6", "t: has more"]


def test_the_replication_factor_is_the_declared_one_or_every_broker_of_a_smaller_cluster() -> None:
    assert replication_factor(None, 5) == (3, None)
    assert replication_factor(None, 1) == (
        1, "replication factor 1: the cluster has 1 broker, fewer than the 3 declared for production")
    assert replication_factor(2, 3) == (2, None)


def test_a_replication_factor_larger_than_the_cluster_is_refused() -> None:
    with pytest.raises(ValueError, match="needs 3 brokers; the cluster has 1"):
        replication_factor(3, 1)


def test_an_existing_topics_writes_wait_for_the_copies_it_has() -> None:
    three_copies = found(6, 3, **{**USERS.configs(3), "min.insync.replicas": "1"})

    changes, _ = plan([USERS], {"identity.users": three_copies}, "", 1)

    assert [change.line(dry_run=False) for change in changes] == [
        "identity.users: min.insync.replicas set to 2 (was 1)"]
