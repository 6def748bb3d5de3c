"""Every Kafka topic the product uses and how Kafka keeps it, declared once: `helpdesk infra topics` makes a cluster
match it (runtime/topics.py) and the AsyncAPI document shows it (contracts/asyncapi.py).

State topics carry the whole entity in each event, keyed by its id: they are compacted, so the last event of every
entity is kept for ever and a new consumer rebuilds its read model by replaying the topic. The others carry what
happened (commands, notifications, the audit trail): kept for a time that outlasts an outage of their consumers,
then deleted. Every consumer group has a dead-letter topic, `dlq.<group>`, kept long enough for an operator to look
at what it holds and replay it (`helpdesk dlq`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PARTITIONS = 6
"""Partitions of an event topic: at most this many replicas of one consumer group share a topic's work."""
REPLICATION_FACTOR = 3
"""Copies of every partition in production; a smaller cluster (a one-broker local Kafka) gets one per broker."""
DEAD_LETTER_PARTITIONS = 1
"""Dead letters are few and read by an operator: one partition keeps them in the order they failed."""

DAY_MS = 24 * 60 * 60 * 1000
NOTIFICATION_DAYS = 7
"""Notifications outlast a consumer down over a long weekend; every consumer keeps what it needs of them itself."""
AUDIT_DAYS = 30
"""The access service keeps the audit log itself; a month of the trail lets it be read again after a fault."""
COMMAND_DAYS = 1
"""A verification code request is of no use after the ten minutes of its code; a day outlasts a night's outage."""
DEAD_LETTER_DAYS = 30
"""A month for an operator to find, fix and replay what a consumer group could not handle."""

CONSUMER_GROUPS = ("access", "access.audit", "access.sessions", "email", "gateway.roles", "gateway.sessions",
                   "search")
"""Every consumer group of the services and the gateway (their `subscribe("<group>", …)`); each has a dead-letter
topic. tests/unit/contracts/test_topics.py fails when a subscription names another."""


def dead_letter_topic(group: str) -> str:
    """Where a consumer group sets aside a message it could not handle, so the partition moves on."""
    return f"dlq.{group}"


def min_insync_replicas(replication_factor: int) -> int:
    """Copies a write waits for (the producers send with acks=all): two of three, so one broker may be down."""
    return max(1, min(2, replication_factor - 1))


@dataclass(frozen=True)
class Topic:
    """One topic: what it holds, how it is cleaned up and for how long it keeps a message."""

    name: str
    holds: str
    cleanup_policy: Literal["compact", "delete"]
    retention_days: int | None = None  # None: kept for ever (a compacted topic keeps each key's last message)
    partitions: int = PARTITIONS

    def __post_init__(self) -> None:
        if (self.cleanup_policy == "delete") != (self.retention_days is not None):
            raise ValueError(f"{self.name}: a topic is either compacted and kept, or deleted after a retention")

    @property
    def retention_ms(self) -> int:
        """Kafka's `retention.ms`: -1 for ever."""
        return -1 if self.retention_days is None else self.retention_days * DAY_MS

    def configs(self, replication_factor: int) -> dict[str, str]:
        """The topic-level configs Kafka should have for this topic at this replication factor."""
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms),
                "min.insync.replicas": str(min_insync_replicas(replication_factor))}


def _state(name: str, holds: str) -> Topic:
    return Topic(name, holds, "compact")


def _kept(name: str, holds: str, days: int) -> Topic:
    return Topic(name, holds, "delete", days)


EVENT_TOPICS: tuple[Topic, ...] = (
    _state("identity.partners", "Every partner as it is now, keyed by its id."),
    _state("identity.orgs", "Every customer org (and partner staff org) as it is now, keyed by its id."),
    _state("identity.users", "Every user as they are now, keyed by their id."),
    _state("identity.devices", "Every device as it is now, keyed by its id."),
    _state("identity.orders", "Every web order as it is now, keyed by its number."),
    _state("identity.roles", "Changes of users' roles, keyed by the user; each carries the user's whole standing, so "
                             "the last one per user is all a consumer needs."),
    _kept("access.grants", "Customers' read-only access grants given, revoked and expired, keyed by the customer.",
          NOTIFICATION_DAYS),
    _kept("access.requests", "Requests for temporary full admin access and their answers, keyed by the customer.",
          NOTIFICATION_DAYS),
    _kept("access.sessions", "Read-only sessions started and ended, keyed by the customer; sessions last 15 minutes, "
                             "so a replay of the retained days knows every live one.", NOTIFICATION_DAYS),
    _kept("email.codes", "What happened to verification codes sent to users, keyed by the user.", NOTIFICATION_DAYS),
    _kept("email.delivery", "Delivery reports and suppression list changes, keyed by the e-mail address.",
          NOTIFICATION_DAYS),
    _kept("gateway.commands", "Agents' requests for a verification code, keyed by the user.", COMMAND_DAYS),
    _kept("gateway.audit", "Every agent action on a customer's data, keyed by the customer: the audit trail.",
          AUDIT_DAYS),
)
"""Every topic an event travels on (contracts/registry.py knows which event travels on which)."""

DEAD_LETTER_TOPICS: tuple[Topic, ...] = tuple(
    Topic(dead_letter_topic(group), f"Messages the consumer group `{group}` could not handle, with the error and "
          "where each came from in its headers.", "delete", DEAD_LETTER_DAYS, DEAD_LETTER_PARTITIONS)
    for group in CONSUMER_GROUPS)

TOPICS: tuple[Topic, ...] = EVENT_TOPICS + DEAD_LETTER_TOPICS
"""Every topic, by which a cluster is made to match."""

