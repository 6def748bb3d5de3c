"""The declaration of every topic: each event's topic once, state compacted and the rest deleted after a time, and a
dead-letter topic for every consumer group the product has."""

from __future__ import annotations

import pytest

from contracts import registry
from contracts.topics import (
    CONSUMER_GROUPS,
    DEAD_LETTER_TOPICS,
    EVENT_TOPICS,
    TOPICS,
    Topic,
    dead_letter_topic,
    min_insync_replicas,
)
from helpdesk import embedded
from runtime import kafka

pytestmark = pytest.mark.unit

STATE = {"identity.partners", "identity.orgs", "identity.users", "identity.devices", "identity.orders",
         "identity.roles"}


def test_every_topic_an_event_travels_on_is_declared_once() -> None:
    names = [topic.name for topic in EVENT_TOPICS]

    assert sorted(names) == registry.topics()
    assert len({topic.name for topic in TOPICS}) == len(TOPICS)


def test_state_topics_are_compacted_and_kept_the_others_deleted_after_a_retention() -> None:
    compacted = {topic.name for topic in EVENT_TOPICS if topic.cleanup_policy == "compact"}

    assert compacted == STATE
    for topic in TOPICS:
        assert (topic.retention_ms == -1) == (topic.name in STATE), topic.name
        assert topic.configs(3)["retention.ms"] == str(topic.retention_ms)


def test_every_state_topics_events_carry_the_whole_entity_keyed_by_its_id() -> None:
    for name, cls in registry.event_types().items():
        if cls.TOPIC in STATE and cls.TOPIC != "identity.roles":  # roles carry the user's whole standing instead
            assert name.endswith(("Upserted", "Placed")), name
            assert cls.KEY_FIELD.endswith((".id", ".number")), name


def test_dead_letters_are_kept_longer_than_any_event_they_came_from() -> None:
    longest_deleted = max(t.retention_ms for t in EVENT_TOPICS if t.cleanup_policy == "delete")

    assert [t.name for t in DEAD_LETTER_TOPICS] == [dead_letter_topic(g) for g in CONSUMER_GROUPS]
    assert all(t.cleanup_policy == "delete" and t.retention_ms >= longest_deleted for t in DEAD_LETTER_TOPICS)


def test_every_consumer_group_of_the_product_has_a_dead_letter_topic() -> None:
    product = embedded.build(seed=False)
    subscriptions = [s for service in [*product.services.values(), product.gateway] for s in service.subscriptions]

    assert sorted({s.group for s in subscriptions}) == sorted(CONSUMER_GROUPS)
    assert {t for s in subscriptions for t in s.topics} <= {topic.name for topic in EVENT_TOPICS}


def test_the_bus_dead_letters_to_the_declared_topics() -> None:
    assert kafka.dead_letter_topic("search") == "dlq.search" == DEAD_LETTER_TOPICS[-1].name


@pytest.mark.parametrize(("replication_factor", "expected"), [(1, 1), (2, 1), (3, 2), (5, 2)])
def test_a_write_waits_for_all_but_one_copy_and_at_most_two(replication_factor: int, expected: int) -> None:
    assert min_insync_replicas(replication_factor) == expected


def test_a_topic_is_either_compacted_or_deleted_after_a_retention() -> None:
    with pytest.raises(ValueError, match="either compacted"):
        Topic("x.y", "nothing", "delete")
    with pytest.raises(ValueError, match="either compacted"):
        Topic("x.y", "nothing", "compact", 7)
